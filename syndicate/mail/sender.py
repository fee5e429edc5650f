"""How a finished message leaves: the narrow interface the senders implement.

Delivery code depends on ``Sender`` only. The implementations sit beside it:
``MaildirSender`` (local use, the default) and ``SmtpPool``. Which one a run
gets is decided by the wiring layer (``syndicate.senders``), from the config.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Envelope:
    sender: str  # MAIL FROM
    recipient: str  # RCPT TO
    message: bytes  # RFC 5322 bytes, CRLF line ends
    message_id: str = ""
    # True when the bytes were just assembled from pre-encoded parts, which use CRLF
    # and nothing else by construction: DATA then skips checking the line endings.
    crlf_only: bool = False


class DeliveryError(Exception):
    """Base for a send that did not go through."""

    def __init__(self, reply: str) -> None:
        super().__init__(reply)
        self.reply = reply


class TemporaryFailure(DeliveryError):
    """4xx, dropped connection, timeout: try again later.

    ``relay`` is false for a 4xx to one recipient or one message (greylisting, a full
    mailbox): the transport itself works, so it says nothing about an outage.
    """

    def __init__(self, reply: str, relay: bool = True) -> None:
        super().__init__(reply)
        self.relay = relay


class PermanentFailure(DeliveryError):
    """5xx for this recipient: do not try again.

    ``bounce`` says the refusal was about the address itself (it counts towards
    marking the subscriber bounced), not about this one message.
    """

    def __init__(self, reply: str, bounce: bool = True) -> None:
        super().__init__(reply)
        self.bounce = bounce


# Awaited by a sender just before the point of no return (DATA): the caller uses it
# to make sure its previous message is on record before this one can be accepted.
Gate = Callable[[], Awaitable[None]]


class Sender(Protocol):
    async def send(self, envelope: Envelope, before_data: Gate | None = None) -> str:
        """Hand one message over; return the server's reply. Raise a DeliveryError."""
        ...

    async def close(self) -> None: ...
