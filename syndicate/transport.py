"""How a finished message leaves: the narrow interface the senders implement.

Delivery code depends on ``Sender`` only. The real implementations sit at the
edge: ``MaildirSender`` here (local use, the default), the SMTP pool in
``syndicate.smtp``.
"""

from __future__ import annotations

import mailbox
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from syndicate.config import Settings


@dataclass(frozen=True)
class Envelope:
    sender: str  # MAIL FROM
    recipient: str  # RCPT TO
    message: bytes  # RFC 5322 bytes, CRLF line ends
    message_id: str = ""


class DeliveryError(Exception):
    """Base for a send that did not go through."""

    def __init__(self, reply: str) -> None:
        super().__init__(reply)
        self.reply = reply


class TemporaryFailure(DeliveryError):
    """4xx, dropped connection, timeout: try again later."""


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


class MaildirSender:
    """Writes each message into a real Maildir (tmp/ then rename into new/), as mutt reads it."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        # Made here, tolerating another process making them at the same moment
        # (mailbox's own create=True fails when the folder appears meanwhile).
        for folder in ("tmp", "new", "cur"):
            (self.path / folder).mkdir(parents=True, exist_ok=True)
        self._box = mailbox.Maildir(self.path, create=False)

    async def send(self, envelope: Envelope, before_data: Gate | None = None) -> str:
        if before_data is not None:
            await before_data()
        try:
            key = self._box.add(mailbox.MaildirMessage(envelope.message))
        except OSError as exc:
            raise TemporaryFailure(f"maildir write failed: {exc}") from exc
        return f"250 stored in {self.path.name}/new as {key}"

    async def close(self) -> None:
        return None


def make_sender(settings: Settings, rate_per_second: float | None = None) -> Sender:
    """The sender ``[delivery] transport`` names. Close it when done (``await sender.close()``).

    ``rate_per_second`` overrides ``[delivery] rate_per_second`` (worker processes
    each take their share of it).
    """
    if settings.delivery.transport == "maildir":
        return MaildirSender(settings.delivery.maildir)
    from syndicate.smtp import SmtpPool

    return SmtpPool.from_settings(settings, rate_per_second=rate_per_second)
