"""Enqueueing editions into the outbox, on real SQLite and PostgreSQL."""

from __future__ import annotations

import email
import email.policy
from datetime import date, timedelta

from sqlalchemy import select

from syndicate import subscribers
from syndicate.clock import FixedClock
from syndicate.delivery.assembly import Assembler
from syndicate.digest.edition import enqueue_editions
from syndicate.store import subscribers as subscriber_store
from syndicate.store.outbox import digest_key
from syndicate.store.tables import outbox
from tests.digest_data import NOW
from tests.stored_articles import add_articles


def add_reader(engine, settings, address, sections=(), status="active", **extra):
    item = subscribers.validate(settings, address, sections, status=status, **extra)
    with engine.begin() as conn:
        return subscriber_store.save(conn, item, NOW - timedelta(days=10)).id


def rows(engine):
    with engine.connect() as conn:
        return conn.execute(
            select(outbox).order_by(outbox.c.subscriber_id, outbox.c.edition_date)
        ).all()


def sent_as(engine, settings, row) -> bytes | None:
    """The bytes the row goes out as: assembled from its edition body."""
    return Assembler(settings, engine).stored(row)


def test_enqueue_queues_skips_and_never_repeats(engine, db_settings):
    settings = db_settings
    clock = FixedClock(NOW)
    world = add_reader(engine, settings, "w@example.org", ["world"])
    mundo = add_reader(engine, settings, "m@example.org", ["mundo"], language="es")
    add_reader(engine, settings, "gone@example.org", status="unsubscribed")
    add_articles(
        engine,
        settings,
        NOW - timedelta(hours=3),
        {"url": "https://news.example.org/a", "headline": "World story A"},
        {
            "url": "https://news.example.org/b",
            "sections": ["politics", "world"],
            "headline": "Shared story B",
        },
    )
    report = enqueue_editions(engine, settings, clock)
    assert (report.queued, report.skipped, report.existing) == (1, 1, 0)
    first = {r.subscriber_id: r for r in rows(engine)}
    assert set(first) == {world, mundo}
    queued = first[world]
    assert queued.state == "queued" and queued.article_count == 2
    assert queued.recipient == "w@example.org"
    assert queued.window_end == NOW and queued.window_start == NOW - timedelta(hours=24)
    assert queued.edition_date == date(2026, 11, 28)
    assert queued.message is None and queued.body_id is not None  # a body shared, not bytes
    parsed = email.message_from_bytes(
        sent_as(engine, settings, queued), policy=email.policy.default
    )
    assert parsed["Message-ID"] == queued.message_id
    assert first[mundo].state == "skipped" and sent_as(engine, settings, first[mundo]) is None

    # Same day again: nothing new is recorded, whatever the clock says.
    clock.advance(hours=2)
    again = enqueue_editions(engine, settings, clock)
    assert (again.queued, again.skipped, again.existing) == (0, 0, 2)

    # Next day: only what arrived since the last window; the old stories are not repeated.
    clock.advance(hours=22)
    add_articles(
        engine,
        settings,
        NOW + timedelta(hours=5),
        {"url": "https://news.example.org/c", "headline": "World story C"},
    )
    add_articles(
        engine,
        settings,
        NOW + timedelta(hours=6),
        {"url": "https://news.example.org/d", "section": "mundo", "headline": "Historia D"},
    )
    next_day = enqueue_editions(engine, settings, clock)
    assert (next_day.queued, next_day.skipped) == (2, 0)
    latest = {r.subscriber_id: r for r in rows(engine) if r.edition_date == date(2026, 11, 29)}
    assert latest[world].window_start == NOW  # starts where the last edition ended
    assert latest[world].article_count == 1
    assert b"World story C" in sent_as(engine, settings, latest[world])
    assert b"Historia D" in sent_as(engine, settings, latest[mundo])


def test_enqueue_only_given_subscribers_and_date(engine, db_settings):
    clock = FixedClock(NOW)
    one = add_reader(engine, db_settings, "one@example.org")
    add_reader(engine, db_settings, "two@example.org")
    add_articles(
        engine, db_settings, NOW - timedelta(hours=1), {"url": "https://news.example.org/a"}
    )
    report = enqueue_editions(
        engine, db_settings, clock, edition_date=date(2026, 12, 1), subscriber_ids=[one, 999]
    )
    assert report.queued == 1
    [row] = rows(engine)
    assert row.subscriber_id == one and row.edition_date == date(2026, 12, 1)


def test_race_between_two_enqueues_keeps_one_row(engine, db_settings, monkeypatch):
    from syndicate.store import outbox as outbox_store

    clock = FixedClock(NOW)
    add_reader(engine, db_settings, "one@example.org")
    add_articles(
        engine, db_settings, NOW - timedelta(hours=1), {"url": "https://news.example.org/a"}
    )
    # The other process inserts between our read and our write.
    original = outbox_store.enqueue

    def racing(conn, batch):
        original(conn, batch)
        return original(conn, batch)

    monkeypatch.setattr(outbox_store, "enqueue", racing)
    report = enqueue_editions(engine, db_settings, clock)
    assert report.queued == 0 and report.existing == 1
    assert len(rows(engine)) == 1


def test_reader_back_from_a_long_absence_catches_up_alone(engine, db_settings):
    back = add_reader(engine, db_settings, "back@example.org")
    fresh = add_reader(engine, db_settings, "fresh@example.org")
    with engine.begin() as conn:
        conn.execute(
            outbox.insert().values(
                kind="digest",
                key=digest_key(back, date(2026, 11, 25)),
                subscriber_id=back,
                edition_date=date(2026, 11, 25),
                window_start=NOW - timedelta(days=4),
                window_end=NOW - timedelta(days=3),
                state="sent",
                created_at=NOW - timedelta(days=3),
            )
        )
    add_articles(
        engine,
        db_settings,
        NOW - timedelta(days=2),
        {"url": "https://news.example.org/old", "headline": "Missed story"},
    )
    add_articles(
        engine,
        db_settings,
        NOW - timedelta(hours=1),
        {"url": "https://news.example.org/new", "headline": "New story"},
    )
    enqueue_editions(engine, db_settings, FixedClock(NOW))
    today = {r.subscriber_id: r for r in rows(engine) if r.edition_date == date(2026, 11, 28)}
    assert today[back].article_count == 2 and today[back].window_start == NOW - timedelta(days=3)
    assert today[fresh].article_count == 1
    assert b"Missed story" not in sent_as(engine, db_settings, today[fresh])
