"""Where the poll step left off, kept in ``service_state``.

A row is stamped with ``changed_at`` before its transaction commits, so a slow
writer (on PostgreSQL, where writers run side by side) can make a row visible
*below* the newest time a poll already saw. The mark therefore keeps, besides
that time, the distinct ``changed_at`` values it saw in the last ``OVERLAP``: one
per writing transaction, since a transaction stamps all its rows alike and
commits them together. A row in that window with a value not on the list came
in late and is looked at; rows already seen are not, so the poll after a bulk
import does not rebuild everything again.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from syndicate.db import articles, service_state

POLL_MARK = "feeds.poll_mark"
OVERLAP = timedelta(minutes=5)


def get_state(conn: Connection, key: str) -> str | None:
    return conn.execute(select(service_state.c.value).where(service_state.c.key == key)).scalar()


def set_state(conn: Connection, key: str, value: str, now: datetime) -> None:
    done = conn.execute(
        update(service_state).where(service_state.c.key == key).values(value=value, updated_at=now)
    )
    if not done.rowcount:
        conn.execute(insert(service_state).values(key=key, value=value, updated_at=now))


@dataclass(frozen=True)
class Mark:
    at: datetime  # the newest changed_at seen
    stamps: frozenset[str]  # every changed_at seen in (at - OVERLAP, at], ISO format

    def save(self, conn: Connection, now: datetime) -> None:
        value = json.dumps({"at": self.at.isoformat(), "stamps": sorted(self.stamps)})
        set_state(conn, POLL_MARK, value, now)


def load(conn: Connection) -> Mark | None:
    value = get_state(conn, POLL_MARK)
    if value is None:
        return None
    data = json.loads(value)
    return Mark(datetime.fromisoformat(data["at"]), frozenset(data["stamps"]))


def _rows_since(conn: Connection, moment: datetime) -> Sequence[Any]:
    query = select(articles.c.id, articles.c.changed_at).where(articles.c.changed_at > moment)
    return conn.execute(query).all()


def _mark(rows: Sequence[Any], at: datetime) -> Mark:
    floor = at - OVERLAP
    return Mark(at, frozenset(r.changed_at.isoformat() for r in rows if r.changed_at > floor))


def current(conn: Connection) -> Mark | None:
    """The mark for "everything up to now has been built" (read before building)."""
    newest = conn.execute(select(func.max(articles.c.changed_at))).scalar()
    if newest is None:
        return None
    return _mark(_rows_since(conn, newest - OVERLAP), newest)


def changes_since(conn: Connection, mark: Mark) -> tuple[set[int], Mark]:
    """Ids of the articles to look at again, and the mark to save once they are built."""
    rows = _rows_since(conn, mark.at - OVERLAP)
    picked = {
        r.id for r in rows if r.changed_at > mark.at or r.changed_at.isoformat() not in mark.stamps
    }
    at = max([mark.at, *(r.changed_at for r in rows)])
    return picked, _mark(rows, at)
