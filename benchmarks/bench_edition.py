"""Whole editions: what an edition costs the database, and how fast it goes out end to end.

- outbox bytes per subscriber per edition, on SQLite and (when SYNDICATE_TEST_POSTGRES_URL
  names a server) PostgreSQL, measured from the database size before and after the
  enqueue of a 2,000-subscriber edition (target <= 2 KB);
- the 10,000-subscriber edition end to end (`enqueue_editions`, then delivery with
  `[delivery] workers = 2` and 16 connections) against plain aiosmtplib sending as many
  messages over 16 connections to the same minimal sink, in the same run (target >= 80 %);
- SYNDICATE_BENCH_1M=1: the enqueue of a 1,000,000-subscriber edition on PostgreSQL, in a
  process of its own: time, database growth, peak RSS (targets <= 120 s, <= 2 GB, <= 256 MB).
The 100,000 edition end to end is in bench_delivery (SYNDICATE_BENCH_100K=1).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import resource
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text

from benchmarks.bench_delivery import CONNECTIONS, _plain, sink
from syndicate import config, store
from syndicate.articles import parse_json
from syndicate.clock import FixedClock, SystemClock
from syndicate.delivery import deliver_due
from syndicate.digest.edition import enqueue_editions
from syndicate.senders import make_sender
from syndicate.store.articles import upsert

POSTGRES = os.environ.get("SYNDICATE_TEST_POSTGRES_URL", "")
STORAGE_COUNT = 2_000
END_TO_END = 10_000
MILLION = 1_000_000


def settings_for(folder: Path, url: str, port: int = 25, workers: int = 2) -> config.Settings:
    path = folder / "config.toml"
    path.write_text(
        f'[database]\nurl = "{url}"\n'
        '[[sections]]\nslug = "world"\ntitle = "World"\n'
        '[[sections]]\nslug = "politics"\ntitle = "Politics"\n'
        '[digest]\nfrom = "News <news@example.org>"\n'
        f'[delivery]\ntransport = "smtp"\nconnections = {CONNECTIONS // workers}\n'
        f"workers = {workers}\nbatch_size = 500\n"
        f'[smtp]\nhost = "127.0.0.1"\nport = {port}\n'
    )
    return config.load(path, env={"SYNDICATE_SECRET": "bench-secret-of-at-least-32-characters"})


def fill(engine: Engine, settings: config.Settings, now: datetime, count: int) -> None:
    """15 stories in two sections; ``count`` readers, a third of them of World only."""
    store.migrate(engine)
    with engine.begin() as conn:
        upsert(
            conn,
            [
                parse_json(
                    {
                        "url": f"https://news.example.org/{i}",
                        "section": "world" if i % 2 else "politics",
                        "headline": f"Story {i}: what happened, and what comes next",
                        "lede": "A lede that says what happened and why it matters. " * 5,
                        "image": {"url": f"https://img.example.org/{i}.jpg", "alt": "A photo"},
                    },
                    settings,
                )
                for i in range(15)
            ],
            now - timedelta(hours=1),
        )
    add_readers(engine, now, count)


def add_readers(engine: Engine, now: datetime, count: int) -> None:
    created = now.astimezone(UTC).replace(tzinfo=None)
    columns = (
        "email, status, all_sections, timezone, language, digest_time, hard_bounces,"
        " created_at, link_key, unkeyed_links"
    )
    statement = text(
        f"INSERT INTO subscribers ({columns}) VALUES (:email, 'active', :all, 'America/Lima',"
        " 'en', '07:00', 0, :created, :key, false)"
    )
    step = 20_000
    for start in range(0, count, step):
        rows = [
            {"email": f"r{i}@example.net", "all": i % 3 != 0, "created": created, "key": f"k{i}"}
            for i in range(start, min(count, start + step))
        ]
        with engine.begin() as conn:
            conn.execute(statement, rows)
            world_only = [{"id": r["email"]} for r in rows if not r["all"]]
            if world_only:
                conn.execute(
                    text(
                        "INSERT INTO subscriber_sections (subscriber_id, section)"
                        " SELECT id, 'world' FROM subscribers WHERE email = :id"
                    ),
                    world_only,
                )


def database_bytes(engine: Engine) -> int:
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            return int(conn.execute(text("SELECT pg_database_size(current_database())")).scalar())
        pages = conn.execute(text("PRAGMA page_count")).scalar()
        size = conn.execute(text("PRAGMA page_size")).scalar()
        return int(pages) * int(size)


def _storage(url: str, label: str, folder: Path) -> None:
    now = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    settings = settings_for(folder, url)
    engine = store.open_engine(url)
    fill(engine, settings, now, STORAGE_COUNT)
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("CHECKPOINT"))
    before = database_bytes(engine)
    report = enqueue_editions(engine, settings, FixedClock(now))
    after = database_bytes(engine)
    engine.dispose()
    assert report.queued == STORAGE_COUNT, report.summary()
    per = (after - before) / STORAGE_COUNT
    print(
        f"   outbox storage, {label}, {STORAGE_COUNT:,}-subscriber edition: "
        f"{per / 1000:.2f} KB per subscriber (database {before / 1e6:.1f} -> "
        f"{after / 1e6:.1f} MB; target <= 2 KB)"
    )


def _cpu_seconds() -> float:
    """CPU of this process and of its worker processes that have ended."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    workers = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + workers.ru_utime + workers.ru_stime


def _deliver_child(settings: config.Settings, results: Any) -> None:
    engine = store.open_engine(settings.database.url)
    clock = SystemClock()
    started = time.perf_counter()
    queued = enqueue_editions(engine, settings, clock)
    enqueued = time.perf_counter()
    cpu = _cpu_seconds()
    report = deliver_due(engine, settings, clock, make_sender)
    done = time.perf_counter()
    cpu = _cpu_seconds() - cpu
    engine.dispose()
    results.put((queued.queued, report.sent, enqueued - started, done - enqueued, cpu))


def end_to_end(settings: config.Settings) -> tuple[int, int, float, float, float]:
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    child = context.Process(target=_deliver_child, args=(settings, results))
    child.start()
    outcome = results.get(timeout=1800)
    child.join()
    return outcome


def edition_against_plain(folder: Path, count: int, label: str) -> None:
    with sink("minimal") as port:
        settings = settings_for(folder, f"sqlite:///{folder / 'edition.db'}", port)
        engine = store.open_engine(settings.database.url)
        fill(engine, settings, SystemClock().now(), count)
        engine.dispose()
        plain_cpu = time.process_time()
        before = asyncio.run(_plain(port, count // 2))
        plain_cpu = time.process_time() - plain_cpu
        queued, sent, enqueue_s, deliver_s, deliver_cpu = end_to_end(settings)
        after = asyncio.run(_plain(port, count // 2))
    assert queued == sent == count, (queued, sent)
    plain = (before + after) / 2
    rate = count / (enqueue_s + deliver_s)
    print(
        f"   {label}: enqueue {enqueue_s:.1f} s + deliver {deliver_s:.1f} s "
        f"= {rate:,.0f} msg/s end to end; plain aiosmtplib {plain:,.0f} msg/s "
        f"(before {before:,.0f}, after {after:,.0f}) -> {rate / plain:.0%} (target >= 80 %)"
    )
    # Less noisy than rates on a shared machine: CPU per message, all processes counted.
    print(
        f"   CPU per message: delivery {deliver_cpu / sent * 1e6:,.0f} us (both workers), "
        f"plain aiosmtplib {plain_cpu / (count // 2) * 1e6:,.0f} us"
    )


def _million_child(url: str, folder: str, results: Any) -> None:
    settings = settings_for(Path(folder), url)
    engine = store.open_engine(url)
    now = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    before = database_bytes(engine)
    started = time.perf_counter()
    report = enqueue_editions(engine, settings, FixedClock(now))
    seconds = time.perf_counter() - started
    after = database_bytes(engine)
    engine.dispose()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    results.put((report.queued, seconds, after - before, peak))


def million(folder: Path) -> None:
    with store.scratch_database(POSTGRES, "syndicate_bench_1m") as url:
        settings = settings_for(folder, url)
        engine = store.open_engine(url)
        started = time.perf_counter()
        fill(engine, settings, datetime(2026, 11, 28, 12, 0, tzinfo=UTC), MILLION)
        with engine.connect() as conn:
            conn.execute(text("ANALYZE"))
            conn.commit()
        engine.dispose()
        print(f"   (1,000,000 readers added in {time.perf_counter() - started:.0f} s)", flush=True)
        context = multiprocessing.get_context("spawn")
        results = context.Queue()
        child = context.Process(target=_million_child, args=(url, str(folder), results))
        child.start()
        queued, seconds, growth, peak = results.get(timeout=3600)
        child.join()
    assert queued == MILLION, queued
    print(
        f"   1,000,000-subscriber enqueue, PostgreSQL: {seconds:.0f} s (target <= 120 s), "
        f"database +{growth / 1e9:.2f} GB (target <= 2 GB), "
        f"peak RSS {peak / 1e6:.0f} MB (target <= 256 MB)"
    )


def run() -> None:
    with tempfile.TemporaryDirectory() as folder:
        _storage(f"sqlite:///{Path(folder) / 'storage.db'}", "SQLite", Path(folder))
    if POSTGRES:
        with tempfile.TemporaryDirectory() as folder, store.scratch_database(POSTGRES) as url:
            _storage(url, "PostgreSQL", Path(folder))
    else:
        print("   (set SYNDICATE_TEST_POSTGRES_URL for the PostgreSQL storage figure)")
    with tempfile.TemporaryDirectory() as folder:
        edition_against_plain(
            Path(folder), END_TO_END, f"{END_TO_END:,}-subscriber edition, workers = 2"
        )
    if os.environ.get("SYNDICATE_BENCH_1M") == "1" and POSTGRES:
        with tempfile.TemporaryDirectory() as folder:
            million(Path(folder))
    else:
        print("   (SYNDICATE_BENCH_1M=1 with PostgreSQL adds the 1,000,000-subscriber enqueue)")
