"""Imported breaking articles: their alerts are queued at the next poll, once, capped per day."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from syndicate.clock import FixedClock
from syndicate.config import Settings
from syndicate.importer import import_paths
from syndicate.schedule.jobs import Jobs
from syndicate.store.lock import SchedulerLock, lock_for
from syndicate.store.selfservice import set_pause
from syndicate.store.tables import outbox
from tests.digest_data import NOW
from tests.lanes_helpers import add_reader


@pytest.fixture
def scheduler(engine: Engine) -> Iterator[SchedulerLock]:
    """The scheduler lock, let go after the test (on PostgreSQL the next test needs it)."""
    lock = lock_for(engine)
    yield lock
    lock.release()


def alerts(engine: Engine) -> list[tuple[int, str]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(outbox.c.subscriber_id, outbox.c.key).where(outbox.c.kind == "alert")
        ).all()
    return sorted((sid, key) for sid, key in rows)


def write_jsonl(folder: Path, name: str, count: int, breaking: bool = True) -> Path:
    path = folder / f"{name}.jsonl"
    lines = [
        json.dumps(
            {
                "url": f"https://news.example.org/world/{name}-{i}",
                "section": "world",
                "headline": f"{name} {i}",
                "breaking": breaking,
            }
        )
        for i in range(count)
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_the_poll_after_an_import_queues_each_alert_once(
    engine: Engine, db_settings: Settings, tmp_path: Path, scheduler: SchedulerLock
) -> None:
    wants = add_reader(engine, db_settings, "wants@example.org", ["world"], alerts=True)
    add_reader(engine, db_settings, "no@example.org", ["world"])
    add_reader(engine, db_settings, "politics@example.org", ["politics"], alerts=True)
    clock = FixedClock(NOW)
    jobs = Jobs(engine, db_settings, clock, scheduler)
    jobs.poll()  # the first scan: nothing is breaking yet
    import_paths(engine, db_settings, [write_jsonl(tmp_path, "calm", 2, breaking=False)], clock)
    clock.advance(seconds=30)
    assert import_paths(engine, db_settings, [write_jsonl(tmp_path, "quake", 2)], clock).new == 2
    assert alerts(engine) == []  # queued at the poll, not by the import itself
    clock.advance(seconds=30)
    assert jobs.poll() == 2  # what it queued: under `run`, delivery is woken for them
    queued = alerts(engine)
    assert [sid for sid, _ in queued] == [wants, wants]
    clock.advance(seconds=30)
    jobs.poll()
    assert alerts(engine) == queued  # never twice
    # Two more the same day: the third alert goes, the fourth waits for the digest.
    clock.advance(seconds=30)
    import_paths(engine, db_settings, [write_jsonl(tmp_path, "ash", 2)], clock)
    clock.advance(seconds=30)
    jobs.poll()
    assert len(alerts(engine)) == 3
    # The next local day the cap starts again.
    clock.advance(days=1)
    import_paths(engine, db_settings, [write_jsonl(tmp_path, "aftershock", 1)], clock)
    clock.advance(seconds=30)
    jobs.poll()
    assert len(alerts(engine)) == 4


def test_a_reader_on_a_pause_gets_no_alerts_until_it_ends(
    engine: Engine, db_settings: Settings, tmp_path: Path, scheduler: SchedulerLock
) -> None:
    paused = add_reader(engine, db_settings, "away@example.org", ["world"], alerts=True)
    here = add_reader(engine, db_settings, "here@example.org", ["world"], alerts=True)
    clock = FixedClock(NOW)
    with engine.begin() as conn:
        set_pause(conn, paused, (NOW + timedelta(days=2)).date(), NOW)
    jobs = Jobs(engine, db_settings, clock, scheduler)
    jobs.poll()
    clock.advance(seconds=30)
    import_paths(engine, db_settings, [write_jsonl(tmp_path, "storm", 1)], clock)
    clock.advance(seconds=30)
    jobs.poll()
    assert [sid for sid, _ in alerts(engine)] == [here]
    clock.advance(days=3)  # the pause is over
    import_paths(engine, db_settings, [write_jsonl(tmp_path, "flood", 1)], clock)
    clock.advance(seconds=30)
    jobs.poll()
    assert sorted(sid for sid, _ in alerts(engine)) == sorted([here, here, paused])
