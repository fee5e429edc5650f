"""Reading rendered emails back with Python's own parser, defects counted as failures."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage


def parse(raw: bytes) -> EmailMessage:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    problems = [(part.get_content_type(), part.defects) for part in message.walk() if part.defects]
    problems += [(name, message[name].defects) for name in message if message[name].defects]
    assert not problems, problems
    return message


def content(message: EmailMessage, kind: str) -> str:
    part = message.get_body((kind,))
    assert part is not None
    return part.get_content().replace("\r\n", "\n")
