"""Feed polls answered inside uvicorn's HTTP protocol, before any ASGI machinery.

A poll that hits a published file needs only bytes already in memory, yet the
ASGI path builds a scope, a request cycle, an event and a task for it, and runs
every header through uvicorn's checks: most of the cost of a ``304``. This
protocol answers such requests as soon as their headers are parsed, with the
reply the ASGI endpoint would give (both come from ``feedserve.answer``), and
leaves everything else to uvicorn's own handling: other routes, misses,
redirects, odd URLs, pipelined requests behind a running one, a full write
buffer.

The app tells the protocol where its feeds are through a ``feed_cache``
attribute (None or absent: every request takes the ASGI path). It is read per
request, so a config reload that swaps the app is followed at once.
"""

from __future__ import annotations

from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from syndicate.web.feedcache import FeedCache
from syndicate.web.feedserve import answer

_PREFIX = b"/feeds/"
_JOIN_BELOW = 16 * 1024  # larger bodies go out in a second write rather than a copy


class FeedProtocol(HttpToolsProtocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # An access log (asked for in the config, as `-v` does) and a root path belong
        # to the ASGI path; keep them exact.
        self._shortcut = not self.config.access_log and not self.root_path
        self._answered = False

    def on_message_begin(self) -> None:
        self._answered = False
        super().on_message_begin()

    def on_headers_complete(self) -> None:
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
        if reply is None or reply.disk is not None:  # a streamed file goes the ASGI way
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
