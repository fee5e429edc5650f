"""The record of what each message carried is forgotten once it can no longer matter
(``carried.KEEP`` after the message was queued), and corrections keep working."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, update

from syndicate.clock import FixedClock
from syndicate.config import Settings
from syndicate.digest.edition import enqueue_editions
from syndicate.store import carried
from syndicate.store.tables import outbox
from tests.delivery_helpers import run
from tests.lanes_helpers import add_reader, edition_text, editions, sent_dates
from tests.stored_articles import add_articles

MONDAY = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)  # 07:00 in Lima
X = {"url": "https://news.example.org/world/x", "headline": "Bridge opens"}
LATER = MONDAY + timedelta(days=30)


def _all_sent(engine: Engine, but: int | None = None) -> None:
    with engine.begin() as conn:
        rows = update(outbox)
        if but is not None:
            rows = rows.where(outbox.c.subscriber_id != but)
        conn.execute(rows.values(state="sent"))


def test_old_records_go_the_latest_told_stays_and_corrections_still_reach(
    engine: Engine, db_settings: Settings
) -> None:
    settings = db_settings
    a = add_reader(engine, settings, "a@example.org", ["world"], timezone="America/Lima")
    b = add_reader(engine, settings, "b@example.org", ["world"], timezone="America/Lima")
    add_articles(engine, settings, MONDAY - timedelta(hours=3), X)
    enqueue_editions(engine, settings, FixedClock(MONDAY))
    _all_sent(engine, but=b)  # b's Monday edition is still on its way
    assert carried.prune(engine, LATER) == 0  # inside the window nothing goes

    # A correction a month on reaches a, and is recorded as told.
    add_articles(engine, settings, LATER - timedelta(hours=5), X | {"correction": "First note."})
    enqueue_editions(engine, settings, FixedClock(LATER))
    assert editions(engine, a)[LATER.date()] == ["correction:Bridge opens"]
    _all_sent(engine, but=b)

    # Past the window of Monday's messages: a's Monday record goes, the correction's stays;
    # b's Monday edition, not finished, keeps its record.
    past = MONDAY + carried.KEEP + timedelta(days=1)
    assert carried.prune(engine, past) == 1
    assert editions(engine, a) == {LATER.date(): ["correction:Bridge opens"]}
    assert editions(engine, b)[MONDAY.date()] == ["Bridge opens"]
    assert carried.prune(engine, past) == 0  # nothing more to forget

    # A new note after the prune still reaches a (told before: the latest record remains).
    add_articles(engine, settings, past - timedelta(hours=5), X | {"correction": "Second note."})
    enqueue_editions(engine, settings, FixedClock(past))
    assert sent_dates(engine, a)[-1] == past.date()
    assert "Second note." in " ".join(edition_text(engine, settings, a, past.date()).split())


def test_a_delivery_run_prunes_what_aged_past_the_window(
    engine: Engine, db_settings: Settings
) -> None:
    reader = add_reader(engine, db_settings, "a@example.org", ["world"], timezone="America/Lima")
    add_articles(engine, db_settings, MONDAY - timedelta(hours=3), X)
    enqueue_editions(engine, db_settings, FixedClock(MONDAY))
    clock = FixedClock(MONDAY)
    assert run(engine, db_settings, clock).sent == 1
    assert editions(engine, reader) == {MONDAY.date(): ["Bridge opens"]}  # kept for now
    clock.set(MONDAY + carried.KEEP + timedelta(minutes=1))
    run(engine, db_settings, clock)  # nothing to send: the cleanup after it still runs
    assert editions(engine, reader) == {}
