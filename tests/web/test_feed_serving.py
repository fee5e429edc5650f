"""Feed files over real HTTP: media types, validators, 304s, gzip, HEAD, traversal, refresh."""

from __future__ import annotations

import gzip
import os
from email.utils import formatdate
from pathlib import Path

import pytest
from lxml import html

from tests.web.conftest import Web
from tests.web.feedfiles import RSS, publish
from tests.web.server import raw_request

ATOM = b'<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom"><title>World</title></feed>\n'
JSON = b'{"version": "https://jsonfeed.org/version/1.1", "title": "World", "items": []}\n'


@pytest.fixture
def web(start_web, tmp_path: Path) -> Web:
    feeds = tmp_path / "var" / "public" / "feeds"
    publish(feeds, "world", "rss.xml", RSS * 20)
    publish(feeds, "world", "atom.xml", ATOM)
    publish(feeds, "world", "feed.json", JSON)
    publish(feeds, "all", "rss.xml", RSS)
    (feeds / "rss.xsl").write_bytes(b"<xsl:stylesheet/>")
    (tmp_path / "secret.txt").write_text("do not serve")
    return start_web(feed_check_seconds=0)


@pytest.mark.parametrize(
    ("path", "media_type", "body"),
    [
        ("/feeds/world/rss.xml", "application/rss+xml; charset=utf-8", RSS * 20),
        ("/feeds/world/atom.xml", "application/atom+xml; charset=utf-8", ATOM),
        ("/feeds/world/feed.json", "application/feed+json; charset=utf-8", JSON),
        ("/feeds/all/rss.xml", "application/rss+xml; charset=utf-8", RSS),
        ("/feeds/rss.xsl", "text/xsl; charset=utf-8", b"<xsl:stylesheet/>"),
    ],
)
def test_media_types_and_validators(web: Web, path: str, media_type: str, body: bytes) -> None:
    response = web.http.get(path, headers={"accept-encoding": "identity"})
    assert response.status_code == 200
    assert response.headers["content-type"] == media_type
    assert response.content == body
    assert response.headers["etag"].startswith('"') and response.headers["etag"].endswith('"')
    assert "content-encoding" not in response.headers
    assert response.headers["cache-control"] == "public, max-age=60"
    assert response.headers["vary"].startswith("Accept-Encoding")
    mtime = os.stat(web.feeds / path.removeprefix("/feeds/")).st_mtime
    assert response.headers["last-modified"] == formatdate(int(mtime), usegmt=True)


BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.mark.parametrize(
    "path", ["/feeds/world/rss.xml", "/feeds/world/atom.xml", "/feeds/world/feed.json"]
)
def test_a_browser_gets_the_sections_page(web: Web, path: str) -> None:
    """A section with a feed.json has a page for browsers; feed readers keep the feed type."""
    reader = web.http.get(path)
    browser = web.http.get(path, headers={"accept": BROWSER_ACCEPT})
    assert browser.headers["content-type"] == "text/html; charset=utf-8"
    assert reader.headers["content-type"].startswith("application/")
    assert html.fromstring(browser.content).findtext(".//h1") == "Test News: World"
    assert "Accept" in browser.headers["vary"] and "Accept" in reader.headers["vary"]
    again = web.http.get(
        path, headers={"accept": BROWSER_ACCEPT, "if-none-match": browser.headers["etag"]}
    )
    assert again.status_code == 304
    stylesheet = web.http.get("/feeds/rss.xsl", headers={"accept": BROWSER_ACCEPT})
    assert stylesheet.headers["content-type"] == "text/xsl; charset=utf-8"


def test_gzip_when_asked(web: Web) -> None:
    plain = web.http.get("/feeds/world/rss.xml", headers={"accept-encoding": "identity"})
    with web.http.stream(
        "GET", "/feeds/world/rss.xml", headers={"accept-encoding": "br, gzip;q=0.8"}
    ) as zipped:
        raw = b"".join(zipped.iter_raw())
        assert zipped.headers["content-encoding"] == "gzip"
        assert int(zipped.headers["content-length"]) == len(raw) < len(plain.content)
        assert gzip.decompress(raw) == RSS * 20
        # A different representation has a different strong validator.
        assert zipped.headers["etag"] != plain.headers["etag"]
    refused = web.http.get("/feeds/world/rss.xml", headers={"accept-encoding": "gzip;q=0"})
    assert "content-encoding" not in refused.headers


def test_conditional_get(web: Web) -> None:
    first = web.http.get("/feeds/world/rss.xml")
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    for headers in (
        {"if-none-match": etag},
        {"if-none-match": f'"other", W/{etag}'},
        {"if-none-match": "*"},
        {"if-modified-since": modified},
        {
            "if-modified-since": formatdate(
                os.stat(web.feeds / "world/rss.xml").st_mtime + 3600, usegmt=True
            )
        },
    ):
        again = web.http.get("/feeds/world/rss.xml", headers=headers)
        assert again.status_code == 304, headers
        assert again.content == b""
        assert again.headers["etag"] in (etag, etag[:-1] + '-gz"')
        assert again.headers["cache-control"] == "public, max-age=60"
    for headers in (
        {"if-none-match": '"something-else"'},
        {"if-modified-since": "Thu, 01 Jan 1970 00:00:00 GMT"},
        {"if-modified-since": "not a date"},
        # If-None-Match decides when both are present, even if the date would match.
        {"if-none-match": '"something-else"', "if-modified-since": modified},
    ):
        assert web.http.get("/feeds/world/rss.xml", headers=headers).status_code == 200, headers


def test_gzip_etag_revalidates_either_variant(web: Web) -> None:
    zipped = web.http.get("/feeds/world/rss.xml", headers={"accept-encoding": "gzip"})
    tag = zipped.headers["etag"]
    assert tag.endswith('-gz"')
    for encoding in ("gzip", "identity"):
        again = web.http.get(
            "/feeds/world/rss.xml", headers={"if-none-match": tag, "accept-encoding": encoding}
        )
        assert again.status_code == 304


def test_head_has_headers_but_no_body(web: Web) -> None:
    get = web.http.get("/feeds/world/atom.xml", headers={"accept-encoding": "identity"})
    head = web.http.head("/feeds/world/atom.xml", headers={"accept-encoding": "identity"})
    assert head.status_code == 200
    assert head.content == b""
    for name in ("content-type", "content-length", "etag", "last-modified", "cache-control"):
        assert head.headers[name] == get.headers[name]


def test_only_get_and_head(web: Web) -> None:
    response = web.http.post("/feeds/world/rss.xml", content=b"x")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD"


@pytest.mark.parametrize(
    "target",
    [
        "/feeds/../config.toml",
        "/feeds/../secret.txt",
        "/feeds/world/../../secret.txt",
        "/feeds/%2e%2e/secret.txt",
        "/feeds/world/%2e%2e%2f%2e%2e%2fsecret.txt",
        "/feeds/..%2f..%2fsecret.txt",
        "/feeds//etc/passwd",
        "/feeds/world/..\\..\\secret.txt",
        "/feeds/sports/rss.xml",
        "/feeds/world/missing.xml",
        "/feeds/world/.rss.xml.tmp",
        "/feeds/linked/rss.xml",
    ],
)
def test_nothing_outside_the_feed_tree(web: Web, target: str) -> None:
    (web.feeds / "linked").symlink_to(web.feeds.parent.parent.parent)
    status, body = raw_request(web.url, f"GET {target} HTTP/1.1")
    assert status in (400, 404), target
    assert b"do not serve" not in body
    assert b"[site]" not in body


def test_unknown_section_is_404(web: Web) -> None:
    assert web.http.get("/feeds/sports/rss.xml").status_code == 404
    assert web.http.get("/feeds/sports/").status_code == 404


def test_a_new_build_is_served_without_restart(web: Web) -> None:
    before = web.http.get("/feeds/world/feed.json")
    replaced = JSON.replace(b'"items": []', b'"items": [{"id": "1"}]')
    publish(web.feeds, "world", "feed.json", replaced)
    after = web.http.get("/feeds/world/feed.json")
    assert after.content == replaced
    assert after.headers["etag"] != before.headers["etag"]
    # The old validator no longer matches: readers fetch the new feed.
    stale = web.http.get(
        "/feeds/world/feed.json", headers={"if-none-match": before.headers["etag"]}
    )
    assert stale.status_code == 200


def test_out_of_process_builds_are_noticed_within_the_check_interval(start_web, tmp_path) -> None:
    feeds = tmp_path / "var" / "public" / "feeds"
    publish(feeds, "world", "rss.xml", RSS)
    web = start_web(feed_check_seconds=3600)
    assert web.http.get("/feeds/world/rss.xml").content == RSS
    publish(feeds, "world", "rss.xml", RSS * 2)
    # Within the interval the answer comes from memory without touching the disk.
    assert web.http.get("/feeds/world/rss.xml").content == RSS
    web.app.state.feeds.refresh()
    assert web.http.get("/feeds/world/rss.xml").content == RSS * 2


def test_autodiscovery_snippet(web: Web) -> None:
    redirect = web.http.get("/feeds/world", follow_redirects=False)
    assert redirect.status_code == 301
    assert redirect.headers["location"] == "/feeds/world/"
    page = web.http.get("/feeds/world/")
    assert page.status_code == 200
    tree = html.fromstring(page.content)
    links = tree.xpath('//head/link[@rel="alternate"]')
    assert [(link.get("type"), link.get("href")) for link in links] == [
        ("application/rss+xml", f"{web.url}/feeds/world/rss.xml"),
        ("application/atom+xml", f"{web.url}/feeds/world/atom.xml"),
        ("application/feed+json", f"{web.url}/feeds/world/feed.json"),
    ]
    assert links[0].get("title") == "Test News: World (RSS)"
    snippet = tree.xpath("//pre/code")[0].text_content()
    assert snippet.count('<link rel="alternate"') == 3
    assert f'href="{web.url}/feeds/world/atom.xml"' in snippet
    spanish = web.http.get("/feeds/all/", headers={"accept-language": "es-PE,es;q=0.9"})
    assert 'lang="es"' in spanish.text
    assert "Feeds de Test News" in spanish.text


def test_healthz(web: Web) -> None:
    response = web.http.get("/healthz")
    assert response.status_code == 200
    assert response.text == "ok\n"


def test_healthz_reports_an_unreachable_database(start_web, tmp_path: Path) -> None:
    web = start_web()
    (tmp_path / "web.db").unlink()
    (tmp_path / "web.db").mkdir()  # the path is now a folder: the database cannot be opened
    web.engine.dispose()
    assert web.http.get("/healthz").status_code == 503
