"""Articles imported per second from a 10,000-article JSON Lines file (SQLite)."""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

from syndicate import config, store
from syndicate.clock import SystemClock
from syndicate.importer import import_paths

COUNT = 10_000
SECTIONS = '[[sections]]\nslug = "world"\ntitle = "World"\n[[sections]]\nslug = "politics"\ntitle = "Politics"\n'


def run() -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "config.toml").write_text(SECTIONS)
        settings = config.load(root / "config.toml", env={})
        source = root / "articles.jsonl"
        body = "<p>" + ("Lorem ipsum dolor sit amet, consectetur adipiscing elit. " * 70) + "</p>"
        with source.open("w") as out:
            for i in range(COUNT):
                record = {
                    "url": f"https://news.example.org/world/{i}",
                    "section": "world" if i % 2 else "politics",
                    "headline": f"Headline number {i} with <em>markup</em>",
                    "lede": f"Lede {i} that stops mid",
                    "body": body,
                    "image": {"url": f"https://img.example.org/{i}.jpg", "alt": "An image"},
                    "published_at": "2026-11-27T10:00:00Z",
                }
                out.write(json.dumps(record) + "\n")
        engine = store.open_engine(settings.database.url)
        store.migrate(engine)
        started = time.perf_counter()
        report = import_paths(engine, settings, [source], SystemClock())
        first = time.perf_counter() - started
        started = time.perf_counter()
        again = import_paths(engine, settings, [source], SystemClock())
        second = time.perf_counter() - started
        assert report.new == COUNT and again.unchanged == COUNT
        print(
            f"   import {COUNT} new articles (~4 KB bodies): {first:.2f} s = {COUNT / first:,.0f} articles/s (target >= 1,000/s)"
        )
        print(
            f"   re-import, all unchanged:                {second:.2f} s = {COUNT / second:,.0f} articles/s"
        )
        engine.dispose()
