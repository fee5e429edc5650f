"""uvicorn's httptools protocol with a size and a time limit on every request head.

uvicorn keeps a head in memory however long it grows and waits for it however
long it takes (its ``h11_max_incomplete_event_size`` is for the h11 protocol
only). Here a head over ``HEAD_BYTES`` or ``HEAD_FIELDS`` is answered 431, and
one not complete ``HEAD_SECONDS`` after the connection opened (or, on a
kept-alive connection, after its first byte) gets 408; either way the
connection then closes, after reading and dropping input for a moment so the
client sees the answer.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from syndicate.web.accesslog import mask_access_log
from syndicate.web.limits import HEAD_BYTES, HEAD_FIELDS, HEAD_SECONDS, LINGER_SECONDS


class LimitedProtocol(HttpToolsProtocol):
    head_seconds = HEAD_SECONDS
    linger_seconds = LINGER_SECONDS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._answered = False  # answered here: the request's body and end are ignored
        # Bytes of the head being received; -1: it began in the chunk being parsed.
        self._head_bytes = 0
        self._head_open = False
        self._head_timer: asyncio.TimerHandle | None = None
        self._draining = False
        if self.config.access_log:
            mask_access_log()

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

    def _head_refused(self) -> bool:
        """At the end of a head: True when it was refused (or the connection is going)."""
        self._head_open = False
        self._stop_head_timer()
        if self._draining or self.transport.is_closing():
            self._answered = True
            return True
        size = len(self.url) + sum(len(name) + len(value) + 4 for name, value in self.headers)
        if size > HEAD_BYTES or self._head_bytes > HEAD_BYTES:
            self._refuse(431, f"request head over {HEAD_BYTES} bytes or {HEAD_FIELDS} fields\n")
            return True
        return False

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
        if not self._head_refused():
            super().on_headers_complete()

    def on_body(self, body: bytes) -> None:
        if not self._answered:
            super().on_body(body)

    def on_message_complete(self) -> None:
        if not self._answered:
            super().on_message_complete()
