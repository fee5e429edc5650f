"""What a delivery run did, added up for the operator: counts, rate, the common reasons."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class DeliveryReport:
    sent: int = 0
    retrying: int = 0  # temporary failures, each scheduling another attempt
    failed: int = 0
    skipped: int = 0  # subscriber no longer active (pending, for a confirmation) at claim time
    confirmations: int = 0  # of those sent, confirmation emails
    released: int = 0  # claimed, then handed back untried on stop
    seconds: float = 0.0
    stopped: bool = False
    waiting: int = 0  # rows still queued, retrying or sending when the run ended
    next_at: datetime | None = None
    reasons: Counter[str] = field(default_factory=Counter)  # why rows failed, shortened
    started: float = field(default_factory=time.monotonic, repr=False)

    @property
    def rate(self) -> float:
        elapsed = self.seconds or (time.monotonic() - self.started)
        return self.sent / elapsed if elapsed > 0 else 0.0

    def merge(self, other: DeliveryReport) -> None:
        for name in ("sent", "retrying", "failed", "skipped", "released", "confirmations"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.stopped = self.stopped or other.stopped
        self.reasons.update(other.reasons)

    def failure_lines(self, top: int = 3) -> list[str]:
        """One line per most common reason rows failed, for the operator."""
        if not self.failed:
            return []
        lines = [f"{self.failed} message(s) failed; see `syndicate outbox list --state failed`"]
        for reason, count in self.reasons.most_common(top):
            lines.append(f"  {count} × {reason}")
        return lines

    def summary(self) -> str:
        text = (
            f"{self.sent} sent, {self.failed} failed, {self.skipped} skipped, "
            f"{self.retrying} retries scheduled ({self.seconds:.1f} s, {self.rate:.1f}/s)"
        )
        if self.stopped:
            text += f"; stopped early, {self.released} handed back"
        if self.waiting:
            when = f", next attempt at {self.next_at:%Y-%m-%d %H:%M:%S} UTC" if self.next_at else ""
            text += f"; {self.waiting} still waiting{when}"
        return text


def alike_reason(reply: str) -> str:
    """A failure's reply without what differs from row to row (counts, hours), so that
    alike failures add up."""
    text = reply.strip()
    if text.startswith("gave up after") and ": " in text:
        text = "gave up: " + text.split(": ", 1)[1]
    return text[:120]
