"""The outbox: one table for every message the service sends (digests, confirmations, ...).

Each row has a ``kind`` and a ``key`` unique within that kind (a digest is
subscriber/edition date, a confirmation subscriber/request number, a
preferences link subscriber/hour), so a
second enqueue of the same message is a no-op even when two processes race:
rows go in with "on conflict do nothing", never checked first.

Claiming, leasing and recording are ``syndicate.store.queue``.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    Connection,
    and_,
    exists,
    func,
    or_,
    select,
    update,
)

from syndicate.store import bodies as body_store
from syndicate.store.bulk import insert_many
from syndicate.store.lanes import edition_day
from syndicate.store.queue import UNFINISHED, WAITING, claimable
from syndicate.store.tables import outbox, subscribers


def digest_key(subscriber_id: int, edition_date: date) -> str:
    return f"{subscriber_id}/{edition_date.isoformat()}"


@dataclass(frozen=True)
class NewMessage:
    """A row to enqueue. A digest names its body by digest (``body``) and carries what
    makes it personal; ``message`` (finished bytes) is for rows made without a body."""

    kind: str
    key: str
    subscriber_id: int
    recipient: str
    created_at: datetime
    state: str = "queued"  # or "skipped": recorded, nothing to send
    message_id: str = ""
    message: bytes | None = None
    next_attempt_at: datetime | None = None
    edition_date: date | None = None
    window_start: datetime | None = None
    window_end: datetime | None = None
    article_count: int = 0
    last_reply: str | None = None  # why a row recorded as failed could not be built
    # The edition body: its digest and content (the same bytes object for every row
    # that shares it), stored once by ``enqueue``.
    body_digest: str | None = None
    body: bytes | None = None
    link_key: str | None = None


_COLUMNS = tuple(f.name for f in fields(NewMessage) if f.name not in ("body", "body_digest"))


def enqueue(conn: Connection, rows: Sequence[NewMessage]) -> list[str]:
    """Insert the rows not enqueued before; returns the states of those inserted.

    The bodies the rows name are stored in this same transaction, so a row never
    points at a body that is not there.
    """
    if not rows:
        return []
    bodies = {row.body_digest: row.body for row in rows if row.body_digest and row.body}
    ids = body_store.save(conn, bodies, rows[0].created_at)
    values = [
        {name: getattr(row, name) for name in _COLUMNS}
        | {"attempts": 0, "body_id": ids.get(row.body_digest) if row.body_digest else None}
        for row in rows
    ]
    return insert_many(conn, outbox, values, conflict=("kind", "key"), returning="state")


# -- digests -------------------------------------------------------------------------


def _among(subscriber_ids: Sequence[int]) -> Any:
    """``outbox.subscriber_id`` among these ids: as a range when they nearly fill one
    (a batch of the enqueue), which the indexes scan without a list of thousands of
    ids to send; the caller drops the rows of ids in the range it did not ask for."""
    low, high = min(subscriber_ids), max(subscriber_ids)
    if high - low < 2 * len(subscriber_ids):
        return outbox.c.subscriber_id.between(low, high)
    return outbox.c.subscriber_id.in_(list(subscriber_ids))


def editions_of(
    conn: Connection, subscriber_ids: Sequence[int], days: Collection[date] | None = None
) -> set[tuple[int, date]]:
    """(subscriber, edition date) of every digest these subscribers have (of these days)."""
    if not subscriber_ids:
        return set()
    query = select(outbox.c.subscriber_id, outbox.c.edition_date).where(
        _among(subscriber_ids), outbox.c.edition_date.is_not(None)
    )
    if days is not None:
        query = query.where(outbox.c.edition_date.in_(sorted(days)))
    wanted = set(subscriber_ids)
    return {(sid, day) for sid, day in conn.execute(query) if sid in wanted}


def previous_cutoffs(
    conn: Connection, subscriber_ids: Sequence[int], before: date | None = None
) -> dict[int, datetime]:
    """Where each subscriber's last recorded edition ended (optionally, of those before a date)."""
    if not subscriber_ids:
        return {}
    # Only digests have a window: the (subscriber_id, window_end) index answers alone.
    query = select(outbox.c.subscriber_id, func.max(outbox.c.window_end)).where(
        _among(subscriber_ids), outbox.c.window_end.is_not(None)
    )
    if before is not None:
        query = query.where(outbox.c.edition_date < before)
    wanted = set(subscriber_ids)
    found = conn.execute(query.group_by(outbox.c.subscriber_id))
    return {sid: end for sid, end in found if sid in wanted}


# -- confirmations -------------------------------------------------------------------


def enqueue_confirmation(
    conn: Connection, subscriber_id: int, recipient: str, now: datetime
) -> None:
    """Owe this subscriber a confirmation email (rendered before it is sent).

    An earlier request's email still waiting is dropped: one link is enough.
    """
    mine = (outbox.c.kind == "confirmation") & (outbox.c.subscriber_id == subscriber_id)
    conn.execute(
        update(outbox)
        .where(mine, outbox.c.state.in_(WAITING))
        .values(state="skipped", last_reply="skipped: a newer request replaced it")
    )
    made = conn.execute(select(func.count()).select_from(outbox).where(mine)).scalar_one()
    enqueue(
        conn,
        [
            NewMessage(
                kind="confirmation",
                key=f"{subscriber_id}/{made + 1}",
                subscriber_id=subscriber_id,
                recipient=recipient,
                created_at=now,
                next_attempt_at=now,
            )
        ],
    )


def link_key(subscriber_id: int, now: datetime) -> str:
    """One preferences-link email per subscriber per hour (UTC): asking again within the
    hour adds nothing, and the one link sent is valid for days anyway."""
    return f"{subscriber_id}/{now.astimezone(UTC):%Y-%m-%dT%H}"


def enqueue_link(conn: Connection, subscriber_id: int, recipient: str, now: datetime) -> int | None:
    """Owe this subscriber a preferences-link email (rendered before it is sent); returns
    the new row's id, or None when this hour's is already there."""
    key = link_key(subscriber_id, now)
    row = NewMessage(
        kind="link",
        key=key,
        subscriber_id=subscriber_id,
        recipient=recipient,
        created_at=now,
        next_attempt_at=now,
    )
    if not enqueue(conn, [row]):
        return None
    query = select(outbox.c.id).where(outbox.c.kind == "link", outbox.c.key == key)
    return int(conn.execute(query).scalar_one())


def store_message(conn: Connection, row_id: int, message_id: str, message: bytes) -> None:
    """Attach the rendered message to a row that has none yet."""
    conn.execute(
        update(outbox)
        .where(outbox.c.id == row_id, outbox.c.message.is_(None))
        .values(message_id=message_id, message=message)
    )


def waiting_ids(
    conn: Connection, kind: str, subscriber_ids: Sequence[int] | None = None
) -> list[int]:
    """The unsent rows of ``kind`` (of these subscribers, or of all)."""
    query = select(outbox.c.id).where(outbox.c.kind == kind, outbox.c.state.in_(UNFINISHED))
    if subscriber_ids is not None:
        if not subscriber_ids:
            return []
        query = query.where(outbox.c.subscriber_id.in_(list(subscriber_ids)))
    return list(conn.execute(query.order_by(outbox.c.id)).scalars())


# -- reports -------------------------------------------------------------------------


def counts(conn: Connection) -> list[tuple[str, str, int]]:
    """(kind, state, rows) for every kind and state present."""
    query = select(outbox.c.kind, outbox.c.state, func.count()).group_by(
        outbox.c.kind, outbox.c.state
    )
    return [(kind, state, n) for kind, state, n in conn.execute(query)]


def digest_counts_by_edition(conn: Connection) -> list[tuple[date, str, int]]:
    """(edition date, state, rows) of the digests, newest edition first."""
    query = (
        select(outbox.c.edition_date, outbox.c.state, func.count())
        .where(outbox.c.kind == "digest")
        .group_by(outbox.c.edition_date, outbox.c.state)
        .order_by(outbox.c.edition_date.desc())
    )
    return [(day, state, n) for day, state, n in conn.execute(query)]


@dataclass(frozen=True)
class Failure:
    kind: str
    edition_date: date | None
    recipient: str
    reply: str | None


def recent_failures(conn: Connection, limit: int) -> list[Failure]:
    """The newest rows that failed or wait for another try."""
    query = (
        select(outbox.c.kind, outbox.c.edition_date, outbox.c.recipient, outbox.c.last_reply)
        .where(outbox.c.state.in_(["failed", "retry"]))
        .order_by(outbox.c.id.desc())
        .limit(limit)
    )
    return [Failure(*row) for row in conn.execute(query)]


@dataclass(frozen=True)
class Owed:
    due: int  # could be sent now
    waiting: int  # to be tried again later
    next_at: datetime | None


def owed(conn: Connection, kind: str, now: datetime, receives: str) -> Owed:
    """Unsent rows of ``kind`` whose subscriber is still ``receives``."""
    row = conn.execute(
        select(
            func.count().filter(claimable(now)),
            func.count(),
            func.min(outbox.c.next_attempt_at).filter(outbox.c.next_attempt_at > now),
        )
        .join(subscribers, subscribers.c.id == outbox.c.subscriber_id)
        .where(
            outbox.c.kind == kind,
            outbox.c.state.in_(UNFINISHED),
            subscribers.c.status == receives,
        )
    ).one()
    due, total, next_at = row
    return Owed(due, total - due, next_at)


# -- who is owed an edition ------------------------------------------------------------


def without_edition(
    conn: Connection, edition_date: date, groups: Mapping[str, Sequence[str]]
) -> list[int]:
    """Active subscribers of these {timezone: [digest_time, ...]} groups with no digest
    for ``edition_date``, in id order."""
    in_groups = or_(
        *(
            and_(subscribers.c.timezone == tz, subscribers.c.digest_time.in_(list(times)))
            for tz, times in groups.items()
        )
    )
    # Only digests have an edition date: the (subscriber_id, edition_date) index answers alone.
    has_row = exists().where(
        outbox.c.subscriber_id == subscribers.c.id, outbox.c.edition_date == edition_date
    )
    query = (
        select(subscribers.c.id)
        .where(subscribers.c.status == "active", in_groups, edition_day(edition_date), ~has_row)
        .order_by(subscribers.c.id)
    )
    return list(conn.execute(query).scalars())


def edition_window(
    conn: Connection, subscriber_id: int, edition_date: date
) -> tuple[datetime, datetime] | None:
    """The window of articles the subscriber's digest of ``edition_date`` covered, if any."""
    row = conn.execute(
        select(outbox.c.window_start, outbox.c.window_end).where(
            (outbox.c.kind == "digest")
            & (outbox.c.subscriber_id == subscriber_id)
            & (outbox.c.edition_date == edition_date)
        )
    ).first()
    if row is None or row.window_start is None or row.window_end is None:
        return None
    return row.window_start, row.window_end
