"""Setting up a delivery test: a config on a SQLite file, an engine, and a run."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from syndicate import config, store
from syndicate.clock import FixedClock
from syndicate.db import outbox
from syndicate.delivery import DeliveryReport, deliver_due_async
from syndicate.senders import make_sender
from tests.conftest import write_config


def delivery_config(
    folder: Path,
    port: int = 0,
    transport: str = "smtp",
    database_url: str | None = None,
    delivery: dict[str, Any] | None = None,
    smtp: dict[str, Any] | None = None,
    env: dict[str, str] | None = None,
) -> config.Settings:
    """A config for ``folder``; ``delivery`` and ``smtp`` override keys of those tables."""
    tables = {
        "delivery": {
            "transport": transport,
            "maildir": "mail",
            "connections": 4,
            "timeout_seconds": 5,
            "retry_after_seconds": 60,
            **(delivery or {}),
        },
        "smtp": {"host": "127.0.0.1", "port": port or 25, **(smtp or {})},
    }
    extra = "".join(
        f"\n[{name}]\n" + "".join(f"{key} = {json.dumps(value)}\n" for key, value in keys.items())
        for name, keys in tables.items()
    )
    path = write_config(
        folder, extra, database_url=database_url or f"sqlite:///{folder / 'syndicate.db'}"
    )
    return config.load(path, env={"SYNDICATE_SECRET": "s", **(env or {})})


def ready_engine(settings: config.Settings) -> Engine:
    engine = store.open_engine(settings.database.url)
    store.migrate(engine)
    return engine


def run(
    engine: Engine, settings: config.Settings, clock: FixedClock, **kwargs: Any
) -> DeliveryReport:
    """One in-process delivery run; waits for retries move the fixed clock instead of sleeping."""

    async def advance(seconds: float) -> None:
        clock.advance(seconds=seconds)
        await asyncio.sleep(0)

    kwargs.setdefault("sleep", advance)
    return asyncio.run(deliver_with(engine, settings, clock, **kwargs))


async def deliver_with(
    engine: Engine, settings: config.Settings, clock: FixedClock, **kwargs: Any
) -> DeliveryReport:
    """A delivery run through the configured sender, closed at the end as the commands do."""
    sender = make_sender(settings)
    try:
        return await deliver_due_async(engine, settings, clock, sender, **kwargs)
    finally:
        await sender.close()


def outbox_states(engine: Engine) -> dict[str, int]:
    counts: dict[str, int] = {}
    with engine.connect() as conn:
        for (state,) in conn.execute(select(outbox.c.state)):
            counts[state] = counts.get(state, 0) + 1
    return counts
