"""What every handler of the app shares: settings, store, clock, pages, feed cache, limits."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine

from syndicate.clock import Clock
from syndicate.config import Settings
from syndicate.mail.sender import Sender
from syndicate.web.clients import Clients
from syndicate.web.feedcache import FeedCache
from syndicate.web.pages import Pages
from syndicate.web.ratelimit import RateLimit

# publish(engine, settings, clock, sections) -> report: rebuilds and writes those sections' feeds.
Publisher = Callable[[Engine, Settings, Clock, "set[str] | None"], Any]


@dataclass
class Service:
    settings: Settings
    engine: Engine
    clock: Clock
    pages: Pages
    cache: FeedCache
    sender: Callable[[], Sender]  # opens one for confirmation emails; the caller closes it
    publish: Publisher | None
    client_limit: RateLimit
    email_limit: RateLimit
    timezones: list[str]
    clients: Clients
    publish_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    # Tells the delivery loop of `syndicate run` that rows were queued (alerts from the
    # API): it starts sending at once. Nothing to tell under `serve`, where cron delivers.
    wake: Callable[[], None] = lambda: None
