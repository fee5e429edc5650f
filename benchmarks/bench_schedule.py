"""One digest tick with 1,000,000 subscribers in PostgreSQL, and a poll with nothing new.

Needs PostgreSQL: set SYNDICATE_TEST_POSTGRES_URL (`make bench` sets it when one
answers on 127.0.0.1:5432). A fresh database is created, filled with
generate_series, and dropped at the end.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from syndicate import config, store
from syndicate.schedule.due import due_groups, find_due, groups

SUBSCRIBERS = 1_000_000
ZONES = [
    "America/Lima",
    "America/New_York",
    "America/Los_Angeles",
    "America/Mexico_City",
    "America/Bogota",
    "America/Sao_Paulo",
    "Europe/Madrid",
    "Europe/London",
    "Europe/Berlin",
    "Asia/Tokyo",
    "Australia/Sydney",
    "UTC",
]
# 05:00 to 10:00 every 15 minutes: 21 send times, 252 groups.
TIMES = [f"{5 + q // 4:02d}:{(q % 4) * 15:02d}" for q in range(21)]
TICK = datetime(2026, 11, 28, 13, 1, tzinfo=UTC)  # 08:01 in Lima and New York


def _best(action: Callable[[], object], repeat: int) -> tuple[float, object]:
    timings = []
    result: object = None
    for _ in range(repeat):
        started = time.perf_counter()
        result = action()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings), result


def _fill(url: str) -> None:
    engine = store.open_engine(url)
    store.migrate(engine)
    zones = "ARRAY[" + ",".join(f"'{z}'" for z in ZONES) + "]"
    times = "ARRAY[" + ",".join(f"'{t}'" for t in TIMES) + "]"
    with engine.begin() as conn:
        conn.execute(
            text(
                f"""
                INSERT INTO subscribers (email, status, all_sections, timezone, language,
                                         digest_time, hard_bounces, created_at)
                SELECT 'reader' || g || '@example.org',
                       CASE WHEN g % 25 = 0 THEN 'unsubscribed' ELSE 'active' END,
                       true, ({zones})[1 + g % {len(ZONES)}], 'en',
                       ({times})[1 + (g / {len(ZONES)}) % {len(TIMES)}], 0, now()
                  FROM generate_series(1, {SUBSCRIBERS}) AS g
                """
            )
        )
    # Yesterday's edition went to everyone; today's to every group already due
    # five minutes before the tick: the tick has only the newest groups to find.
    earlier = due_groups(_groups(engine), TICK - timedelta(minutes=5))
    with engine.begin() as conn:
        conn.execute(
            text(
                """
                INSERT INTO outbox (subscriber_id, edition_date, window_start, window_end, state,
                                    article_count, recipient, message_id, attempts, created_at)
                SELECT id, :day, now(), now(), 'sent', 3, email, '', 1, now()
                  FROM subscribers WHERE status = 'active'
                """
            ),
            {"day": (TICK - timedelta(days=1)).date()},
        )
        for slot in earlier:
            conn.execute(
                text(
                    """
                    INSERT INTO outbox (subscriber_id, edition_date, window_start, window_end,
                                        state, article_count, recipient, message_id, attempts,
                                        created_at)
                    SELECT id, :day, now(), now(), 'queued', 3, email, '', 0, now()
                      FROM subscribers
                     WHERE status = 'active' AND timezone = :tz AND digest_time = :hhmm
                    """
                ),
                {"day": slot.local_date, "tz": slot.timezone, "hhmm": slot.digest_time},
            )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE subscribers"))
        conn.execute(text("VACUUM ANALYZE outbox"))
    engine.dispose()


def _groups(engine) -> list[tuple[str, str]]:
    with engine.connect() as conn:
        return groups(conn)


def _tick(url: str) -> None:
    engine = store.open_engine(url)
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))

        def find() -> object:
            return find_due(conn, TICK)

        groups_time, found_groups = _best(lambda: groups(conn), 5)
        tick_time, editions = _best(find, 5)
        first_time, first = _best(lambda: find_due(conn, TICK + timedelta(days=1)), 1)
    engine.dispose()
    due = sum(len(e.subscriber_ids) for e in editions)  # type: ignore[attr-defined]
    backlog = sum(len(e.subscriber_ids) for e in first)  # type: ignore[attr-defined]
    print(
        f"   {len(found_groups)} (timezone, time) groups read:   {groups_time * 1000:8.1f} ms"  # type: ignore[arg-type]
    )
    print(
        f"   digest tick, {SUBSCRIBERS:,} subscribers: {tick_time * 1000:8.1f} ms"
        f" to find {due:,} due (target <= 1000 ms)"
    )
    print(
        f"   tick with a whole day owed:         {first_time * 1000:8.1f} ms"
        f" to find {backlog:,} due"
    )


def _poll() -> None:
    try:
        from syndicate.feeds import poll  # type: ignore[attr-defined]
    except ImportError:
        print(
            "   poll with nothing new: skipped (syndicate.feeds.poll is not available)", flush=True
        )
        return
    from syndicate.clock import SystemClock
    from syndicate.importer import import_paths

    examples = Path(__file__).resolve().parent.parent / "examples"
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "config.toml").write_text(
            '[[sections]]\nslug = "world"\ntitle = "World"\n'
            '[[sections]]\nslug = "politics"\ntitle = "Politics"\n'
            '[[sections]]\nslug = "mundo"\ntitle = "Mundo"\n'
        )
        settings = config.load(root / "config.toml", env={})
        engine = store.open_engine(settings.database.url)
        store.migrate(engine)
        clock = SystemClock()
        import_paths(engine, settings, [examples / "articles"], clock)
        poll(engine, settings, clock)
        elapsed, _ = _best(lambda: poll(engine, settings, clock), 50)
        engine.dispose()
    print(f"   poll with nothing new (SQLite):     {elapsed * 1000:8.2f} ms (target <= 5 ms)")


def run() -> None:
    _poll()
    base = os.environ.get("SYNDICATE_TEST_POSTGRES_URL")
    if not base:
        print("   digest tick: skipped (set SYNDICATE_TEST_POSTGRES_URL to a PostgreSQL server)")
        return
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    name = f"syndicate_bench_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(base).set(database=name).render_as_string(hide_password=False)
    try:
        started = time.perf_counter()
        _fill(url)
        print(
            f"   loaded {SUBSCRIBERS:,} subscribers + outbox in {time.perf_counter() - started:.1f} s"
        )
        _tick(url)
    finally:
        with admin.connect() as conn:
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            )
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()
