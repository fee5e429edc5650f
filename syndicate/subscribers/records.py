"""A subscriber as the rest of the code sees it: plain data, no storage."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True)
class Subscriber:
    id: int
    email: str
    status: str
    sections: tuple[str, ...]  # empty means every section
    timezone: str
    language: str
    digest_time: str
    created_at: datetime | None = None
    # Signed into this row's links and Message-IDs; a row added later has another.
    link_key: str = ""
    unkeyed_links: bool = False  # links without a key (made before keys) still name this row
    paused_until: date | None = None  # no edition for a day before this one
    paused_at: datetime | None = None  # when the reader last paused
    cadence: str = "daily"  # or "weekly", on ``weekday``
    weekday: str = ""  # mon..sun for a weekly reader
    alerts: bool = False  # breaking-news alerts for the sections followed

    def paused_on(self, day: date) -> bool:
        """Whether the edition of ``day`` falls inside the reader's pause."""
        return self.paused_until is not None and day < self.paused_until

    def reads(self, slug: str) -> bool:
        return not self.sections or slug in self.sections


@dataclass(frozen=True)
class SubscriberInput:
    email: str
    sections: tuple[str, ...]
    timezone: str
    language: str
    digest_time: str
    status: str = "active"
    cadence: str = "daily"
    weekday: str = ""
    alerts: bool = False
