"""Two schedulers on one PostgreSQL database; the one running the jobs is killed mid-day."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from syndicate import config, store
from syndicate.clock import FixedClock
from syndicate.schedule.tick import digest_tick
from syndicate.store.lock import AdvisoryLock, LocalLock, lock_for
from tests.conftest import ROOT, _truncate, write_config
from tests.readers import READERS, add_readers
from tests.schedule_helpers import editions, record_editions

pytestmark = pytest.mark.postgres

# A scheduler in its own process: takes the lock, runs the ticks of the morning, then
# waits to be killed while still holding the lock.
CHILD = textwrap.dedent(
    """
    import sys, time
    from datetime import datetime, timedelta
    from syndicate import config, store
    from syndicate.clock import FixedClock
    from syndicate.store.lock import AdvisoryLock
    from syndicate.schedule.tick import digest_tick
    from tests.schedule_helpers import record_editions

    settings = config.load(sys.argv[1], env={})
    engine = store.open_engine(settings.database.url)
    clock = FixedClock(datetime.fromisoformat(sys.argv[2]))
    until = datetime.fromisoformat(sys.argv[3])
    lock = AdvisoryLock(engine)
    while clock.now() < until:
        if lock.acquire():
            digest_tick(engine, settings, clock, record_editions)
        clock.advance(minutes=10)
    print("holding", flush=True)
    time.sleep(600)
    """
)


@pytest.fixture
def pg(tmp_path: Path, postgres_url: str) -> Iterator[tuple[Engine, config.Settings, Path]]:
    path = write_config(tmp_path, database_url=postgres_url)
    settings = config.load(path, env={})
    engine = store.open_engine(postgres_url)
    store.migrate(engine)
    _truncate(engine)
    yield engine, settings, path
    engine.dispose()


def test_one_holder_at_a_time(pg: tuple[Engine, config.Settings, Path]) -> None:
    engine = pg[0]
    first, second = AdvisoryLock(engine), AdvisoryLock(engine)
    try:
        assert first.acquire() and not second.acquire()
        assert first.acquire()  # still held, checked again
        first.release()
        assert second.acquire()
    finally:
        first.release()
        second.release()
    assert isinstance(lock_for(engine), AdvisoryLock)


def test_sqlite_needs_no_lock(tmp_path: Path) -> None:
    engine = store.open_engine(f"sqlite:///{tmp_path / 'x.db'}")
    lock = lock_for(engine)
    assert isinstance(lock, LocalLock) and lock.acquire()
    lock.release()
    engine.dispose()


def test_other_scheduler_takes_over_when_the_holder_is_killed(
    pg: tuple[Engine, config.Settings, Path],
) -> None:
    engine, settings, path = pg
    add_readers(engine, settings)
    day_start = datetime(2026, 3, 29, 0, 0, tzinfo=UTC)  # Madrid springs forward
    killed_at = datetime(2026, 3, 29, 11, 0, tzinfo=UTC)  # after Madrid's 09:00, before NY's
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path), day_start.isoformat(), killed_at.isoformat()],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        text=True,
    )
    standby = AdvisoryLock(engine)
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "holding"
        done_by_child = Counter(editions(engine))
        assert ("madrid@example.org", date(2026, 3, 29)) in done_by_child
        assert not standby.acquire()
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
        # The server frees the dead session's lock; the standby gets it on a later try.
        deadline = time.monotonic() + 10
        while not standby.acquire():
            assert time.monotonic() < deadline, "the lock was not freed after the holder died"
            time.sleep(0.1)
        clock = FixedClock(killed_at)
        while clock.now() < killed_at + timedelta(days=1):
            if standby.acquire():
                digest_tick(engine, settings, clock, record_editions)
            clock.advance(minutes=10)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        if child.stdout is not None:
            child.stdout.close()
        standby.release()
    counts = Counter(editions(engine))
    assert set(counts.values()) == {1}
    got = {(email, day) for email, day in counts}
    for email, _, _ in READERS:
        assert (email, date(2026, 3, 29)) in got, email
