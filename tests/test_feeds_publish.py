"""Publishing feeds to disk: only what changed, atomically, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import pytest
from sqlalchemy import Engine

from syndicate import config
from syndicate.articles import parse_json
from syndicate.clock import FixedClock
from syndicate.feeds import poll, publish
from syndicate.store import articles as article_store
from tests.cli import syndicate
from tests.conftest import article_json, write_config
from tests.feed_rules import all_problems

FILES = ("rss.xml", "atom.xml", "feed.json")


def store(engine: Engine, settings: config.Settings, clock: FixedClock, **fields: Any) -> set[str]:
    clock.advance(minutes=1)
    with engine.begin() as conn:
        result = article_store.upsert(
            conn, [parse_json(article_json(**fields), settings)], clock.now()
        )
    return result.changed_sections


def guids(settings: config.Settings, section: str) -> list[str]:
    feed = json.loads((Path(settings.feeds.output_dir) / section / "feed.json").read_bytes())
    return [item["id"].rsplit("/", 1)[-1] for item in feed["items"]]


def mtimes(settings: config.Settings) -> dict[str, int]:
    root = Path(settings.feeds.output_dir)
    return {str(p.relative_to(root)): p.stat().st_mtime_ns for p in root.rglob("*") if p.is_file()}


def story(number: int, section: str = "world", **fields: Any) -> dict[str, Any]:
    return {
        "url": f"https://news.example.org/story-{number}",
        "section": section,
        "headline": f"Story {number}",
        "published_at": f"2026-11-2{number % 8}T10:00:00Z",
        **fields,
    }


def test_first_build_writes_everything_and_a_rebuild_writes_nothing(
    engine: Engine, db_settings: config.Settings, clock: FixedClock
) -> None:
    store(engine, db_settings, clock, **story(1))
    store(engine, db_settings, clock, **story(2, "politics"))
    first = publish(engine, db_settings, clock)
    assert first.written == {slug: list(FILES) for slug in ("world", "politics", "mundo", "all")}
    assert first.stylesheet_written
    root = Path(db_settings.feeds.output_dir)
    assert (root / "feed.xsl").read_bytes().startswith(b"<?xml")
    for slug in ("world", "politics", "mundo", "all"):
        files = {name: (root / slug / name).read_bytes() for name in FILES}
        assert all_problems(files) == []
    assert guids(db_settings, "all") == ["story-2", "story-1"]
    assert not list(root.rglob("*.tmp"))
    before = mtimes(db_settings)

    clock.advance(hours=1)
    again = publish(engine, db_settings, clock)
    assert again.written == {}
    assert again.unchanged == ["world", "politics", "mundo", "all"]
    assert not again.stylesheet_written
    assert mtimes(db_settings) == before
    assert poll(engine, db_settings, clock).written == {}
    assert mtimes(db_settings) == before


def test_publish_given_sections_rebuilds_only_those_and_all(
    engine: Engine, db_settings: config.Settings, clock: FixedClock
) -> None:
    store(engine, db_settings, clock, **story(1))
    store(engine, db_settings, clock, **story(2, "politics"))
    publish(engine, db_settings, clock)
    changed = store(engine, db_settings, clock, **story(1, headline="Story 1, updated"))
    assert changed == {"world"}
    report = publish(engine, db_settings, clock, sections=changed)
    assert list(report.written) == ["world", "all"]
    assert report.unchanged == []
    world = json.loads((Path(db_settings.feeds.output_dir) / "world" / "feed.json").read_bytes())
    assert world["items"][0]["title"] == "Story 1, updated"


def test_poll_follows_moves_withdrawals_and_new_sections(
    engine: Engine, db_settings: config.Settings, clock: FixedClock
) -> None:
    assert poll(engine, db_settings, clock).written.keys() == {"world", "politics", "mundo", "all"}
    store(engine, db_settings, clock, **story(1))
    store(engine, db_settings, clock, **story(2))
    assert list(poll(engine, db_settings, clock).written) == ["world", "all"]
    assert guids(db_settings, "world") == ["story-2", "story-1"]

    # The article moves from world to politics: both feeds change, and all.
    store(engine, db_settings, clock, **story(1, section="politics"))
    report = poll(engine, db_settings, clock)
    assert sorted(report.written) == ["all", "politics", "world"]
    assert guids(db_settings, "world") == ["story-2"]
    assert guids(db_settings, "politics") == ["story-1"]

    # Withdrawn: it leaves every feed.
    store(engine, db_settings, clock, **story(2, withdrawn=True))
    assert sorted(poll(engine, db_settings, clock).written) == ["all", "world"]
    assert guids(db_settings, "world") == []
    assert guids(db_settings, "all") == ["story-1"]

    report = poll(engine, db_settings, clock)  # nothing changed since: nothing rebuilt
    assert report.written == {} and report.unchanged == []


def test_poll_catches_a_row_committed_late(
    engine: Engine, db_settings: config.Settings, clock: FixedClock
) -> None:
    store(engine, db_settings, clock, **story(1))
    store(engine, db_settings, clock, **story(2, "politics"))
    publish(engine, db_settings, clock)
    # A writer stamped its row two minutes ago but commits only now, after the build:
    # its changed_at is older than the newest one the last build saw.
    clock.advance(minutes=-3)
    store(engine, db_settings, clock, **story(3, "mundo"))
    clock.advance(minutes=3)
    report = poll(engine, db_settings, clock)
    assert sorted(report.written) == ["all", "mundo"]
    assert guids(db_settings, "mundo") == ["story-3"]
    assert poll(engine, db_settings, clock).unchanged == []


def test_poll_after_a_bulk_import_looks_only_at_newer_rows(
    engine: Engine, db_settings: config.Settings, clock: FixedClock
) -> None:
    for number in range(1, 6):
        store(engine, db_settings, clock, **story(number))
    publish(engine, db_settings, clock)
    store(engine, db_settings, clock, **story(9, "politics"))
    report = poll(engine, db_settings, clock)
    # world's articles changed a minute ago, but the last build already had them.
    assert list(report.written) == ["politics", "all"]
    assert report.unchanged == []


def test_missing_files_are_written_again(
    engine: Engine, db_settings: config.Settings, clock: FixedClock
) -> None:
    store(engine, db_settings, clock, **story(1))
    publish(engine, db_settings, clock)
    (Path(db_settings.feeds.output_dir) / "world" / "atom.xml").unlink()
    report = publish(engine, db_settings, clock)
    assert report.written == {"world": ["atom.xml"]}


# -- WebSub -----------------------------------------------------------------------------


class Hub:
    """A real HTTP server on 127.0.0.1 that records publish pings."""

    def __init__(self, status: int = 204) -> None:
        self.status = status
        self.pings: list[list[tuple[str, str]]] = []
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (the http.server API)
                length = int(self.headers["Content-Length"])
                assert self.headers["Content-Type"] == "application/x-www-form-urlencoded"
                hub.pings.append(parse_qsl(self.rfile.read(length).decode("ascii")))
                self.send_response(hub.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hub"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def hub() -> Iterator[Hub]:
    server = Hub()
    yield server
    server.close()


def hub_settings(tmp_path: Path, db_url: str, hub_url: str) -> config.Settings:
    path = write_config(tmp_path, f'[feeds]\nwebsub_hub = "{hub_url}"\n', database_url=db_url)
    return config.load(path, env={})


def test_websub_ping_lists_the_changed_feeds(
    engine: Engine, db_url: str, tmp_path: Path, clock: FixedClock, hub: Hub
) -> None:
    settings = hub_settings(tmp_path, db_url, hub.url)
    store(engine, settings, clock, **story(1))
    publish(engine, settings, clock)
    hub.pings.clear()
    store(engine, settings, clock, **story(1, headline="New title"))
    report = poll(engine, settings, clock)
    assert report.websub_error is None
    [ping] = hub.pings
    assert ping[0] == ("hub.mode", "publish")
    assert sorted(value for key, value in ping[1:] if key == "hub.url") == sorted(
        f"https://feeds.example.org/feeds/{slug}/{name}"
        for slug in ("world", "all")
        for name in FILES
    )
    assert len(ping) == 7
    publish(engine, settings, clock)  # nothing changed: no ping
    assert len(hub.pings) == 1


def test_a_hub_that_is_down_never_fails_the_build_and_is_retried(
    engine: Engine, db_url: str, tmp_path: Path, clock: FixedClock, hub: Hub
) -> None:
    hub.status = 503
    settings = hub_settings(tmp_path, db_url, hub.url)
    store(engine, settings, clock, **story(1))
    report = publish(engine, settings, clock)
    assert "503" in (report.websub_error or "")
    assert "world" in report.written
    assert len(hub.pings) == 1

    hub.status = 204
    retry = publish(engine, settings, clock)  # no feed changed, the ping is still owed
    assert retry.written == {} and retry.websub_error is None
    assert len(hub.pings) == 2 and hub.pings[1] == hub.pings[0]
    publish(engine, settings, clock)
    assert len(hub.pings) == 2


def test_an_unreachable_hub_is_logged(
    engine: Engine, db_url: str, tmp_path: Path, clock: FixedClock, caplog: Any
) -> None:
    closed = Hub()
    closed.close()  # nothing listens on this port any more
    settings = hub_settings(tmp_path, db_url, closed.url)
    store(engine, settings, clock, **story(1))
    report = publish(engine, settings, clock)
    assert "unreachable" in (report.websub_error or "")
    assert "will retry" in caplog.text
    assert report.written


# -- the command -------------------------------------------------------------------------


def test_feeds_build_command(tmp_path: Path) -> None:
    path = write_config(tmp_path)
    assert syndicate(path, "init").returncode == 0
    (tmp_path / "a.jsonl").write_text(json.dumps(story(1)) + "\n", encoding="utf-8")
    assert syndicate(path, "import", str(tmp_path / "a.jsonl")).returncode == 0
    first = syndicate(path, "feeds", "build")
    assert first.returncode == 0, first.stderr
    assert "world: written (rss.xml, atom.xml, feed.json)" in first.stdout
    assert "politics: written (rss.xml, atom.xml, feed.json)" in first.stdout
    second = syndicate(path, "feeds", "build")
    assert second.stdout.splitlines() == [
        "world: unchanged",
        "politics: unchanged",
        "mundo: unchanged",
        "all: unchanged",
    ]


def test_feeds_build_on_an_unwritable_folder(tmp_path: Path) -> None:
    (tmp_path / "blocked").write_text("a file where the folder should be")
    path = write_config(tmp_path, '[feeds]\noutput_dir = "blocked"\n')
    assert syndicate(path, "init").returncode == 0
    result = syndicate(path, "feeds", "build")
    assert result.returncode == 1
    assert "error: cannot write" in result.stderr
    assert "hint: check that [feeds] output_dir" in result.stderr
    assert "Traceback" not in result.stderr
