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

from sqlalchemy import Connection

from syndicate.store import articles, state

POLL_MARK = "feeds.poll_mark"
OVERLAP = timedelta(minutes=5)


@dataclass(frozen=True)
class Mark:
    at: datetime  # the newest changed_at seen
    stamps: frozenset[str]  # every changed_at seen in (at - OVERLAP, at], ISO format

    def save(self, conn: Connection, now: datetime) -> None:
        value = json.dumps({"at": self.at.isoformat(), "stamps": sorted(self.stamps)})
        state.set_mark(conn, POLL_MARK, value, now)


def load(conn: Connection) -> Mark | None:
    value = state.get_mark(conn, POLL_MARK)
    if value is None:
        return None
    data = json.loads(value)
    return Mark(datetime.fromisoformat(data["at"]), frozenset(data["stamps"]))


def _mark(rows: Sequence[tuple[int, datetime]], at: datetime) -> Mark:
    floor = at - OVERLAP
    return Mark(at, frozenset(when.isoformat() for _, when in rows if when > floor))


def current(conn: Connection) -> Mark | None:
    """The mark for "everything up to now has been built" (read before building)."""
    newest = articles.newest_change(conn)
    if newest is None:
        return None
    return _mark(articles.changed_since(conn, newest - OVERLAP), newest)


def changes_since(conn: Connection, mark: Mark) -> tuple[set[int], Mark]:
    """Ids of the articles to look at again, and the mark to save once they are built."""
    rows = articles.changed_since(conn, mark.at - OVERLAP)
    picked = {
        article_id
        for article_id, when in rows
        if when > mark.at or when.isoformat() not in mark.stamps
    }
    at = max([mark.at, *(when for _, when in rows)])
    return picked, _mark(rows, at)
