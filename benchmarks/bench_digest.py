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

from syndicate import config
from syndicate.digest import DigestRenderer, select_edition
from tests.conftest import write_config
from tests.digest_data import NOW, article, subscriber

SUBSCRIBERS = 10_000
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


def run() -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = write_config(Path(folder))
        settings = config.load(path, env={"SYNDICATE_SECRET": "bench-secret"})
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
