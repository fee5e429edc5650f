"""A running service per test: real uvicorn on 127.0.0.1, real database, real Maildir."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine

from syndicate import config, store
from syndicate.clock import FixedClock
from syndicate.senders import make_sender
from syndicate.web import create_app
from syndicate.web.fastpath import FeedProtocol
from syndicate.web.feedserve import FeedFiles
from tests.conftest import write_config
from tests.web.server import base_url, bound_socket, running

ENV = {"SYNDICATE_SECRET": "test-secret", "SYNDICATE_API_TOKEN": "test-token"}


@dataclass
class Web:
    url: str
    settings: config.Settings
    engine: Engine
    clock: FixedClock
    app: Any
    http: httpx.Client

    @property
    def feeds(self) -> Path:
        return Path(self.settings.feeds.output_dir)

    @property
    def maildir(self) -> Path:
        return Path(self.settings.delivery.maildir)

    def mails(self, count: int = 1, timeout: float = 10.0) -> list[EmailMessage]:
        """Wait for ``count`` messages in the Maildir, oldest first (they go out after the response)."""
        deadline = time.monotonic() + timeout
        while True:
            files = sorted(
                (self.maildir / "new").glob("*"), key=lambda path: path.stat().st_mtime_ns
            )
            if len(files) >= count or time.monotonic() > deadline:
                return [
                    message_from_bytes(path.read_bytes(), policy=policy.default)  # type: ignore[misc]
                    for path in files
                ]
            time.sleep(0.05)


@pytest.fixture
def start_web(tmp_path: Path, clock: FixedClock) -> Iterator[Callable[..., Web]]:
    """Start the service on a given database URL (SQLite file by default) with app options."""
    opened: list[Any] = []

    def start(
        db_url: str | None = None, config_extra: str = "", http: Any = FeedProtocol, **options: Any
    ) -> Web:
        sock = bound_socket()
        path = write_config(
            tmp_path, config_extra, database_url=db_url or f"sqlite:///{tmp_path / 'web.db'}"
        )
        settings = config.load(path, env=ENV)
        settings = settings.model_copy(
            update={"server": settings.server.model_copy(update={"public_url": base_url(sock)})}
        )
        engine = store.open_engine(settings.database.url)
        store.migrate(engine)
        options.setdefault("publish", None)
        options.setdefault("sender", lambda: make_sender(settings))
        app = create_app(settings, engine, clock, **options)
        context = running(app, sock, http)
        url = context.__enter__()
        http = httpx.Client(base_url=url, timeout=10)
        opened.append((context, http, engine))
        return Web(url, settings, engine, clock, app, http)

    yield start
    for context, http, engine in opened:
        http.close()
        context.__exit__(None, None, None)
        engine.dispose()


@pytest.fixture
def asgi_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Paths that reached the ASGI feed endpoint (the fast path never gets there)."""
    seen: list[str] = []
    original = FeedFiles.__call__

    async def counting(self, scope, receive, send) -> None:
        seen.append(scope["path"])
        await original(self, scope, receive, send)

    monkeypatch.setattr(FeedFiles, "__call__", counting)
    return seen
