"""Request heads have a size and a time limit, on the feed fast path and the ASGI path alike."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from syndicate.web.fastpath import FeedProtocol
from syndicate.web.limits import HEAD_BYTES, HEAD_FIELDS
from tests.web.conftest import Web
from tests.web.feedfiles import RSS, publish
from tests.web.rawhttp import connect, read_reply, send_all

PATHS = ["/feeds/world/rss.xml", "/healthz", "/subscribe"]


class QuickProtocol(FeedProtocol):
    head_seconds = 1.0
    linger_seconds = 0.5


@pytest.fixture
def web(start_web, tmp_path: Path) -> Web:
    publish(tmp_path / "var" / "public" / "feeds", "world", "rss.xml", RSS)
    return start_web(feed_check_seconds=0, http=QuickProtocol)


def head(path: str, extra: str = "") -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{extra}\r\n".encode()


def still_serves(web: Web) -> None:
    assert web.http.get("/feeds/world/rss.xml").content == RSS
    assert web.http.get("/healthz").status_code == 200


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize(
    "extra",
    [
        "X-Big: " + "a" * (HEAD_BYTES + 1) + "\r\n",  # one long value
        "".join(f"X-{n}: {'b' * 400}\r\n" for n in range(HEAD_BYTES // 400 + 2)),  # many
        "".join(f"X-{n}: 1\r\n" for n in range(HEAD_FIELDS + 1)),  # short but too many
        "Cookie: " + "c=" * (HEAD_BYTES // 2 + 1) + "\r\n",
    ],
    ids=["long-value", "many-long", "too-many-fields", "cookie"],
)
def test_heads_over_the_limit_get_431(web: Web, path: str, extra: str) -> None:
    with connect(web.url) as conn:
        send_all(conn, head(path, extra))
        status, data, closed = read_reply(conn)
    assert status == 431, data[:200]
    assert closed
    still_serves(web)


@pytest.mark.parametrize("path", [*PATHS, "/" + "x" * (HEAD_BYTES + 10)])
def test_a_head_trickled_in_pieces_is_counted_whole(web: Web, path: str) -> None:
    with connect(web.url) as conn:
        piece = b"X-Piece: " + b"p" * 2000 + b"\r\n"
        sent = send_all(conn, f"GET {path} HTTP/1.1\r\nHost: x\r\n".encode())
        for _ in range(HEAD_BYTES // len(piece) + 3):
            if not sent:
                break
            sent = send_all(conn, piece)
            time.sleep(0.005)
        status, data, closed = read_reply(conn)
    assert status == 431, data[:200]
    assert closed


def test_a_long_url_gets_431(web: Web) -> None:
    with connect(web.url) as conn:
        send_all(conn, head("/feeds/world/rss.xml?q=" + "u" * HEAD_BYTES))
        status, _, closed = read_reply(conn)
    assert (status, closed) == (431, True)


@pytest.mark.parametrize("path", PATHS)
def test_heads_under_the_limit_are_answered(web: Web, path: str) -> None:
    extra = "".join(f"X-{n}: {'v' * 200}\r\n" for n in range(HEAD_FIELDS // 2))
    with connect(web.url) as conn:
        send_all(conn, head(path, extra + "Connection: close\r\n"))
        status, _, _ = read_reply(conn)
    assert status == 200


def test_a_big_head_after_a_good_request_on_one_connection(web: Web) -> None:
    with connect(web.url) as conn:
        send_all(
            conn, head("/feeds/world/rss.xml") + head("/healthz", "X-Big: " + "z" * HEAD_BYTES)
        )
        _, data, closed = read_reply(conn, until_closed=True)
    assert data.startswith(b"HTTP/1.1 200")
    assert b"HTTP/1.1 431" in data
    assert closed


@pytest.mark.parametrize("path", PATHS)
def test_a_trickled_head_times_out(web: Web, path: str) -> None:
    with connect(web.url) as conn:
        send_all(conn, f"GET {path} HTTP/1.1\r\nHost: x\r\n".encode())
        started = time.monotonic()
        # One header line every 0.2 s: each arrives well within any idle timeout.
        while time.monotonic() - started < 5 and send_all(conn, b"X-Slow: 1\r\n"):
            time.sleep(0.2)
        status, data, closed = read_reply(conn, timeout=5, until_closed=True)
    assert time.monotonic() - started < 5, "the trickled head was never cut off"
    assert status == 408, data
    assert closed


def test_a_silent_connection_is_closed(web: Web) -> None:
    with connect(web.url) as conn:
        status, data, closed = read_reply(conn, timeout=5)
    assert (status, data, closed) == (None, b"", True)


def test_the_next_head_on_a_kept_alive_connection_has_the_same_limit(web: Web) -> None:
    with connect(web.url) as conn:
        send_all(conn, head("/healthz"))
        time.sleep(0.3)
        send_all(conn, b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # and never the blank line
        status, data, closed = read_reply(conn, timeout=5, until_closed=True)
    assert status == 200
    assert b"HTTP/1.1 408" in data
    assert closed
