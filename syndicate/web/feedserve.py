"""GET/HEAD of published feed files: conditional requests and gzip from memory.

A raw ASGI endpoint rather than a Request/Response pair: a feed poll is the
hottest path of the service, and everything it needs was computed at load time.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from email.utils import parsedate_to_datetime
from typing import Any

from starlette.concurrency import run_in_threadpool

from syndicate import metrics
from syndicate.web.feedcache import _CHUNK, FeedCache, FeedFile, Reply

_NOT_FOUND = b"Not Found\n"
_NOT_FOUND_HEADERS = [
    (b"content-type", b"text/plain; charset=utf-8"),
    (b"content-length", str(len(_NOT_FOUND)).encode()),
    (b"cache-control", b"no-cache"),
]
_NOT_ALLOWED_HEADERS = [
    (b"content-type", b"text/plain; charset=utf-8"),
    (b"content-length", b"0"),
    (b"allow", b"GET, HEAD"),
]


class _Remembered:
    """A header test, remembered: clients send a handful of distinct header values."""

    def __init__(self, test: Callable[[str], bool]) -> None:
        self.test = test
        self.answers: dict[bytes, bool] = {}

    def __call__(self, header: bytes) -> bool:
        known = self.answers.get(header)
        if known is None:
            known = self.test(header.decode("latin-1"))
            if len(self.answers) < 256:
                self.answers[header] = known
        return known


def _quality(params: str) -> float:
    """The q= of one Accept-style entry's parameters (1 when absent, 0 when unreadable)."""
    for param in params.split(";"):
        key, _, number = param.partition("=")
        if key.strip().lower() == "q":
            try:
                return float(number)
            except ValueError:
                return 0.0
    return 1.0


FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/feed+json")


def wants_page(accept: str) -> bool:
    """True for a browser: Accept names no feed type and ranks text/html above the rest.

    Feed readers that also take HTML name their feed types, so they keep the feed.
    """
    html_q, best_other = 0.0, 0.0
    for part in accept.split(","):
        name, _, params = part.partition(";")
        name = name.strip().lower()
        if name in FEED_TYPES:
            return False
        quality = _quality(params)
        if name == "text/html":
            html_q = max(html_q, quality)
        elif name != "application/xhtml+xml":
            best_other = max(best_other, quality)
    return html_q > 0 and html_q >= best_other


def accepts_gzip(value: str) -> bool:
    """True when Accept-Encoding allows gzip (``gzip``, ``x-gzip`` or ``*`` with q > 0)."""
    for part in value.split(","):
        name, _, params = part.partition(";")
        name = name.strip().lower()
        if name not in ("gzip", "x-gzip", "*"):
            continue
        quality = _quality(params)
        return quality > 0
    return False


_gzip_ok = _Remembered(accepts_gzip)
_page_ok = _Remembered(wants_page)


def etag_matches(header: str, file: FeedFile) -> bool:
    """If-None-Match uses the weak comparison: W/ is ignored, either variant's tag counts."""
    if header.strip() == "*":
        return True
    for tag in header.split(","):
        tag = tag.strip()
        if tag.startswith("W/"):
            tag = tag[2:]
        if tag == file.etag or tag == file.gzip_etag:
            return True
    return False


def not_modified_since(header: str, file: FeedFile) -> bool:
    try:
        since = parsedate_to_datetime(header)
    except (TypeError, ValueError, IndexError):
        return False
    if since is None or since.tzinfo is None:
        return False
    return file.mtime <= since.timestamp()


def answer(cache: FeedCache, path: str, headers: Iterable[tuple[bytes, bytes]]) -> Reply | None:
    """The reply to a GET of published file ``path`` (None: no such file).

    Shared by the ASGI endpoint and the protocol's fast path, so both answer alike.
    """
    file = None if ".." in path or "\\" in path else cache.get(path)
    if file is None:
        return None
    none_match = modified_since = encoding = None
    replies = file.replies
    for key, value in headers:
        if key == b"if-none-match":
            none_match = value
        elif key == b"if-modified-since":
            modified_since = value
        elif key == b"accept-encoding":
            encoding = value
        elif key == b"accept" and b"text/html" in value and _page_ok(value):
            page = cache.page(path)
            if page is None:  # no page to show: the feed, as XML the stylesheet can style
                replies = file.browser_replies
            else:
                file, replies = page, page.replies
    zipped = encoding is not None and _gzip_ok(encoding)
    # If-None-Match wins over If-Modified-Since when both are sent (RFC 9110 13.2.2).
    if none_match is not None:
        # Most revalidations send back exactly the tag we gave: compare bytes first.
        unchanged = none_match in file.tags or etag_matches(none_match.decode("latin-1"), file)
    else:
        unchanged = modified_since is not None and not_modified_since(
            modified_since.decode("latin-1"), file
        )
    if unchanged:
        metrics.FEED_REQUEST_COUNTS[1] += 1
        return replies[3 if zipped else 2]
    metrics.FEED_REQUEST_COUNTS[0] += 1
    return replies[1 if zipped else 0]


class FeedFiles:
    """ASGI endpoint for /feeds/{path}: path params come from the route table."""

    def __init__(self, cache: FeedCache) -> None:
        self.cache = cache

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        method = scope["method"]
        if method != "GET" and method != "HEAD":
            await _respond(send, 405, _NOT_ALLOWED_HEADERS, b"")
            return
        path = scope["path_params"]["path"]
        if path in self.cache.sections:  # /feeds/world -> the links page at /feeds/world/
            location = f"/feeds/{path}/".encode()
            await _respond(send, 301, [(b"location", location), (b"content-length", b"0")], b"")
            return
        reply = answer(self.cache, path, scope["headers"])
        if reply is not None and reply.disk is not None and method == "GET":
            handle = _open_current(self.cache, path)
            if handle is None:  # replaced or removed since the last scan: look again, once
                self.cache.refresh()
                reply = answer(self.cache, path, scope["headers"])
                handle = _open_current(self.cache, path) if reply and reply.disk else None
            if reply is not None and handle is not None:
                with handle:
                    await _stream(send, reply, handle)
                return
            if reply is not None and reply.disk is not None:
                reply = None  # it keeps changing under us: as good as gone
        if reply is None:
            metrics.FEED_REQUEST_COUNTS[2] += 1
            await _respond(send, 404, _NOT_FOUND_HEADERS, b"" if method == "HEAD" else _NOT_FOUND)
            return
        await _respond(send, reply.status, reply.headers, b"" if method == "HEAD" else reply.body)


async def _respond(send: Any, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _open_current(cache: FeedCache, path: str) -> Any:
    """The streamed file at ``path``, open, if it is still the one whose headers we send."""
    file = cache.get(path)
    if file is None or file.disk is None:
        return None
    try:
        handle = open(file.disk, "rb")  # noqa: SIM115
    except OSError:
        return None
    info = os.fstat(handle.fileno())
    if (info.st_mtime_ns, info.st_size, info.st_ino) != file.stamp:
        handle.close()
        return None
    return handle


async def _stream(send: Any, reply: Reply, handle: Any) -> None:
    await send({"type": "http.response.start", "status": reply.status, "headers": reply.headers})
    while chunk := await run_in_threadpool(handle.read, _CHUNK):
        await send({"type": "http.response.body", "body": chunk, "more_body": True})
    await send({"type": "http.response.body", "body": b""})
