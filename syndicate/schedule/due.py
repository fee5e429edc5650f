"""Who is due a digest: a few grouped queries, not one per subscriber.

Active subscribers fall into (timezone, digest_time) groups, read from the
``ix_subscribers_due`` index. Each group's slot is worked out in Python (see
``slots``); the subscribers of due groups who have no outbox row for their
local date yet are then found with one anti-join per local date, which probes
the (subscriber_id, edition_date) unique index.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Connection, and_, exists, or_, select, text

from syndicate.db import outbox, subscribers
from syndicate.schedule.slots import SlotStatus, status

# Groups per statement: keeps the bound parameters well under SQLite's limit.
GROUPS_PER_QUERY = 400


@dataclass(frozen=True)
class DueEdition:
    """Subscribers owed the edition of one local date."""

    edition_date: date
    subscriber_ids: list[int]


# PostgreSQL has no skip scan before version 18: this recursive query hops from
# one distinct (timezone, digest_time) to the next through the index, so it
# costs one index probe per group instead of a pass over every subscriber.
_PG_GROUPS = text(
    """
    WITH RECURSIVE g AS (
        (SELECT timezone, digest_time FROM subscribers
          WHERE status = 'active' ORDER BY timezone, digest_time LIMIT 1)
        UNION ALL
        SELECT n.timezone, n.digest_time FROM g, LATERAL (
            SELECT s.timezone, s.digest_time FROM subscribers s
             WHERE s.status = 'active' AND (s.timezone, s.digest_time) > (g.timezone, g.digest_time)
             ORDER BY s.timezone, s.digest_time LIMIT 1) n
    )
    SELECT timezone, digest_time FROM g
    """
)


def groups(conn: Connection) -> list[tuple[str, str]]:
    """Every (timezone, digest_time) that has at least one active subscriber."""
    if conn.dialect.name == "postgresql":
        rows = conn.execute(_PG_GROUPS).all()
    else:
        rows = conn.execute(
            select(subscribers.c.timezone, subscribers.c.digest_time)
            .where(subscribers.c.status == "active")
            .distinct()
        ).all()
    return [(tz, hhmm) for tz, hhmm in rows]


def due_groups(pairs: Iterable[tuple[str, str]], instant: datetime) -> list[SlotStatus]:
    return [s for s in (status(tz, hhmm, instant) for tz, hhmm in pairs) if s.due]


def missing(conn: Connection, edition_date: date, pairs: Sequence[tuple[str, str]]) -> list[int]:
    """Active subscribers of these groups with no outbox row for ``edition_date``."""
    found: list[int] = []
    for start in range(0, len(pairs), GROUPS_PER_QUERY):
        chunk = pairs[start : start + GROUPS_PER_QUERY]
        by_zone: dict[str, list[str]] = defaultdict(list)
        for tz, hhmm in chunk:
            by_zone[tz].append(hhmm)
        in_groups = or_(
            *(
                and_(subscribers.c.timezone == tz, subscribers.c.digest_time.in_(times))
                for tz, times in by_zone.items()
            )
        )
        has_row = exists().where(
            outbox.c.subscriber_id == subscribers.c.id, outbox.c.edition_date == edition_date
        )
        query = (
            select(subscribers.c.id)
            .where(subscribers.c.status == "active", in_groups, ~has_row)
            .order_by(subscribers.c.id)
        )
        found.extend(conn.execute(query).scalars())
    return sorted(found)


def find_due(conn: Connection, instant: datetime) -> list[DueEdition]:
    """Subscribers whose local send time has passed today and who have no edition for today."""
    by_date: dict[date, list[tuple[str, str]]] = defaultdict(list)
    for slot in due_groups(groups(conn), instant):
        by_date[slot.local_date].append((slot.timezone, slot.digest_time))
    editions = []
    for edition_date in sorted(by_date):
        ids = missing(conn, edition_date, by_date[edition_date])
        if ids:
            editions.append(DueEdition(edition_date, ids))
    return editions
