"""Digests per second: selection + rendering + message bytes for 10,000 subscribers, one core.

A 15-article edition (every section, English and Spanish readers, images on
most articles), messages streamed and dropped as a delivery batch would be.
Peak memory is measured with tracemalloc for 2,000 and 10,000 subscribers: it
must not grow with the number of subscribers.
"""

from __future__ import annotations

import tempfile
import time
import tracemalloc
from datetime import timedelta
from pathlib import Path

from sqlalchemy import insert

from syndicate import config, store
from syndicate.articles import parse_json
from syndicate.clock import FixedClock
from syndicate.digest import DigestRenderer, select_edition
from syndicate.digest.edition import enqueue_editions
from syndicate.store.articles import upsert
from syndicate.store.tables import subscribers
from tests.conftest import write_config
from tests.digest_data import NOW, article, subscriber

SUBSCRIBERS = 10_000
ENQUEUE = 5_000
SECTIONS = ("world", "politics", "mundo")


def edition_articles() -> list:
    return [
        article(
            i,
            (SECTIONS[i % 3],),
            headline=f"Story {i}: dockworkers, budgets and summits make the news on a busy day",
            lede="A lede of about two sentences that tells the reader what happened and why it matters. "
            * 2,
            byline="Ana Quispe",
            image_url=f"https://images.example.org/2026/11/{i}.jpg" if i % 4 else None,
            image_alt="A photograph",
            first_seen_at=NOW - timedelta(minutes=30 * i),
        )
        for i in range(1, 16)
    ]


def run_pass(settings: config.Settings, count: int) -> tuple[float, int]:
    articles = edition_articles()
    renderer = DigestRenderer(settings)
    total_bytes = 0
    started = time.perf_counter()
    for number in range(1, count + 1):
        reader = subscriber(number, language="es" if number % 2 else "en")
        edition = select_edition(reader, articles, None, NOW, settings)
        total_bytes += len(renderer.message(edition, reader).message)
    return time.perf_counter() - started, total_bytes


def peak_memory(settings: config.Settings, count: int) -> int:
    tracemalloc.start()
    try:
        run_pass(settings, count)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def enqueue_pass(folder: Path, count: int) -> float:
    """enqueue_editions end to end on SQLite: read subscribers, select, render, insert rows."""
    path = write_config(folder, database_url=f"sqlite:///{folder / 'bench.db'}")
    settings = config.load(path, env={"SYNDICATE_SECRET": "bench-secret"})
    engine = store.open_engine(settings.database.url)
    store.migrate(engine)
    with engine.begin() as conn:
        upsert(
            conn,
            [
                parse_json(
                    {
                        "url": f"https://news.example.org/{i}",
                        "section": SECTIONS[i % 3],
                        "headline": f"Story {i}",
                        "lede": "A lede.",
                    },
                    settings,
                )
                for i in range(15)
            ],
            NOW - timedelta(hours=1),
        )
        conn.execute(
            insert(subscribers),
            [
                {
                    "email": f"r{i}@example.org",
                    "status": "active",
                    "all_sections": True,
                    "timezone": "America/Lima",
                    "language": "en",
                    "digest_time": "07:00",
                    "created_at": NOW,
                }
                for i in range(count)
            ],
        )
    started = time.perf_counter()
    report = enqueue_editions(engine, settings, FixedClock(NOW))
    seconds = time.perf_counter() - started
    assert report.queued == count, report
    engine.dispose()
    return seconds


def run() -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = write_config(Path(folder))
        settings = config.load(path, env={"SYNDICATE_SECRET": "bench-secret"})
        queued = enqueue_pass(Path(folder), ENQUEUE)
    run_pass(settings, 200)  # warm up: compile templates, import modules
    seconds, size = run_pass(settings, SUBSCRIBERS)
    print(
        f"   {SUBSCRIBERS:,} digests of 15 articles: {seconds:.2f} s = "
        f"{SUBSCRIBERS / seconds:,.0f} digests/s (target >= 2,000/s), "
        f"{size / SUBSCRIBERS / 1024:.1f} KB each"
    )
    small, large = peak_memory(settings, 2_000), peak_memory(settings, SUBSCRIBERS)
    print(
        f"   peak traced memory: {small / 1e6:.1f} MB for 2,000 subscribers, "
        f"{large / 1e6:.1f} MB for {SUBSCRIBERS:,} (flat: messages are streamed)"
    )
    print(
        f"   enqueue_editions into SQLite, {ENQUEUE:,} subscribers: {queued:.2f} s = "
        f"{ENQUEUE / queued:,.0f} outbox rows/s"
    )
