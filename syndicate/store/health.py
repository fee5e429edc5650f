"""What the alarms read: the marks the steps leave (last digest tick, relay failing since)
and a few cheap counts over the outbox. Each is one indexed query."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Connection, Engine, func, select

from syndicate.store.queue import UNFINISHED
from syndicate.store.state import get_mark, set_mark
from syndicate.store.tables import outbox

TICK_OK = "digest_tick.ok"
TICK_FAILED = "digest_tick.failed"
RELAY_FAILING = "relay.failing_since"


@dataclass(frozen=True)
class TickMarks:
    ok_at: datetime | None
    failed_at: datetime | None
    error: str

    @property
    def failing(self) -> bool:
        """The last tick failed (no success since)."""
        return self.failed_at is not None and (self.ok_at is None or self.failed_at > self.ok_at)


def _moment(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def record_tick(engine: Engine, now: datetime, error: str | None = None) -> None:
    with engine.begin() as conn:
        if error is None:
            set_mark(conn, TICK_OK, now.isoformat(), now)
        else:
            set_mark(conn, TICK_FAILED, json.dumps({"at": now.isoformat(), "error": error}), now)


def tick_marks(conn: Connection) -> TickMarks:
    failed = json.loads(get_mark(conn, TICK_FAILED) or "{}")
    return TickMarks(
        _moment(get_mark(conn, TICK_OK)), _moment(failed.get("at")), failed.get("error", "")
    )


def relay_failing_since(conn: Connection) -> datetime | None:
    return _moment(get_mark(conn, RELAY_FAILING))


def set_relay_failing(engine: Engine, since: datetime | None, now: datetime) -> None:
    """Record that the relay has been failing since ``since`` (None: it works again)."""
    with engine.begin() as conn:
        set_mark(conn, RELAY_FAILING, since.isoformat() if since else "", now)


def oldest_waiting(conn: Connection) -> datetime | None:
    """When the oldest row still to be sent was queued."""
    return conn.execute(
        select(func.min(outbox.c.created_at)).where(outbox.c.state.in_(UNFINISHED))
    ).scalar_one()


def latest_edition(conn: Connection, today: date) -> tuple[date | None, dict[str, int]]:
    """The newest edition up to ``today`` and its digests by state."""
    day = conn.execute(
        select(func.max(outbox.c.edition_date)).where(
            outbox.c.kind == "digest", outbox.c.edition_date <= today
        )
    ).scalar_one()
    if day is None:
        return None, {}
    rows = conn.execute(
        select(outbox.c.state, func.count())
        .where(outbox.c.kind == "digest", outbox.c.edition_date == day)
        .group_by(outbox.c.state)
    ).all()
    return day, {state: n for state, n in rows}
