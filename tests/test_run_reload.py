"""SIGHUP under the real `syndicate run`: what the feeds show changes at once, the address never moves."""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import feedparser
import httpx
import pytest

from tests.cli import syndicate
from tests.conftest import ROOT, write_config
from tests.run_process import RunningService

pytestmark = pytest.mark.slow

FEEDS = ("world", "politics", "mundo", "all")
KICKER = "<p>{{ article.headline }}</p>\n<p>{{ article.kicker }}</p>\n"


def entry_ids(base: str, slug: str) -> tuple[list[str], str]:
    """A feed's entry ids and self link; the server notices new files within a second or so."""
    deadline = time.monotonic() + 10
    while True:
        response = httpx.get(f"{base}/feeds/{slug}/atom.xml", timeout=10)
        if response.status_code == 200 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert response.status_code == 200, response.text
    parsed = feedparser.parse(response.content)
    self_link = next(link.href for link in parsed.feed.links if link.rel == "self")
    return [entry.id for entry in parsed.entries], self_link


def wait_until(check, within: float = 15) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + within
    while not check():
        assert time.monotonic() < deadline, "not within the time allowed"
        time.sleep(0.2)


@pytest.fixture
def service(tmp_path: Path) -> Iterator[tuple[RunningService, Path]]:
    # A poll an hour apart: only the reload itself can rebuild the feeds in this test.
    path = write_config(tmp_path, "[schedule]\npoll_seconds = 3600\n")
    path.write_text(
        path.read_text().replace('public_url = "https://feeds.example.org"', 'public_url = ""')
    )
    for args in (("init",), ("import", str(ROOT / "examples" / "articles"))):
        done = syndicate(path, *args)
        assert done.returncode == 0, done.stderr
    running = RunningService(path)
    try:
        yield running, path
    finally:
        running.close()


def test_sighup_with_fewer_items_republishes_every_section_at_once(
    service: tuple[RunningService, Path],
) -> None:
    running, path = service
    running.wait_for("feeds: all: written")
    before = {slug: entry_ids(running.url, slug) for slug in FEEDS}
    # Links name the port actually served (the command line said --port 0).
    assert all(link.startswith(running.url + "/feeds/") for _, link in before.values())
    assert len(before["all"][0]) > 1 and len(before["world"][0]) > 1

    text = path.read_text() + "\n[feeds]\nitems = 1\n"
    path.write_text(text.replace('public_url = ""', 'port = 9\npublic_url = ""'))
    mark = len(running.lines)
    running.send(signal.SIGHUP)
    warning = running.wait_for("config reload: [server] port", after=mark)
    assert warning.endswith(
        f"[server] port changed to 9; it takes effect after a restart "
        f"(still serving {running.url}, links stay at {running.url})"
    )
    running.wait_for("config reloaded", after=mark)

    def republished() -> bool:
        return all(len(entry_ids(running.url, slug)[0]) == 1 for slug in FEEDS)

    wait_until(republished)
    for slug in FEEDS:
        ids, link = entry_ids(running.url, slug)
        assert ids == before[slug][0][:1]  # the same newest article, nothing else changed
        assert link == before[slug][1]  # and still the address being served
    assert running.stop() == 0
    assert "Traceback" not in running.log


def test_sighup_with_a_broken_template_keeps_the_loaded_ones(
    service: tuple[RunningService, Path],
) -> None:
    running, path = service
    running.wait_for("feeds: all: written")
    # The web edition of a date holds the 24 hours before that date's 07:00 send time:
    # later in the day, what was just imported is in tomorrow's.
    now = datetime.now(ZoneInfo("America/Lima"))
    today = (now.date() + timedelta(days=now.hour >= 7)).isoformat()
    page = httpx.get(f"{running.url}/digests/{today}", timeout=10)
    assert page.status_code == 200 and "Dockworkers halt three Pacific ports" in page.text

    folder = path.parent / "overrides"
    folder.mkdir()
    # The override sits where the running templates are searched only after a reload.
    (folder / "_article.html.j2").write_text(KICKER, encoding="utf-8")
    path.write_text(path.read_text() + '\n[digest]\ntemplates_dir = "overrides"\n')
    mark = len(running.lines)
    running.send(signal.SIGHUP)
    failed = running.wait_for("config reload failed", after=mark)
    assert failed.endswith(
        "config reload failed, keeping the running config and templates: template "
        f"{folder / '_article.html.j2'}:2: "
        "'syndicate.digest.render.ArticleView object' has no attribute 'kicker'"
    )
    again = httpx.get(f"{running.url}/digests/{today}", timeout=10)
    assert again.status_code == 200 and again.text == page.text

    # Fixed, it is taken at the next reload and used at once.
    (folder / "_article.html.j2").write_text("<p>Fixed: {{ article.headline }}</p>\n")
    mark = len(running.lines)
    running.send(signal.SIGHUP)
    running.wait_for("config reloaded", after=mark)
    fixed = httpx.get(f"{running.url}/digests/{today}", timeout=10)
    assert "Fixed: Dockworkers halt three Pacific ports" in fixed.text
    assert running.stop() == 0
    assert "Traceback" not in running.log
