"""What an SMTP reply means for the message (RFC 5321 section 4.2.1).

2yz: accepted. 4yz: try again later. 5yz: refused for good; but only a refusal
of the recipient counts as a bounce of that address. A 5xx to MAIL FROM, AUTH or
the greeting is about our side (sender, credentials, relay policy), so it is
retried like a temporary failure instead of failing every subscriber at once.
"""

from __future__ import annotations

import re

from syndicate.mail.sender import DeliveryError, PermanentFailure, TemporaryFailure

# Stages of one transaction, in order.
CONNECT, MAIL, RCPT, DATA = "connect", "MAIL", "RCPT", "DATA"

# RFC 3463 enhanced codes 5.1.x are about the address (no such user, bad domain).
_ADDRESS_PROBLEM = re.compile(r"^\s*5\.1\.\d+")


def describe(code: int, message: str) -> str:
    return f"{code} {' '.join(message.split())}"[:500]


def classify(stage: str, code: int, message: str) -> DeliveryError:
    """The failure to raise for a non-2xx reply ``code`` at ``stage``."""
    reply = describe(code, message)
    if 500 <= code < 600 and stage == RCPT:
        return PermanentFailure(f"{stage}: {reply}", bounce=True)
    if 500 <= code < 600 and stage == DATA:
        # Refused content (spam, size) fails this message; a 5.1.x is about the address.
        return PermanentFailure(f"{stage}: {reply}", bounce=bool(_ADDRESS_PROBLEM.match(message)))
    return TemporaryFailure(f"{stage}: {reply}", relay=stage not in (RCPT, DATA))
