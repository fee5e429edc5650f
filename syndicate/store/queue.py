"""The outbox as a work queue, the same for every kind of message.

Due rows are claimed under a lease and what happened to each is recorded in
short transactions. A row is ``sending`` only while a worker holds its lease;
if that worker dies, the lease runs out (or, on the same host, the dead
process is noticed) and another worker sends the very same bytes, hence the
same ``Message-ID``.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import Connection, Engine, and_, case, func, or_, select, true, update

from syndicate.store.tables import outbox, subscribers
from syndicate.subscribers.lifecycle import Actor, sources

WAITING = ("queued", "retry")
UNFINISHED = ("queued", "retry", "sending")


@dataclass(frozen=True)
class Claimed:
    id: int
    kind: str
    subscriber_id: int
    edition_date: date | None
    recipient: str
    message_id: str
    message: bytes | None
    attempts: int  # counting the one about to be made
    queued_at: datetime | None = None  # the give-up time counts from here
    # A digest with an edition body: assembled from it when sent (``message`` is None).
    body_id: int | None = None
    link_key: str | None = None
    window_end: datetime | None = None


def as_claimed(row: Any, attempts: int) -> Claimed:
    """An outbox row (as read from the table) in the shape delivery sends."""
    return Claimed(
        id=row.id,
        kind=row.kind,
        subscriber_id=row.subscriber_id,
        edition_date=row.edition_date,
        recipient=row.recipient,
        message_id=row.message_id,
        message=row.message,
        attempts=attempts,
        queued_at=row.created_at,
        body_id=row.body_id,
        link_key=row.link_key,
        window_end=row.window_end,
    )


def claimable(now: datetime) -> Any:
    """The rows that may be claimed at ``now``: waiting and due, or left by a dead lease."""
    waiting = and_(
        outbox.c.state.in_(WAITING),
        or_(outbox.c.next_attempt_at.is_(None), outbox.c.next_attempt_at <= now),
    )
    abandoned = and_(outbox.c.state == "sending", outbox.c.lease_until <= now)
    return or_(waiting, abandoned)


def claim(
    engine: Engine,
    now: datetime,
    limit: int,
    lease_seconds: float,
    owner: str,
    receives: Mapping[str, str],
    due_by: datetime | None = None,
    only: Collection[int] | None = None,
) -> tuple[list[Claimed], int]:
    """Take up to ``limit`` due rows for this worker. Returns (rows to send, rows skipped).

    ``receives`` names the one subscriber status each kind is sent to; a row whose
    subscriber is in another is marked skipped here, so an unsubscribe between
    enqueue and send always wins. ``due_by`` (default ``now``) lets a one-pass run
    ignore retries that fall due while it is running; ``only`` limits it to those rows.
    """
    stmt = (
        select(
            outbox.c.id,
            outbox.c.kind,
            outbox.c.subscriber_id,
            outbox.c.edition_date,
            outbox.c.recipient,
            outbox.c.message_id,
            outbox.c.message,
            outbox.c.attempts,
            outbox.c.created_at,
            outbox.c.body_id,
            outbox.c.link_key,
            outbox.c.window_end,
            subscribers.c.status,
        )
        .join(subscribers, subscribers.c.id == outbox.c.subscriber_id)
        .where(claimable(due_by or now))
        .limit(limit)
    )
    if only is not None:
        if not only:
            return [], 0
        stmt = stmt.where(outbox.c.id.in_(sorted(only)))
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            stmt = stmt.with_for_update(of=outbox, skip_locked=True)
        # Alerts go ahead of every other row: a first pass takes those alone.
        rows = list(conn.execute(stmt.where(outbox.c.kind == "alert")).all())
        if len(rows) < limit:
            rest = stmt.where(outbox.c.kind != "alert").limit(limit - len(rows))
            rows += conn.execute(rest).all()
        gone: dict[str, list[int]] = {}
        live = []
        for row in rows:
            if row.status == receives.get(row.kind):
                live.append(row)
            else:
                gone.setdefault(row.status, []).append(row.id)
        for status, ids in gone.items():
            conn.execute(
                update(outbox)
                .where(outbox.c.id.in_(ids))
                .values(
                    state="skipped",
                    lease_until=None,
                    claimed_by=None,
                    last_reply=f"skipped: subscriber is {status}",
                    body_id=None,  # never sent now: its body may go
                )
            )
        if live:
            conn.execute(
                update(outbox)
                .where(outbox.c.id.in_([row.id for row in live]))
                .values(
                    state="sending",
                    lease_until=now + timedelta(seconds=lease_seconds),
                    claimed_by=owner,
                    attempts=outbox.c.attempts + 1,
                )
            )
    claimed = [as_claimed(row, row.attempts + 1) for row in live]
    return claimed, sum(len(ids) for ids in gone.values())


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def reclaim_dead(
    engine: Engine, now: datetime, owner: str, running_here: Collection[str] = ()
) -> int:
    """End the leases of earlier runs on this host whose process is gone; returns rows freed.

    ``owner`` is host:pid:run; ``running_here`` the tags of the other runs of this
    process still going (a web request sending a confirmation while the deliver
    step runs). Without this a restart after ``kill -9`` would wait for the lease.
    """
    host, pid, _run = owner.split(":")
    with engine.begin() as conn:
        holders = conn.execute(
            select(outbox.c.claimed_by)
            .where(outbox.c.state == "sending", outbox.c.claimed_by.like(f"{host}:%"))
            .distinct()
        ).scalars()
        dead = []
        for holder in holders:
            parts = (holder or "").split(":")
            if len(parts) != 3 or holder == owner or not parts[1].isdigit():
                continue
            if holder in running_here:
                continue
            # Our own pid with another run tag is an earlier run of this process: it is over.
            if parts[1] == pid or not _process_alive(int(parts[1])):
                dead.append(holder)
        if not dead:
            return 0
        result = conn.execute(
            update(outbox)
            .where(outbox.c.state == "sending", outbox.c.claimed_by.in_(dead))
            .values(lease_until=now)
        )
        return result.rowcount or 0


def release(engine: Engine, row_ids: Sequence[int], owner: str) -> None:
    """Hand back claimed rows that were never tried (graceful stop)."""
    if not row_ids:
        return
    with engine.begin() as conn:
        conn.execute(
            update(outbox)
            .where(
                outbox.c.id.in_(list(row_ids)),
                outbox.c.state == "sending",
                outbox.c.claimed_by == owner,
            )
            .values(
                state=case((outbox.c.attempts <= 1, "queued"), else_="retry"),
                attempts=outbox.c.attempts - 1,
                lease_until=None,
                claimed_by=None,
            )
        )


@dataclass(frozen=True)
class Result:
    """What to write for one claimed row, as delivery decided it."""

    row_id: int
    subscriber_id: int
    state: Literal["sent", "retry", "failed"]
    reply: str
    next_attempt_at: datetime | None = None
    hard_bounce: bool = False


def record(
    bind: Engine | Connection,
    results: Iterable[Result],
    now: datetime,
    owner: str,
    bounce_limit: int,
) -> None:
    """Write the results in one transaction, on a connection of ``bind`` or on ``bind``
    itself when it is a connection kept open for recording (outside any transaction).

    A hard bounce counts against the subscriber; at ``bounce_limit`` they become
    ``bounced`` where the lifecycle lets delivery move them.
    """
    sent: list[dict[str, object]] = []
    bounces: list[int] = []
    ours = and_(outbox.c.state == "sending", outbox.c.claimed_by == owner)
    with _transaction(bind) as conn:
        for result in results:
            if result.state == "sent":
                # Unconditional: the server accepted it, whoever holds the lease now.
                sent.append({"row_id": result.row_id, "reply": result.reply[:1000]})
                continue
            values: dict[str, object] = {
                "state": result.state,
                "last_reply": result.reply[:1000],
                "lease_until": None,
                "claimed_by": None,
            }
            if result.state == "retry":
                values["next_attempt_at"] = result.next_attempt_at
            conn.execute(update(outbox).where(outbox.c.id == result.row_id, ours).values(**values))
            if result.hard_bounce:
                bounces.append(result.subscriber_id)
        if bounces:
            _count_hard_bounces(conn, bounces, bounce_limit)
        if sent:
            _record_sent(conn, sent, now)


@contextmanager
def _transaction(bind: Engine | Connection) -> Iterator[Connection]:
    if isinstance(bind, Connection):
        with bind.begin():
            yield bind
    else:
        with bind.begin() as conn:
            yield conn


# Sent rows are the bulk of every commit: one prepared statement, executed for the
# whole group straight through the driver (building and binding it through the
# expression layer cost several times the write itself).
_SENT = (
    "UPDATE outbox SET state = 'sent', sent_at = {mark}, last_reply = {mark},"
    " lease_until = NULL, claimed_by = NULL,"
    # Delivered: the bytes (or the body they were assembled from) are not needed again;
    # the Message-ID, recipient and window stay.
    " message = NULL, body_id = NULL"
    " WHERE id = {mark}"
)


def _record_sent(conn: Connection, sent: list[dict[str, object]], now: datetime) -> None:
    # Unconditional: the server accepted it, whoever holds the lease now.
    mark = "?" if conn.dialect.name == "sqlite" else "%s"
    at = now.astimezone(UTC).replace(tzinfo=None)  # the columns hold naive UTC
    rows = [(at, item["reply"], item["row_id"]) for item in sent]
    conn.exec_driver_sql(_SENT.format(mark=mark), rows)


def _count_hard_bounces(conn: Connection, ids: Sequence[int], limit: int) -> None:
    """One more hard bounce for each of ``ids`` (a list, a subscriber may repeat); those at
    ``limit`` or past it become ``bounced`` where the lifecycle lets delivery move them."""
    allowed_from = sources("bounced", Actor.SYSTEM)
    for subscriber_id in ids:
        conn.execute(
            update(subscribers)
            .where(subscribers.c.id == subscriber_id)
            .values(hard_bounces=subscribers.c.hard_bounces + 1)
        )
    if not ids or not allowed_from:
        return
    conn.execute(
        update(subscribers)
        .where(
            subscribers.c.id.in_(sorted(set(ids))),
            subscribers.c.status.in_(sorted(allowed_from)),
            subscribers.c.hard_bounces >= limit,
        )
        .values(status="bounced")
    )


@dataclass(frozen=True)
class Backlog:
    due: int  # could be claimed now
    unfinished: int  # queued, retrying or sending, due or not
    sending: int  # of which held by a worker right now
    next_at: datetime | None  # earliest moment a not-yet-due row becomes due


def backlog(engine: Engine, now: datetime, kind: str | None = None) -> Backlog:
    """How much is left to send (of one kind, or of all)."""
    of_kind: Any = outbox.c.kind == kind if kind is not None else true()
    with engine.connect() as conn:
        due = conn.execute(
            select(func.count()).select_from(outbox).where(claimable(now), of_kind)
        ).scalar_one()
        unfinished = conn.execute(
            select(func.count()).select_from(outbox).where(outbox.c.state.in_(UNFINISHED), of_kind)
        ).scalar_one()
        sending = conn.execute(
            select(func.count())
            .select_from(outbox)
            .where(outbox.c.state == "sending", outbox.c.lease_until > now, of_kind)
        ).scalar_one()
        next_retry = conn.execute(
            select(func.min(outbox.c.next_attempt_at)).where(
                outbox.c.state.in_(WAITING), outbox.c.next_attempt_at > now, of_kind
            )
        ).scalar_one()
        next_lease = conn.execute(
            select(func.min(outbox.c.lease_until)).where(
                outbox.c.state == "sending", outbox.c.lease_until > now, of_kind
            )
        ).scalar_one()
    candidates = [moment for moment in (next_retry, next_lease) if moment is not None]
    return Backlog(due, unfinished, sending, min(candidates) if candidates else None)
