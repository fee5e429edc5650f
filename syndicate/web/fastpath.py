"""Feed polls answered inside uvicorn's HTTP protocol, before any ASGI machinery.

A poll that hits a published file needs only bytes already in memory, yet the
ASGI path builds a scope, a request cycle, an event and a task for it, and runs
every header through uvicorn's checks: most of the cost of a ``304``. This
protocol answers such requests as soon as their headers are parsed, with the
reply the ASGI endpoint would give (both come from ``feedserve.answer``), and
leaves everything else to uvicorn's own handling: other routes, misses,
redirects, odd URLs, pipelined requests behind a running one, a full write
buffer. Its head limits come from ``LimitedProtocol``, which serves when the
shortcut cannot (below).

The app tells the protocol where its feeds are through a ``feed_cache``
attribute (None or absent: every request takes the ASGI path). It is read per
request, so a config reload that swaps the app is followed at once.

All of this leans on uvicorn's private protocol class. pyproject pins uvicorn
to the releases the tests run on, and ``http_protocol()`` checks at start that
every internal named in ``INTERNALS`` and ``LIMIT_INTERNALS`` is still there;
when one is not, the server logs one warning and uses ``LimitedProtocol`` (or,
when the limits' own internals are gone, uvicorn's protocol), so feeds are
still served, through the ASGI path.
"""

from __future__ import annotations

import ast
import inspect
import logging
import textwrap
from dataclasses import dataclass
from typing import Any

import httptools
from uvicorn.config import Config
from uvicorn.protocols.http.flow_control import FlowControl
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle
from uvicorn.server import ServerState

from syndicate.web.feedcache import FeedCache
from syndicate.web.feedserve import answer
from syndicate.web.headlimits import LimitedProtocol

log = logging.getLogger(__name__)

_PREFIX = b"/feeds/"
_JOIN_BELOW = 16 * 1024  # larger bodies go out in a second write rather than a copy


class FeedProtocol(LimitedProtocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # An access log (asked for in the config, as `-v` does) and a root path belong
        # to the ASGI path; keep them exact.
        self._shortcut = not self.config.access_log and not self.root_path

    def on_headers_complete(self) -> None:
        if self._head_refused():
            return
        if self._shortcut and self.url.startswith(_PREFIX) and self._answer_feed():
            self._answered = True
            return
        HttpToolsProtocol.on_headers_complete(self)

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


@dataclass(frozen=True)
class Internal:
    """What ``FeedProtocol`` uses of one uvicorn (or httptools) class."""

    owner: type
    methods: tuple[str, ...] = ()
    attributes: tuple[str, ...] = ()  # set on instances, so looked for in the class's code


INTERNALS: list[Internal] = [
    Internal(
        HttpToolsProtocol,
        methods=(
            "on_message_begin",
            "on_headers_complete",
            "on_body",
            "on_message_complete",
            "on_response_complete",
        ),
        attributes=(
            "config",
            "root_path",
            "app",
            "url",
            "headers",
            "pipeline",
            "flow",
            "cycle",
            "parser",
            "server_state",
            "transport",
        ),
    ),
    Internal(
        httptools.HttpRequestParser,
        methods=("get_method", "should_upgrade", "get_http_version", "should_keep_alive"),
    ),
    Internal(Config, attributes=("access_log",)),
    Internal(FlowControl, attributes=("write_paused",)),
    Internal(RequestResponseCycle, attributes=("response_complete",)),
    Internal(ServerState, attributes=("default_headers",)),
]


# What ``LimitedProtocol`` (the head limits, which serve without the shortcut) uses.
LIMIT_INTERNALS: list[Internal] = [
    Internal(
        HttpToolsProtocol,
        methods=(
            "connection_made",
            "connection_lost",
            "data_received",
            "on_message_begin",
            "on_header",
            "on_headers_complete",
            "on_body",
            "on_message_complete",
        ),
        attributes=("config", "loop", "url", "headers", "flow", "cycle", "server_state"),
    ),
    Internal(Config, attributes=("access_log",)),
    Internal(FlowControl, methods=("resume_reading",)),
    Internal(RequestResponseCycle, attributes=("response_complete",)),
    Internal(ServerState, attributes=("default_headers",)),
]


def _assigned_on_self(owner: type) -> set[str]:
    """Attribute names the class's own code assigns as ``self.NAME`` (empty without source)."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(owner)))
    except (OSError, TypeError, SyntaxError):
        return set()
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AnnAssign | ast.AugAssign):
            targets = [node.target]
        else:
            continue
        for target in targets:
            if (
                isinstance(target, ast.Attribute)
                and isinstance(target.value, ast.Name)
                and target.value.id == "self"
            ):
                names.add(target.attr)
    return names


def missing_internals(internals: list[Internal] | None = None) -> list[str]:
    """The internals (``INTERNALS`` by default) this uvicorn no longer has, as ``Class.name``."""
    missing: list[str] = []
    for internal in INTERNALS if internals is None else internals:
        owner = internal.owner
        missing += [
            f"{owner.__name__}.{name}()"
            for name in internal.methods
            if not callable(getattr(owner, name, None))
        ]
        if internal.attributes:
            assigned = _assigned_on_self(owner)
            missing += [
                f"{owner.__name__}.{name}"
                for name in internal.attributes
                if name not in assigned and not hasattr(owner, name)
            ]
    return missing


def http_protocol() -> type[LimitedProtocol] | str:
    """The ``http`` option for uvicorn: ``FeedProtocol``; else (with one warning)
    ``LimitedProtocol`` when only the shortcut's internals changed, else uvicorn's own."""
    unlimited = missing_internals(LIMIT_INTERNALS)
    missing = list(dict.fromkeys(missing_internals() + unlimited))
    if not missing:
        return FeedProtocol
    import uvicorn

    limited = not unlimited
    log.warning(
        "uvicorn %s lacks what the feed fast path relies on (%s); "
        "serving feeds through the ordinary ASGI path%s",
        uvicorn.__version__,
        ", ".join(missing),
        "" if limited else ", and request heads without size or time limits",
    )
    return LimitedProtocol if limited else "httptools"
