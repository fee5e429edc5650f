"""One digest tick with 1,000,000 subscribers in PostgreSQL, and a poll with nothing new.

Needs PostgreSQL: set SYNDICATE_TEST_POSTGRES_URL (`make bench` sets it when one
answers on 127.0.0.1:5432). A fresh database is created, filled with
generate_series, and dropped at the end.
"""

from __future__ import annotations

import json
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select, text, update

from syndicate import config, store
from syndicate.clock import FixedClock
from syndicate.digest.due import due_groups, find_due, groups
from syndicate.schedule.tick import digest_tick
from syndicate.store.tables import articles

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
                INSERT INTO outbox (kind, key, subscriber_id, edition_date, window_start,
                                    window_end, state, article_count, recipient, message_id,
                                    attempts, created_at)
                SELECT 'digest', id || '/' || CAST(:day AS date), id, :day, now(), now(), 'sent',
                       3, email, '', 1, now()
                  FROM subscribers WHERE status = 'active'
                """
            ),
            {"day": (TICK - timedelta(days=1)).date()},
        )
        for slot in earlier:
            conn.execute(
                text(
                    "INSERT INTO digest_slots (edition_date, timezone, digest_time, done_at) "
                    "VALUES (:day, :tz, :hhmm, now())"
                ),
                {"day": slot.local_date, "tz": slot.timezone, "hhmm": slot.digest_time},
            )
            conn.execute(
                text(
                    """
                    INSERT INTO outbox (kind, key, subscriber_id, edition_date, window_start,
                                        window_end, state, article_count, recipient, message_id,
                                        attempts, created_at)
                    SELECT 'digest', id || '/' || CAST(:day AS date), id, :day, now(), now(),
                           'queued', 3, email, '', 0, now()
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
    settings = config.from_mapping(
        {"sections": [{"slug": "world", "title": "World"}]}, base_dir=Path(".")
    )
    found: list[int] = []

    def enqueue(engine: Any, settings: Any, clock: Any, day: Any, ids: list[int]) -> None:
        found.extend(ids)  # the digest step itself is measured by bench_digest

    def tick() -> object:
        found.clear()
        report = digest_tick(engine, settings, FixedClock(TICK), enqueue)
        # Forget the slots this tick finished, so every repeat does the same work.
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM digest_slots WHERE done_at >= :t"), {"t": TICK})
        return report

    with engine.connect() as conn:
        groups_time, found_groups = _best(lambda: groups(conn), 5)
        full_time, owed = _best(lambda: find_due(conn, TICK + timedelta(days=1)), 1)
    tick_time, report = _best(tick, 5)
    engine.dispose()
    backlog = sum(len(e.subscriber_ids) for e in owed)  # type: ignore[attr-defined]
    print(f"   {len(found_groups)} send slots (timezone, time) read: {groups_time * 1000:8.1f} ms")  # type: ignore[arg-type]
    print(
        f"   digest tick, {SUBSCRIBERS:,} subscribers:   {tick_time * 1000:8.1f} ms"
        f" to find the {report.enqueued:,} due (target <= 1000 ms)"  # type: ignore[attr-defined]
    )
    print(f"   a whole day owed (no slot done yet): {full_time * 1000:8.1f} ms to find {backlog:,}")


ARTICLES = 5_000
SECTIONS = (
    '[[sections]]\nslug = "world"\ntitle = "World"\n'
    '[[sections]]\nslug = "politics"\ntitle = "Politics"\n'
    '[[sections]]\nslug = "mundo"\ntitle = "Mundo"\n'
)


def _poll(url: str | None) -> None:
    """A poll when nothing changed since the last one, with ARTICLES in the store."""
    from syndicate.clock import SystemClock
    from syndicate.feeds import poll
    from syndicate.importer import import_paths

    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        database = f'[database]\nurl = "{url}"\n' if url else ""
        (root / "config.toml").write_text(database + SECTIONS)
        settings = config.load(root / "config.toml", env={})
        engine = store.open_engine(settings.database.url)
        store.migrate(engine)
        source = root / "articles.jsonl"
        with source.open("w") as out:
            for i in range(ARTICLES):
                record = {
                    "url": f"https://news.example.org/a/{i}",
                    "section": ("world", "politics", "mundo")[i % 3],
                    "headline": f"Headline {i}",
                    "lede": f"Lede {i}.",
                    "body": "<p>Body.</p>",
                    "published_at": "2026-11-27T10:00:00Z",
                }
                out.write(json.dumps(record) + "\n")
        clock = SystemClock()
        import_paths(engine, settings, [source], clock)
        # A newsroom's pace: the articles came in over the last five days, not at once.
        spread = timedelta(days=5) / ARTICLES
        with engine.begin() as conn:
            for article_id in conn.execute(select(articles.c.id)).scalars().all():
                moment = clock.now() - timedelta(hours=1) - spread * article_id
                conn.execute(
                    update(articles)
                    .where(articles.c.id == article_id)
                    .values(changed_at=moment, first_seen_at=moment)
                )
        poll(engine, settings, clock)
        elapsed, _ = _best(lambda: poll(engine, settings, clock), 50)
        engine.dispose()
    where = "PostgreSQL" if url else "SQLite"
    print(
        f"   poll with nothing new ({where}, {ARTICLES:,} articles): "
        f"{elapsed * 1000:6.2f} ms (target <= 5 ms)"
    )


def run() -> None:
    _poll(None)
    base = os.environ.get("SYNDICATE_TEST_POSTGRES_URL")
    if not base:
        print("   digest tick: skipped (set SYNDICATE_TEST_POSTGRES_URL to a PostgreSQL server)")
        return
    with store.scratch_database(base, "syndicate_bench") as url:
        started = time.perf_counter()
        _fill(url)
        print(
            f"   loaded {SUBSCRIBERS:,} subscribers + outbox in {time.perf_counter() - started:.1f} s"
        )
        _tick(url)
        _poll(url)
