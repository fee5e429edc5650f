"""The digest tick against a real database (SQLite and PostgreSQL) with a controlled clock."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine, select

from syndicate.clock import FixedClock
from syndicate.config import Settings
from syndicate.digest.due import find_due, groups
from syndicate.digest.slots import slot_instant
from syndicate.schedule.tick import TickReport, digest_tick
from syndicate.store.tables import outbox, subscribers
from tests.readers import READERS, add_readers
from tests.schedule_helpers import editions, record_editions


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def tick(engine: Engine, settings: Settings, clock: FixedClock) -> TickReport:
    return digest_tick(engine, settings, clock, record_editions)


def run_ticks(engine: Engine, settings: Settings, clock: FixedClock, until: datetime) -> None:
    while clock.now() < until:
        tick(engine, settings, clock)
        clock.advance(minutes=10)


def sent_at(engine: Engine) -> dict[tuple[str, date], datetime]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(subscribers.c.email, outbox.c.edition_date, outbox.c.created_at)
            .join(outbox, outbox.c.subscriber_id == subscribers.c.id)
            .where(outbox.c.kind == "digest")
        ).all()
    return {(email, day): at for email, day, at in rows}


@pytest.mark.parametrize(
    ("start", "days"),
    [
        (utc(2026, 3, 7, 12, 0), [date(2026, 3, 8), date(2026, 3, 9)]),  # New York springs forward
        (utc(2026, 3, 28, 12, 0), [date(2026, 3, 29), date(2026, 3, 30)]),  # Madrid springs forward
        (utc(2026, 10, 24, 12, 0), [date(2026, 10, 25), date(2026, 10, 26)]),  # Madrid falls back
        (utc(2026, 10, 31, 12, 0), [date(2026, 11, 1), date(2026, 11, 2)]),  # New York falls back
    ],
)
def test_each_reader_gets_one_edition_per_day_across_dst(
    engine: Engine, db_settings: Settings, start: datetime, days: list[date]
) -> None:
    add_readers(engine, db_settings)
    clock = FixedClock(start)
    run_ticks(engine, db_settings, clock, start + timedelta(days=3))
    counts = Counter(editions(engine))
    assert set(counts.values()) == {1}  # never twice
    at = sent_at(engine)
    for email, tz, hhmm in READERS:
        for day in days:
            # Never skipped, and sent within one tick of the (DST-resolved) slot.
            slot = slot_instant(day, hhmm, tz)
            assert slot <= at[(email, day)] < slot + timedelta(minutes=10), (email, day)


def test_restart_after_a_missed_slot_sends_once_the_same_day(
    engine: Engine, db_settings: Settings
) -> None:
    add_readers(engine, db_settings, READERS[:1])  # Lima, 09:00 = 14:00 UTC
    clock = FixedClock(utc(2026, 11, 28, 12, 0))
    run_ticks(engine, db_settings, clock, utc(2026, 11, 28, 13, 0))
    assert editions(engine) == []
    # Down from 13:00 to 17:00 UTC: the 14:00 slot passes with nobody running.
    clock.set(utc(2026, 11, 28, 17, 0))
    report = tick(engine, db_settings, clock)
    assert report.enqueued == 1
    assert editions(engine) == [("lima@example.org", date(2026, 11, 28))]
    # Ticking on, and a second restart, add nothing for that day; the next day comes once.
    run_ticks(engine, db_settings, clock, utc(2026, 11, 29, 13, 0))
    assert tick(engine, db_settings, clock).enqueued == 0
    run_ticks(engine, db_settings, clock, utc(2026, 11, 29, 15, 0))
    assert editions(engine) == [
        ("lima@example.org", date(2026, 11, 28)),
        ("lima@example.org", date(2026, 11, 29)),
    ]


def test_only_active_readers_are_due(engine: Engine, db_settings: Settings) -> None:
    add_readers(engine, db_settings, READERS[:1])
    add_readers(engine, db_settings, [("later@example.org", "America/Lima", "09:00")], "pending")
    with engine.connect() as conn:
        assert groups(conn) == [("America/Lima", "09:00")]
        due = find_due(conn, utc(2026, 11, 28, 14, 0))
        assert [(d.edition_date, len(d.subscriber_ids)) for d in due] == [(date(2026, 11, 28), 1)]
        assert find_due(conn, utc(2026, 11, 28, 13, 59)) == []


def test_a_failed_enqueue_is_tried_again_next_tick(engine: Engine, db_settings: Settings) -> None:
    add_readers(engine, db_settings, READERS[:1])
    clock = FixedClock(utc(2026, 11, 28, 14, 5))

    def broken(*args: object) -> None:
        raise RuntimeError("digest step failed")

    with pytest.raises(RuntimeError):
        digest_tick(engine, db_settings, clock, broken)
    clock.advance(seconds=30)
    assert tick(engine, db_settings, clock).enqueued == 1
    again = tick(engine, db_settings, clock)
    assert (again.due_groups, again.checked_groups) == (1, 0)  # the slot is marked finished


def test_readers_joining_after_their_time_start_the_next_day(
    engine: Engine, db_settings: Settings
) -> None:
    add_readers(engine, db_settings, READERS[:1])
    clock = FixedClock(utc(2026, 11, 28, 14, 5))
    assert tick(engine, db_settings, clock).enqueued == 1
    add_readers(engine, db_settings, [("late@example.org", "America/Lima", "09:00")])
    run_ticks(engine, db_settings, clock, utc(2026, 11, 29, 15, 0))
    assert editions(engine) == [
        ("lima@example.org", date(2026, 11, 28)),
        ("late@example.org", date(2026, 11, 29)),
        ("lima@example.org", date(2026, 11, 29)),
    ]


def test_a_new_slot_on_a_day_is_still_sent(engine: Engine, db_settings: Settings) -> None:
    add_readers(engine, db_settings, READERS[:1])
    clock = FixedClock(utc(2026, 11, 28, 14, 5))
    tick(engine, db_settings, clock)
    # A reader with a send time nobody had: a slot not finished yet, so it goes today.
    add_readers(engine, db_settings, [("other@example.org", "America/Lima", "08:00")])
    clock.advance(minutes=1)
    assert tick(engine, db_settings, clock).enqueued == 1
