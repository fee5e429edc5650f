"""MAIL, RCPT and DATA on an aiosmtplib connection without its per-message regex passes.

aiosmtplib runs two regular-expression substitutions over every message body
(line endings, then leading dots) and parses every address with
``email.utils.parseaddr``: for a 30 KB digest that is more CPU than the rest of
the transaction. Messages built here already use CRLF only, and stored
addresses are plain mailboxes, so the common case needs a scan, not a rewrite.
Anything unusual takes aiosmtplib's own path, so what goes on the wire is the
same bytes either way.
"""

from __future__ import annotations

import re

import aiosmtplib
from aiosmtplib import (
    SMTPDataError,
    SMTPRecipientRefused,
    SMTPSenderRefused,
    SMTPServerDisconnected,
    SMTPTimeoutError,
)
from aiosmtplib.protocol import normalize_message_line_endings

# What aiosmtplib's address check refuses, plus anything parseaddr would rewrite
# (comments, display names, routes, quoting): such addresses go the slow way.
_NOT_PLAIN = re.compile(r'[\s<>"()\[\],;:\\]')


def data_payload(message: bytes, crlf_only: bool = False) -> bytes:
    """The bytes DATA transmits for ``message``: CRLF line endings, a dot doubled at the
    start of each line (RFC 5321 4.5.2), ending in ``.`` CRLF.

    The same result as aiosmtplib's ``execute_data_command``; only cheaper when the
    line endings are already CRLF (every CR and every LF is part of a CRLF pair), and
    cheaper still when the caller knows they are (``crlf_only``).
    """
    if crlf_only:
        if not message.endswith(b"\r\n"):
            message += b"\r\n"
    elif _bare_line_ends(message):
        message = normalize_message_line_endings(message)
    elif not message.endswith(b"\r\n"):
        message += b"\r\n"
    # With CRLF endings a line starts at the beginning or right after CRLF.
    if b"\r\n." in message:
        message = message.replace(b"\r\n.", b"\r\n..")
    if message.startswith(b"."):
        message = b"." + message
    return message + b".\r\n"


def _bare_line_ends(message: bytes) -> bool:
    pairs = message.count(b"\r\n")
    return message.count(b"\r") != pairs or message.count(b"\n") != pairs


def _plain(address: str) -> bool:
    return bool(address) and _NOT_PLAIN.search(address) is None


async def mail(
    client: aiosmtplib.SMTP, sender: str, options: list[str], encoding: str
) -> aiosmtplib.SMTPResponse:
    if not _plain(sender):
        return await client.mail(sender, options=options, encoding=encoding)
    extra = [option.encode("ascii") for option in options]
    response = await client.execute_command(
        b"MAIL", b"FROM:<" + sender.encode(encoding) + b">", *extra
    )
    if response.code != 250:
        raise SMTPSenderRefused(response.code, response.message, sender)
    return response


async def rcpt(client: aiosmtplib.SMTP, recipient: str, encoding: str) -> aiosmtplib.SMTPResponse:
    if not _plain(recipient):
        return await client.rcpt(recipient, encoding=encoding)
    response = await client.execute_command(b"RCPT", b"TO:<" + recipient.encode(encoding) + b">")
    if response.code not in (250, 251):
        raise SMTPRecipientRefused(response.code, response.message, recipient)
    return response


async def data(
    client: aiosmtplib.SMTP, message: bytes, crlf_only: bool = False
) -> aiosmtplib.SMTPResponse:
    """DATA, then the message; replies other than 354 and 250 raise SMTPDataError. One
    transaction at a time on ``client`` (the pool's connections are used that way)."""
    payload = data_payload(message, crlf_only)
    start = await client.execute_command(b"DATA")
    if start.code != 354:
        raise SMTPDataError(start.code, start.message)
    protocol = client.protocol
    if protocol is None:
        raise SMTPServerDisconnected("Connection lost")
    try:
        protocol.write(payload)
        response = await protocol.read_response(timeout=client.timeout)
    except (SMTPServerDisconnected, SMTPTimeoutError):
        # Like aiosmtplib's own data(): the connection's state is unknown now.
        client.close()
        raise
    if response.code != 250:
        raise SMTPDataError(response.code, response.message)
    return response
