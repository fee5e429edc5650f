"""Send slots across daylight-saving changes, with a controlled clock."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from syndicate.clock import FixedClock
from syndicate.digest.slots import slot_instant, status


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("day", "hhmm", "tz", "expected"),
    [
        # Lima keeps UTC-5 all year.
        (date(2026, 3, 8), "09:00", "America/Lima", utc(2026, 3, 8, 14, 0)),
        (date(2026, 11, 1), "07:00", "America/Lima", utc(2026, 11, 1, 12, 0)),
        # New York springs forward 2026-03-08 at 02:00 EST -> 03:00 EDT.
        (date(2026, 3, 7), "09:00", "America/New_York", utc(2026, 3, 7, 14, 0)),
        (date(2026, 3, 8), "09:00", "America/New_York", utc(2026, 3, 8, 13, 0)),
        (date(2026, 3, 8), "02:30", "America/New_York", utc(2026, 3, 8, 7, 0)),  # skipped
        (date(2026, 3, 8), "02:00", "America/New_York", utc(2026, 3, 8, 7, 0)),  # skipped
        (date(2026, 3, 8), "03:00", "America/New_York", utc(2026, 3, 8, 7, 0)),
        # ... and falls back 2026-11-01 at 02:00 EDT -> 01:00 EST: 01:30 happens twice.
        (date(2026, 11, 1), "01:30", "America/New_York", utc(2026, 11, 1, 5, 30)),
        (date(2026, 11, 1), "09:00", "America/New_York", utc(2026, 11, 1, 14, 0)),
        # Madrid springs forward 2026-03-29 at 02:00 CET -> 03:00 CEST.
        (date(2026, 3, 29), "02:30", "Europe/Madrid", utc(2026, 3, 29, 1, 0)),
        (date(2026, 3, 29), "09:00", "Europe/Madrid", utc(2026, 3, 29, 7, 0)),
        # ... and falls back 2026-10-25 at 03:00 CEST -> 02:00 CET: 02:30 happens twice.
        (date(2026, 10, 25), "02:30", "Europe/Madrid", utc(2026, 10, 25, 0, 30)),
        (date(2026, 10, 25), "09:00", "Europe/Madrid", utc(2026, 10, 25, 8, 0)),
    ],
)
def test_slot_instant(day: date, hhmm: str, tz: str, expected: datetime) -> None:
    assert slot_instant(day, hhmm, tz) == expected


def _simulate(tz: str, hhmm: str, start: datetime, days: int) -> dict[date, datetime]:
    """Tick every minute like the service would; record when each local date first fell due."""
    clock = FixedClock(start)
    sent: dict[date, datetime] = {}
    while clock.now() < start + timedelta(days=days):
        current = status(tz, hhmm, clock.now())
        if current.due:
            sent.setdefault(current.local_date, clock.now())
        clock.advance(minutes=1)
    return sent


@pytest.mark.parametrize(
    ("tz", "hhmm", "start", "expected"),
    [
        (
            "America/New_York",
            "02:30",
            utc(2026, 3, 7, 5, 0),  # midnight EST on the 7th
            [utc(2026, 3, 7, 7, 30), utc(2026, 3, 8, 7, 0), utc(2026, 3, 9, 6, 30)],
        ),
        (
            "America/New_York",
            "01:30",
            utc(2026, 10, 31, 4, 0),  # midnight EDT on the 31st
            [utc(2026, 10, 31, 5, 30), utc(2026, 11, 1, 5, 30), utc(2026, 11, 2, 6, 30)],
        ),
        (
            "Europe/Madrid",
            "02:30",
            utc(2026, 3, 27, 23, 0),
            [utc(2026, 3, 28, 1, 30), utc(2026, 3, 29, 1, 0), utc(2026, 3, 30, 0, 30)],
        ),
        (
            "Europe/Madrid",
            "02:30",
            utc(2026, 10, 23, 22, 0),
            [utc(2026, 10, 24, 0, 30), utc(2026, 10, 25, 0, 30), utc(2026, 10, 26, 1, 30)],
        ),
        (
            "America/Lima",
            "09:00",
            utc(2026, 3, 7, 5, 0),
            [utc(2026, 3, 7, 14, 0), utc(2026, 3, 8, 14, 0), utc(2026, 3, 9, 14, 0)],
        ),
    ],
)
def test_one_send_per_local_day_across_dst(
    tz: str, hhmm: str, start: datetime, expected: list[datetime]
) -> None:
    sent = _simulate(tz, hhmm, start, days=3)
    # One first-due instant per local date, none skipped, each at the expected moment.
    assert sorted(sent.values()) == expected


def test_repeated_hour_is_not_due_twice() -> None:
    first = status("America/New_York", "01:30", utc(2026, 11, 1, 5, 30))
    second_reading = status("America/New_York", "01:30", utc(2026, 11, 1, 6, 30))
    assert first.due and second_reading.due
    # Same local date both times: one edition, because the outbox is keyed by date.
    assert first.local_date == second_reading.local_date == date(2026, 11, 1)


def test_not_due_before_the_time_and_needs_aware_instants() -> None:
    assert not status("America/Lima", "07:00", utc(2026, 11, 28, 11, 59)).due
    assert status("America/Lima", "07:00", utc(2026, 11, 28, 12, 0)).due
    with pytest.raises(ValueError):
        status("America/Lima", "07:00", datetime(2026, 11, 28, 12, 0))
