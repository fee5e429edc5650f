"""A feed file larger than the in-memory limit is still served (streamed from disk), never 404."""

from __future__ import annotations

from pathlib import Path

import pytest

from syndicate.web import feedcache
from tests.web.conftest import Web
from tests.web.feedfiles import publish

LIMIT = 4096
BIG = (
    b"<?xml version='1.0'?>\n<rss version='2.0'><channel>"
    + b"<x/>" * 50_000
    + b"</channel></rss>\n"
)
OTHER = BIG.replace(b"<x/>", b"<y/>")


@pytest.fixture
def web(start_web, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Web:
    monkeypatch.setattr(feedcache, "MAX_FILE_BYTES", LIMIT)
    feeds = tmp_path / "var" / "public" / "feeds"
    publish(feeds, "world", "rss.xml", BIG)
    publish(feeds, "world", "atom.xml", b"<feed xmlns='http://www.w3.org/2005/Atom'/>\n")
    return start_web(feed_check_seconds=0)


def test_a_large_feed_is_streamed_with_its_validators(web: Web) -> None:
    response = web.http.get("/feeds/world/rss.xml", headers={"accept-encoding": "gzip"})
    assert response.status_code == 200
    assert response.content == BIG
    assert response.headers["content-length"] == str(len(BIG))
    assert "content-encoding" not in response.headers
    assert response.headers["content-type"] == "application/rss+xml; charset=utf-8"
    etag = response.headers["etag"]
    again = web.http.get("/feeds/world/rss.xml", headers={"if-none-match": etag})
    assert again.status_code == 304 and again.content == b""
    since = web.http.get(
        "/feeds/world/rss.xml", headers={"if-modified-since": response.headers["last-modified"]}
    )
    assert since.status_code == 304
    head = web.http.head("/feeds/world/rss.xml")
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == str(len(BIG))
    # A small file next to it is still answered from memory, gzip and all.
    small = web.http.get("/feeds/world/atom.xml", headers={"accept-encoding": "gzip"})
    assert small.status_code == 200 and small.headers["content-encoding"] == "gzip"


def test_a_browser_gets_the_large_feed_as_xml(web: Web) -> None:
    response = web.http.get("/feeds/world/rss.xml", headers={"accept": "text/html"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/xml; charset=utf-8"
    assert response.content == BIG


def test_a_replaced_large_feed_serves_the_new_file(web: Web) -> None:
    first = web.http.get("/feeds/world/rss.xml")
    publish(web.feeds, "world", "rss.xml", OTHER)
    second = web.http.get("/feeds/world/rss.xml", headers={"if-none-match": first.headers["etag"]})
    assert second.status_code == 200
    assert second.content == OTHER
    assert second.headers["etag"] != first.headers["etag"]
