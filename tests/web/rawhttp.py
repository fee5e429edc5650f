"""Bytes on a socket, for what httpx will not send: huge or trickled heads, lying lengths."""

from __future__ import annotations

import socket
import time


def connect(url: str, timeout: float = 10.0) -> socket.socket:
    host, port = url.removeprefix("http://").split(":")
    return socket.create_connection((host, int(port)), timeout=timeout)


def send_all(conn: socket.socket, data: bytes) -> bool:
    """Write ``data``; False when the server closed or reset the connection first."""
    try:
        conn.sendall(data)
    except (BrokenPipeError, ConnectionResetError):
        return False
    return True


def read_reply(
    conn: socket.socket, timeout: float = 10.0, until_closed: bool = False
) -> tuple[int | None, bytes, bool]:
    """(first status or None, raw bytes, closed): read until one whole response (or, with
    ``until_closed``, until the server closes), or until ``timeout`` passes."""
    conn.settimeout(0.2)
    data = b""
    deadline = time.monotonic() + timeout
    closed = False
    while time.monotonic() < deadline:
        try:
            chunk = conn.recv(65536)
        except TimeoutError:
            if not until_closed and b"\r\n\r\n" in data and _complete(data):
                break
            continue
        except ConnectionResetError:
            closed = True
            break
        if not chunk:
            closed = True
            break
        data += chunk
    status = int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/1.") else None
    return status, data, closed


def _complete(data: bytes) -> bool:
    head, _, body = data.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return len(body) >= int(value)
    return False


def header(data: bytes, name: str) -> str | None:
    head = data.partition(b"\r\n\r\n")[0].decode("latin-1")
    for line in head.split("\r\n")[1:]:
        key, _, value = line.partition(":")
        if key.strip().lower() == name.lower():
            return value.strip()
    return None
