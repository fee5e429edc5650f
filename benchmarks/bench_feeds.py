"""Feed building and publishing: 50-item sections with ~4 KB bodies, 200 sections (SQLite)."""

from __future__ import annotations

import statistics
import tempfile
import time
from dataclasses import fields
from datetime import UTC, datetime, timedelta
from pathlib import Path

from syndicate import config, store
from syndicate.articles import Article, parse_json
from syndicate.clock import FixedClock
from syndicate.feeds import build_section_feeds, entries, poll, publish
from syndicate.feeds.build import build_feeds
from syndicate.store import articles as article_store

SECTIONS = 200
ITEMS = 50
BODY = "<p>" + ("Lorem ipsum dolor sit amet, consectetur adipiscing elit. " * 70) + "</p>"
START = datetime(2026, 11, 28, 6, 0, tzinfo=UTC)


def _record(section: int, number: int) -> dict[str, object]:
    return {
        "url": f"https://news.example.org/s{section}/story-{number}",
        "section": f"s{section}",
        "headline": f"Headline {number} of section {section} with <em>markup</em>",
        "lede": f"Lede {number} that stops mid",
        "body": BODY,
        "image": {"url": f"https://img.example.org/{section}/{number}.jpg", "alt": "An image"},
        "byline": "Ana Quispe",
        "published_at": (START - timedelta(minutes=number)).isoformat(),
    }


def _settings(root: Path) -> config.Settings:
    sections = "".join(
        f'[[sections]]\nslug = "s{n}"\ntitle = "Section {n}"\n' for n in range(SECTIONS)
    )
    (root / "config.toml").write_text(
        '[server]\npublic_url = "https://feeds.example.org"\n' + sections, encoding="utf-8"
    )
    return config.load(root / "config.toml", env={})


def _timed_ms(action, runs: int) -> str:
    """Median and best of ``runs``: the machine is shared, the best shows the code's own cost."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return f"median {statistics.median(times):.1f} ms, best {min(times):.1f} ms"


def run() -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        settings = _settings(root)
        records = [parse_json(_record(0, n), settings) for n in range(ITEMS)]
        articles = []
        for n, record in enumerate(records):
            data = {f.name: getattr(record, f.name) for f in fields(record)}
            data.update(id=n, first_seen_at=START, updated_at=START)
            articles.append(Article(**data))
        size = sum(len(b) for b in build_section_feeds(settings, "s0", articles, START).values())

        def cold() -> None:  # as in a build of every section: nothing kept or reused
            entries._entry.cache_clear()
            build_feeds(settings, "s0", articles, START, reuse_entries=False)

        print(
            f"   build one {ITEMS}-item section, RSS + Atom + JSON ({size / 1024:.0f} KB), "
            "target <= 25 ms:"
        )
        print(f"     entries cleaned and built afresh:        {_timed_ms(cold, 30)}")
        warm = _timed_ms(lambda: build_section_feeds(settings, "s0", articles, START), 30)
        print(f"     entries from before (as in a republish): {warm}")

        engine = store.open_engine(settings.database.url)
        store.migrate(engine)
        clock = FixedClock(START)
        everything = [
            parse_json(_record(s, n), settings) for s in range(SECTIONS) for n in range(ITEMS)
        ]
        with engine.begin() as conn:
            article_store.upsert(conn, everything, clock.now())
        started = time.perf_counter()
        first = publish(engine, settings, clock)
        full = time.perf_counter() - started
        print(
            f"   first build of {SECTIONS} sections + all ({SECTIONS * ITEMS:,} articles): "
            f"{full:.2f} s, {len(first.written)} sections written"
        )

        def change_one() -> None:
            clock.advance(seconds=1)
            edited = dict(
                _record(17, 3),
                headline=f"Updated at {clock.now():%H:%M:%S}",
                published_at=clock.now().isoformat(),  # now the newest story: all changes too
            )
            with engine.begin() as conn:
                changed = article_store.upsert(conn, [parse_json(edited, settings)], clock.now())
            report = publish(engine, settings, clock, sections=changed.changed_sections)
            assert sorted(report.written) == ["all", "s17"], report.written

        print(
            "   store one changed article + republish its section and all (target <= 100 ms): "
            + _timed_ms(change_one, 15)
        )

        def poll_one() -> None:
            clock.advance(minutes=5)
            edited = dict(
                _record(42, 7),
                headline=f"Polled at {clock.now():%H:%M:%S}",
                published_at=clock.now().isoformat(),
            )
            with engine.begin() as conn:
                article_store.upsert(conn, [parse_json(edited, settings)], clock.now())
            report = poll(engine, settings, clock)
            assert sorted(report.written) == ["all", "s42"], report.written

        print(f"   the same through the poll step (changed_at index): {_timed_ms(poll_one, 10)}")
        print(
            f"   rebuild all {SECTIONS} sections, nothing changed: "
            + _timed_ms(lambda: publish(engine, settings, clock), 2)
        )
        engine.dispose()
