"""`syndicate run` as a real process: serves, schedules, reloads on SIGHUP, stops on SIGTERM."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.cli import syndicate
from tests.conftest import ROOT, write_config
from tests.feed_fetch import get_feed
from tests.run_process import RunningService

pytestmark = pytest.mark.slow


def _syndicate(config_path: Path, *args: str) -> None:
    done = syndicate(config_path, *args)
    assert done.returncode == 0, done.stderr


@pytest.fixture
def service(tmp_path: Path) -> Iterator[tuple[RunningService, Path]]:
    path = write_config(tmp_path, "[schedule]\npoll_seconds = 1\n")
    _syndicate(path, "init")
    _syndicate(path, "import", str(ROOT / "examples" / "articles"))
    running = RunningService(path)
    try:
        yield running, path
    finally:
        running.close()


def test_serves_feeds_reloads_and_stops_cleanly(service: tuple[RunningService, Path]) -> None:
    running, path = service
    running.wait_for("feeds: world: written")
    response = get_feed(running.url + "/feeds/world/rss.xml")
    assert b"<rss" in response.content

    # A broken config is refused and the running one stays.
    good = path.read_text()
    path.write_text(good + "\n[feeds]\nitmes = 3\n")
    mark = len(running.lines)
    running.send(signal.SIGHUP)
    assert "itmes" in running.wait_for("config reload failed", after=mark)
    assert httpx.get(f"{running.url}/healthz", timeout=10).status_code == 200

    # A valid one is taken.
    path.write_text(good.replace('title = "Test News"', 'title = "Reloaded News"'))
    mark = len(running.lines)
    running.send(signal.SIGHUP)
    running.wait_for("config reloaded", after=mark)

    assert running.stop(signal.SIGTERM) == 0
    assert running.stop_seconds < 30
    assert "stopped" in running.lines[-1]
    assert "Traceback" not in running.log, running.log


def test_sigint_stops_too(service: tuple[RunningService, Path]) -> None:
    running, _ = service
    assert running.stop(signal.SIGINT) == 0
    assert "SIGINT received" in running.log


def test_refuses_a_database_that_is_not_initialised(tmp_path: Path) -> None:
    done = syndicate(write_config(tmp_path), "run", "--port", "0", timeout=60)
    assert done.returncode == 1
    assert "syndicate init" in done.stderr
