"""Small facts the steps keep between runs: key/value marks, each feed's last build, and
the send slots whose edition is fully enqueued."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Connection, delete, func, insert, select, text, update

from syndicate.store.tables import digest_slots, feed_state, service_state
from syndicate.store.upsert import insert_ignoring_conflicts

# -- key/value marks -------------------------------------------------------------------


def get_mark(conn: Connection, key: str) -> str | None:
    return conn.execute(select(service_state.c.value).where(service_state.c.key == key)).scalar()


def set_mark(conn: Connection, key: str, value: str, now: datetime) -> None:
    done = conn.execute(
        update(service_state).where(service_state.c.key == key).values(value=value, updated_at=now)
    )
    if not done.rowcount:
        conn.execute(insert(service_state).values(key=key, value=value, updated_at=now))


def lock_feeds(conn: Connection, key: int) -> None:
    """Hold the feed-building lock until this transaction ends."""
    # SQLite transactions already begin IMMEDIATE (one writer at a time).
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


# -- feeds ---------------------------------------------------------------------------


@dataclass(frozen=True)
class FeedState:
    section: str
    content_hash: str
    built_at: datetime
    newest_at: datetime | None
    entry_ids: tuple[int, ...]


def feed_states(conn: Connection) -> dict[str, FeedState]:
    return {
        row.section: FeedState(
            row.section,
            row.content_hash,
            row.built_at,
            row.newest_at,
            tuple(json.loads(row.entry_ids)) if row.entry_ids else (),
        )
        for row in conn.execute(select(feed_state))
    }


def save_feed_state(conn: Connection, state: FeedState, known: bool) -> None:
    """Write one section's build (``known``: a row for it exists already)."""
    values = {
        "content_hash": state.content_hash,
        "built_at": state.built_at,
        "newest_at": state.newest_at,
        "entry_ids": json.dumps(list(state.entry_ids)),
    }
    if known:
        conn.execute(
            update(feed_state).where(feed_state.c.section == state.section).values(**values)
        )
    else:
        conn.execute(insert(feed_state).values(section=state.section, **values))


def last_feed_build(conn: Connection) -> datetime | None:
    return conn.execute(select(func.max(feed_state.c.built_at))).scalar_one()


# -- digest send slots -----------------------------------------------------------------

Slot = tuple[str, str]  # (timezone, digest_time)


def finished_slots(conn: Connection, dates: set[date]) -> set[tuple[date, str, str]]:
    if not dates:
        return set()
    rows = conn.execute(
        select(
            digest_slots.c.edition_date, digest_slots.c.timezone, digest_slots.c.digest_time
        ).where(digest_slots.c.edition_date.in_(sorted(dates)))
    ).all()
    return {(day, tz, hhmm) for day, tz, hhmm in rows}


def mark_slots_finished(
    conn: Connection, edition_date: date, slots: Iterable[Slot], now: datetime, keep: timedelta
) -> None:
    """Record these slots of ``edition_date`` as done; forget records older than ``keep``."""
    rows = [
        {"edition_date": edition_date, "timezone": tz, "digest_time": hhmm, "done_at": now}
        for tz, hhmm in slots
    ]
    # Another tick (cron next to the service, say) may have marked some first.
    if rows:
        insert_ignoring_conflicts(conn, digest_slots, rows)
    conn.execute(delete(digest_slots).where(digest_slots.c.edition_date < edition_date - keep))
