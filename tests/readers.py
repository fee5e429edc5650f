"""Readers spread over send slots, for the schedule and lock tests."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine

from syndicate import subscribers as subs
from syndicate.config import Settings
from syndicate.store import subscribers as subscriber_store

READERS = [
    ("lima@example.org", "America/Lima", "09:00"),
    ("lima-early@example.org", "America/Lima", "02:30"),
    ("madrid@example.org", "Europe/Madrid", "09:00"),
    ("madrid-night@example.org", "Europe/Madrid", "02:30"),
    ("ny@example.org", "America/New_York", "09:00"),
    ("ny-night@example.org", "America/New_York", "02:30"),
    ("ny-fold@example.org", "America/New_York", "01:30"),
]


def add_readers(engine: Engine, settings: Settings, readers=READERS, status="active") -> None:
    with engine.begin() as conn:
        for email, tz, hhmm in readers:
            item = subs.validate(settings, email, timezone=tz, digest_time=hhmm, status=status)
            subscriber_store.save(conn, item, datetime(2026, 1, 1, tzinfo=UTC))
