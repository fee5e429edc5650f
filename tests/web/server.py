"""Run an ASGI app under a real uvicorn on 127.0.0.1, ephemeral port, in a thread."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

from syndicate.web.fastpath import FeedProtocol


def bound_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


def base_url(sock: socket.socket) -> str:
    return f"http://127.0.0.1:{sock.getsockname()[1]}"


@contextmanager
def running(app: Any, sock: socket.socket, http: Any = FeedProtocol) -> Iterator[str]:
    # By default the protocol `syndicate serve` uses, so feed hits take the same shortcut.
    config = uvicorn.Config(
        app,
        http=http,
        log_level="warning",
        access_log=False,
        proxy_headers=False,
        ws="none",
        lifespan="off",
        loop="asyncio",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    try:
        yield base_url(sock)
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


def raw_request(url: str, request_line: str, headers: str = "") -> tuple[int, bytes]:
    """Send bytes exactly as written (no client-side path clean-up); return status and body."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as conn:
        conn.sendall(
            f"{request_line}\r\nHost: {host}\r\nConnection: close\r\n{headers}\r\n".encode()
        )
        data = b""
        while chunk := conn.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split(b" ")[1]), body
