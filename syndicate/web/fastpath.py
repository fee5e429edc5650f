"""Feed polls answered inside uvicorn's HTTP protocol, before any ASGI machinery.

A poll that hits a published file needs only bytes already in memory, yet the
ASGI path builds a scope, a request cycle, an event and a task for it, and runs
every header through uvicorn's checks: most of the cost of a ``304``. This
protocol answers such requests as soon as their headers are parsed, with the
reply the ASGI endpoint would give (both come from ``feedserve.answer``), and
leaves everything else to uvicorn's own handling: other routes, misses,
redirects, odd URLs, pipelined requests behind a running one, a full write
buffer.

Every request, on either path, has its head capped here (see ``limits``): over
``HEAD_BYTES`` or ``HEAD_FIELDS`` it is answered 431, and a head not complete
``HEAD_SECONDS`` after the connection opened or the head began gets 408; either
way the connection then closes.

The app tells the protocol where its feeds are through a ``feed_cache``
attribute (None or absent: every request takes the ASGI path). It is read per
request, so a config reload that swaps the app is followed at once.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from syndicate.web.accesslog import mask_access_log
from syndicate.web.feedcache import FeedCache
from syndicate.web.feedserve import answer
from syndicate.web.limits import HEAD_BYTES, HEAD_FIELDS, HEAD_SECONDS, LINGER_SECONDS

_PREFIX = b"/feeds/"
_JOIN_BELOW = 16 * 1024  # larger bodies go out in a second write rather than a copy


class FeedProtocol(HttpToolsProtocol):
    head_seconds = HEAD_SECONDS
    linger_seconds = LINGER_SECONDS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # An access log (asked for in the config, as `-v` does) and a root path belong
        # to the ASGI path; keep them exact.
        self._shortcut = not self.config.access_log and not self.root_path
        self._answered = False
        # Bytes of the head being received; -1: it began in the chunk being parsed.
        self._head_bytes = 0
        self._head_open = False
        self._head_timer: asyncio.TimerHandle | None = None
        self._draining = False
        if self.config.access_log:
            mask_access_log()

    # -- the head's size and time ------------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._head_timer = self.loop.call_later(self.head_seconds, self._head_too_slow)

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_head_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._draining:
            return
        super().data_received(data)
        if not self._head_open or self.transport.is_closing():
            return
        if self._head_bytes < 0:
            # The head began in this chunk: it is at most what follows the last blank line.
            end = data.rfind(b"\r\n\r\n")
            self._head_bytes = len(data) - (end + 4 if end >= 0 else 0)
        else:
            self._head_bytes += len(data)
        if self._head_bytes > HEAD_BYTES:
            self._refuse(431, f"request head over {HEAD_BYTES} bytes\n")

    def _stop_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_too_slow(self) -> None:
        self._head_timer = None
        if self.transport.is_closing():
            return
        if self.cycle is not None and not self.cycle.response_complete:
            # Still answering the previous request: the client may wait for that.
            self._head_timer = self.loop.call_later(self.head_seconds, self._head_too_slow)
            return
        if self._head_open:
            self._refuse(408, f"request head not received within {self.head_seconds:g} s\n")
        else:
            self.transport.close()  # connected and silent

    def _refuse(self, status: int, text: str) -> None:
        """Answer ``status`` and close; meanwhile drop input so the client reads the answer."""
        self._stop_head_timer()
        self._answered = True
        if self.cycle is not None and not self.cycle.response_complete:
            self.transport.close()  # a response is being written on this connection
            return
        body = text.encode()
        parts = [STATUS_LINE[status]]
        for name, value in self.server_state.default_headers:
            parts += (name, b": ", value, b"\r\n")
        parts += (
            b"content-type: text/plain; charset=utf-8\r\n",
            b"content-length: " + str(len(body)).encode() + b"\r\n",
            b"connection: close\r\n\r\n",
            body,
        )
        self.transport.write(b"".join(parts))
        self._draining = True
        self.flow.resume_reading()
        if self.transport.can_write_eof():
            self.transport.write_eof()
        self.loop.call_later(self.linger_seconds, self.transport.close)

    # -- parser callbacks ---------------------------------------------------------------

    def on_message_begin(self) -> None:
        self._answered = False
        self._head_open = True
        self._head_bytes = -1
        if self._head_timer is None:
            self._head_timer = self.loop.call_later(self.head_seconds, self._head_too_slow)
        super().on_message_begin()

    def on_header(self, name: bytes, value: bytes) -> None:
        if len(self.headers) < HEAD_FIELDS:
            super().on_header(name, value)
        else:
            self._head_bytes = HEAD_BYTES + 1  # refused once the head is complete

    def on_headers_complete(self) -> None:
        self._head_open = False
        self._stop_head_timer()
        if self._draining or self.transport.is_closing():
            self._answered = True
            return
        size = len(self.url) + sum(len(name) + len(value) + 4 for name, value in self.headers)
        if size > HEAD_BYTES or self._head_bytes > HEAD_BYTES:
            self._refuse(431, f"request head over {HEAD_BYTES} bytes or {HEAD_FIELDS} fields\n")
            return
        if self._shortcut and self.url.startswith(_PREFIX) and self._answer_feed():
            self._answered = True
            return
        super().on_headers_complete()

    # The request was answered: its body (a GET has none that matters) and end are ignored.
    def on_body(self, body: bytes) -> None:
        if not self._answered:
            super().on_body(body)

    def on_message_complete(self) -> None:
        if not self._answered:
            super().on_message_complete()

    def _answer_feed(self) -> bool:
        cache: FeedCache | None = getattr(self.app, "feed_cache", None)
        if cache is None or self.pipeline or self.flow.write_paused:
            return False
        if self.cycle is not None and not self.cycle.response_complete:
            return False  # an earlier request on this connection is still being answered
        parser = self.parser
        method = parser.get_method()
        if (method != b"GET" and method != b"HEAD") or parser.should_upgrade():
            return False
        path = self.url[len(_PREFIX) :].partition(b"?")[0]
        # Escapes, fragments and non-ASCII bytes: let the ASGI path decode them.
        if not path or path.endswith(b"/") or not path.isascii() or b"%" in path or b"#" in path:
            return False
        reply = answer(cache, path.decode("ascii"), self.headers)
        if reply is None:
            return False
        keep_alive = parser.get_http_version() != "1.0" and parser.should_keep_alive()
        parts = [reply.head]
        for name, value in self.server_state.default_headers:  # Date (and Server when on)
            parts += (name, b": ", value, b"\r\n")
        parts.append(b"\r\n" if keep_alive else b"connection: close\r\n\r\n")
        body = b"" if method == b"HEAD" else reply.body
        if len(body) < _JOIN_BELOW:
            self.transport.write(b"".join(parts) + body)
        else:
            self.transport.write(b"".join(parts))
            self.transport.write(body)
        if not keep_alive:
            self.transport.close()
        self.on_response_complete()  # counts the request, re-arms keep-alive
        return True
