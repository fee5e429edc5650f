"""Fetching a feed from a running service."""

from __future__ import annotations

import time

import httpx


def get_feed(url: str, within: float = 10) -> httpx.Response:
    """GET a feed file; the server notices new files within a second or so."""
    deadline = time.monotonic() + within
    while True:
        response = httpx.get(url, timeout=10)
        if response.status_code == 200 or time.monotonic() > deadline:
            assert response.status_code == 200, response.text
            return response
        time.sleep(0.2)
