"""Mail for local use: each message becomes a file in a Maildir that mutt or any reader opens."""

from __future__ import annotations

import mailbox
import os
from pathlib import Path

from syndicate.mail.sender import Envelope, Gate, TemporaryFailure


class MaildirSender:
    """Writes each message into a real Maildir (tmp/ then rename into new/).

    The folder and its parents are created when missing, so a fresh checkout's
    ``var/outbox`` works without a setup step.
    """

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
