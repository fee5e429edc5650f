"""Hostile heads against a real `syndicate serve` process: its memory stays put, it keeps serving."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx
import pytest

from syndicate.web.limits import HEAD_SECONDS, KEEP_ALIVE_SECONDS
from tests.conftest import write_config
from tests.web.feedfiles import RSS, publish
from tests.web.rawhttp import connect, read_reply, send_all
from tests.web.served import serve

MIB = 1024 * 1024


def huge_head(url: str, path: str, size: int, results: list[tuple[int | None, bool]]) -> None:
    """Send a head with one ``size``-byte header line; record (status, closed)."""
    with connect(url, timeout=20) as conn:
        send_all(conn, f"GET {path} HTTP/1.1\r\nHost: x\r\nX-Huge: ".encode())
        line = b"h" * MIB
        for _ in range(size // MIB):
            if not send_all(conn, line):
                break
        status, _, closed = read_reply(conn, timeout=20, until_closed=True)
    results.append((status, closed))


@pytest.mark.slow
def test_huge_header_lines_leave_memory_alone(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    publish(tmp_path / "var" / "public" / "feeds", "world", "rss.xml", RSS)
    with serve(config) as served:
        assert httpx.get(f"{served.url}/feeds/world/rss.xml").content == RSS
        before = served.rss_kib()
        results: list[tuple[int | None, bool]] = []
        # The fast path and the ASGI path, three connections at once, then bigger ones.
        for size in (MIB, 64 * MIB):
            threads = [
                threading.Thread(target=huge_head, args=(served.url, path, size, results))
                for path in ("/feeds/world/rss.xml", "/healthz", "/feeds/world/rss.xml")
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(60)
        grown = served.rss_kib() - before
        assert httpx.get(f"{served.url}/feeds/world/rss.xml").content == RSS
    assert len(results) == 6
    # Refused with a 431, or (when the client was still writing) the connection cut.
    assert all(closed and status in (431, None) for status, closed in results), results
    assert any(status == 431 for status, _ in results)
    print(f"RSS before {before} KiB, grown {grown} KiB; replies {results}")
    assert grown < 16 * 1024, f"the server grew by {grown} KiB"


@pytest.mark.slow
def test_a_trickled_head_is_cut_off_by_the_real_server(tmp_path: Path) -> None:
    with serve(write_config(tmp_path)) as served, connect(served.url, timeout=30) as conn:
        send_all(conn, b"GET /subscribe HTTP/1.1\r\nHost: x\r\n")
        started = time.monotonic()
        while time.monotonic() - started < HEAD_SECONDS + 10 and send_all(conn, b"X-Slow: 1\r\n"):
            time.sleep(1)
        status, _, closed = read_reply(conn, timeout=5, until_closed=True)
        took = time.monotonic() - started
        assert httpx.get(f"{served.url}/healthz").status_code == 200
    assert (status, closed) == (408, True)
    assert took < HEAD_SECONDS + 10


@pytest.mark.slow
def test_idle_connections_are_closed_by_the_real_server(tmp_path: Path) -> None:
    with (
        serve(write_config(tmp_path)) as served,
        connect(served.url, timeout=30) as silent,
        connect(served.url, timeout=30) as kept,
    ):
        send_all(kept, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        started = time.monotonic()
        answered, _, _ = read_reply(kept)
        kept_closed = read_reply(kept, timeout=KEEP_ALIVE_SECONDS + 5, until_closed=True)[2]
        kept_took = time.monotonic() - started
        silent_closed = read_reply(silent, timeout=HEAD_SECONDS + 5, until_closed=True)[2]
        silent_took = time.monotonic() - started
    assert answered == 200
    assert kept_closed and kept_took < KEEP_ALIVE_SECONDS + 5
    assert silent_closed and silent_took < HEAD_SECONDS + 5
