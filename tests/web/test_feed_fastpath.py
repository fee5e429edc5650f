"""Feed hits answered inside the HTTP protocol: the same bytes as the ASGI path, in order."""

from __future__ import annotations

import socket
from email.utils import formatdate
from pathlib import Path

import pytest

from syndicate.schedule.service import SwappableApp
from tests.web.conftest import Web
from tests.web.feedfiles import RSS, publish

Response = tuple[int, dict[str, str], bytes]


@pytest.fixture
def web(start_web, tmp_path: Path) -> Web:
    publish(tmp_path / "var" / "public" / "feeds", "world", "rss.xml", RSS * 40)
    return start_web(feed_check_seconds=0)


def exchange(url: str, requests: list[str]) -> tuple[list[Response], bool]:
    """Send ``requests`` in one write on one connection; the responses, and whether it closed.

    Each request is "METHOD target [HTTP/1.x]" followed by optional header lines.
    """
    host, port = url.removeprefix("http://").split(":")
    wire = b""
    heads: list[bool] = []
    for request in requests:
        first, *headers = request.split("\n")
        method, target, *version = first.split()
        heads.append(method == "HEAD")
        lines = [f"{method} {target} {version[0] if version else 'HTTP/1.1'}", f"Host: {host}"]
        wire += ("\r\n".join([*lines, *headers]) + "\r\n\r\n").encode()
    with socket.create_connection((host, int(port)), timeout=5) as conn:
        conn.sendall(wire)
        buffer = b""
        responses: list[Response] = []
        closed = False
        for head_only in heads:
            while b"\r\n\r\n" not in buffer:
                chunk = conn.recv(65536)
                assert chunk, f"connection closed after {len(responses)} responses"
                buffer += chunk
            head, _, buffer = buffer.partition(b"\r\n\r\n")
            status_line, *header_lines = head.decode("latin-1").split("\r\n")
            headers = {}
            for line in header_lines:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            status = int(status_line.split()[1])
            size = 0 if head_only or status == 304 else int(headers["content-length"])
            while len(buffer) < size:
                chunk = conn.recv(65536)
                assert chunk, "connection closed inside a body"
                buffer += chunk
            responses.append((status, headers, buffer[:size]))
            buffer = buffer[size:]
        conn.settimeout(1)
        try:
            closed = conn.recv(1) == b""
        except TimeoutError:
            closed = False
    return responses, closed


def without_date(response: Response) -> Response:
    status, headers, body = response
    return status, {k: v for k, v in headers.items() if k != "date"}, body


def test_feed_hits_never_reach_the_asgi_app(web: Web, asgi_calls: list[str]) -> None:
    etag = web.http.get("/feeds/world/rss.xml").headers["etag"]
    assert web.http.get("/feeds/world/rss.xml", headers={"if-none-match": etag}).status_code == 304
    assert web.http.get("/feeds/world/rss.xml?utm_source=reader").status_code == 200
    assert web.http.head("/feeds/world/rss.xml").status_code == 200
    assert asgi_calls == []
    # Misses, escapes and other methods are the ASGI endpoint's to answer.
    assert web.http.get("/feeds/world/nothing.xml").status_code == 404
    assert web.http.get("/feeds/world/rss%2Exml").status_code == 200
    assert web.http.post("/feeds/world/rss.xml").status_code == 405
    assert asgi_calls == [
        "/feeds/world/nothing.xml",
        "/feeds/world/rss.xml",
        "/feeds/world/rss.xml",
    ]


@pytest.mark.parametrize(
    "headers",
    [
        "",
        "Accept-Encoding: gzip",
        "Accept: text/html",
        "If-None-Match: {etag}",
        "If-None-Match: {etag}\nAccept-Encoding: gzip",
        "If-Modified-Since: {modified}",
    ],
)
@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_the_shortcut_answers_as_the_asgi_path_would(
    web: Web, asgi_calls: list[str], method: str, headers: str
) -> None:
    plain = web.http.get("/feeds/world/rss.xml", headers={"accept-encoding": "identity"})
    filled = headers.format(etag=plain.headers["etag"], modified=plain.headers["last-modified"])
    extra = f"\n{filled}" if filled else ""
    (fast, escaped), _ = exchange(
        web.url,
        [f"{method} /feeds/world/rss.xml{extra}", f"{method} /feeds/world/rss%2exml{extra}"],
    )
    assert asgi_calls == ["/feeds/world/rss.xml"]  # only the escaped one
    assert without_date(fast) == without_date(escaped)
    assert fast[1]["date"] and fast[0] in (200, 304)


def test_pipelined_requests_come_back_in_order(web: Web) -> None:
    """A poll queued behind a slower request on the same connection waits its turn."""
    etag = web.http.get("/feeds/world/rss.xml").headers["etag"]
    responses, closed = exchange(
        web.url,
        [
            "GET /healthz",
            "GET /feeds/world/rss.xml",
            f"GET /feeds/world/rss.xml\nIf-None-Match: {etag}",
            "GET /feeds/world/missing.xml",
            "HEAD /feeds/world/rss.xml",
            "GET /feeds/world/rss.xml\nConnection: close",
        ],
    )
    assert [status for status, _, _ in responses] == [200, 200, 304, 404, 200, 200]
    assert responses[0][2] == b"ok\n"
    assert responses[1][2] == responses[5][2] == RSS * 40
    assert responses[4][2] == b"" and responses[4][1]["content-length"] == str(len(RSS * 40))
    assert responses[5][1]["connection"] == "close"
    assert "connection" not in responses[1][1]
    assert closed


def test_keep_alive_by_default_and_close_when_asked(web: Web) -> None:
    for request, should_close in (
        ("GET /feeds/world/rss.xml HTTP/1.0", True),
        ("GET /feeds/world/rss.xml HTTP/1.1\nConnection: close", True),
        ("GET /feeds/world/rss.xml HTTP/1.1", False),
    ):
        [(status, headers, body)], closed = exchange(web.url, [request])
        assert (status, body) == (200, RSS * 40)
        assert closed is should_close, request
        assert (headers.get("connection") == "close") is should_close


def test_a_new_build_is_served_by_the_shortcut(web: Web, asgi_calls: list[str]) -> None:
    first = web.http.get("/feeds/world/rss.xml")
    path = publish(web.feeds, "world", "rss.xml", RSS * 3)
    later = web.http.get("/feeds/world/rss.xml", headers={"if-none-match": first.headers["etag"]})
    assert (later.status_code, later.content) == (200, RSS * 3)
    assert later.headers["last-modified"] == formatdate(int(path.stat().st_mtime), usegmt=True)
    assert asgi_calls == []


def test_a_reloaded_app_brings_its_own_feeds(web: Web) -> None:
    """`syndicate run` swaps the app on SIGHUP: the protocol asks the front for the cache each time."""

    class Other:
        feed_cache = object()

    front = SwappableApp(web.app)
    assert front.feed_cache is web.app.feed_cache
    front.app = Other()
    assert front.feed_cache is Other.feed_cache
    front.app = lambda scope, receive, send: None
    assert front.feed_cache is None
