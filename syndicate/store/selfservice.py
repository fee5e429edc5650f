"""What readers change themselves besides their preferences: a pause, why they left."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, func, select, update

from syndicate.store.tables import subscribers


def set_pause(conn: Connection, subscriber_id: int, until: date | None, now: datetime) -> None:
    """Pause until ``until`` (None: resume now). The pause's start is kept when resuming,
    so the next edition still starts where the pause began."""
    values: dict[str, Any] = {"paused_until": until}
    if until is not None:
        values["paused_at"] = now
    conn.execute(update(subscribers).where(subscribers.c.id == subscriber_id).values(**values))


def set_unsubscribe_reason(conn: Connection, subscriber_id: int, reason: str, note: str) -> None:
    conn.execute(
        update(subscribers)
        .where(subscribers.c.id == subscriber_id)
        .values(unsubscribe_reason=reason or None, unsubscribe_note=note or None)
    )


def unsubscribe_reasons(conn: Connection) -> list[tuple[str, int]]:
    """How many unsubscribed readers gave each reason, most given first."""
    query = (
        select(subscribers.c.unsubscribe_reason, func.count())
        .where(
            (subscribers.c.status == "unsubscribed") & subscribers.c.unsubscribe_reason.is_not(None)
        )
        .group_by(subscribers.c.unsubscribe_reason)
        .order_by(func.count().desc(), subscribers.c.unsubscribe_reason)
    )
    return [(reason, count) for reason, count in conn.execute(query)]
