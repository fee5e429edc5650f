"""Who is due a digest: a few grouped queries, not one per subscriber.

Active subscribers fall into (timezone, digest_time) groups, read from the
``ix_subscribers_due`` index. Each group's slot is worked out in Python (see
``slots``); the subscribers of due groups who have no outbox row for their
local date yet are then found with one anti-join per local date, which probes
the (subscriber_id, edition_date) index.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Connection

from syndicate.digest.slots import SlotStatus, status
from syndicate.store.outbox import without_edition
from syndicate.store.state import finished_slots
from syndicate.store.subscribers import active_groups as groups

# Groups per statement: keeps the bound parameters well under SQLite's limit.
GROUPS_PER_QUERY = 400


@dataclass(frozen=True)
class DueEdition:
    """Subscribers owed the edition of one local date."""

    edition_date: date
    subscriber_ids: list[int]


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
        found.extend(without_edition(conn, edition_date, by_zone))
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


def overdue(conn: Connection, instant: datetime, grace: timedelta) -> int:
    """Subscribers whose send slot passed more than ``grace`` before ``instant``, in a slot
    the tick has not finished, with no edition row: the tick is not doing its work."""
    late = due_groups(groups(conn), instant - grace)
    done = finished_slots(conn, {slot.local_date for slot in late})
    by_date: dict[date, list[tuple[str, str]]] = defaultdict(list)
    for slot in late:
        if (slot.local_date, slot.timezone, slot.digest_time) not in done:
            by_date[slot.local_date].append((slot.timezone, slot.digest_time))
    return sum(len(missing(conn, day, pairs)) for day, pairs in by_date.items())
