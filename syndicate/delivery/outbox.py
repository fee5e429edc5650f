"""The outbox as a work queue: claim due rows under a lease, record what happened to each.

Every state change is one short transaction. A row is ``sending`` only while a
worker holds its lease; if that worker dies, the lease runs out (or, on the same
host, the dead process is noticed at start-up) and another worker sends the row
again with the very same bytes, hence the same ``Message-ID``.
"""

from __future__ import annotations

import os
import random
import socket
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

from sqlalchemy import Engine, and_, bindparam, case, func, or_, select, update

from syndicate.config import DeliverySettings
from syndicate.db import outbox, subscribers

WAITING = ("queued", "retry")
UNFINISHED = ("queued", "retry", "sending")
MAX_BACKOFF = timedelta(hours=6)


@dataclass(frozen=True)
class Claimed:
    id: int
    subscriber_id: int
    edition_date: date
    recipient: str
    message_id: str
    message: bytes | None
    attempts: int  # counting the one about to be made


@dataclass(frozen=True)
class Outcome:
    row: Claimed
    kind: Literal["sent", "retry", "failed"]
    reply: str
    bounce: bool = False  # a 5xx about the address itself


def _host() -> str:
    # The boot id tells apart machines (or containers' hosts) that share a host name.
    try:
        with open("/proc/sys/kernel/random/boot_id", encoding="ascii") as boot:
            boot_id = boot.read().strip()[:8]
    except OSError:
        boot_id = "noboot"
    return f"{socket.gethostname()[:80]}/{boot_id}"


def owner_tag() -> str:
    """Names one delivery run: host, process and a random part (a process may run several)."""
    return f"{_host()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _due(now: datetime):
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
    due_by: datetime | None = None,
) -> tuple[list[Claimed], int]:
    """Take up to ``limit`` due rows for this worker. Returns (rows to send, rows skipped).

    Rows whose subscriber is no longer active are marked skipped here, so an
    unsubscribe between enqueue and send always wins. ``due_by`` (default ``now``)
    lets a one-pass run ignore retries that fall due while it is running.
    """
    stmt = (
        select(
            outbox.c.id,
            outbox.c.subscriber_id,
            outbox.c.edition_date,
            outbox.c.recipient,
            outbox.c.message_id,
            outbox.c.message,
            outbox.c.attempts,
            subscribers.c.status,
        )
        .join(subscribers, subscribers.c.id == outbox.c.subscriber_id)
        .where(_due(due_by or now))
        .limit(limit)
    )
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            stmt = stmt.with_for_update(of=outbox, skip_locked=True)
        rows = conn.execute(stmt).all()
        gone: dict[str, list[int]] = {}
        for row in rows:
            if row.status != "active":
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
                )
            )
        live = [row for row in rows if row.status == "active"]
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
    claimed = [
        Claimed(
            id=row.id,
            subscriber_id=row.subscriber_id,
            edition_date=row.edition_date,
            recipient=row.recipient,
            message_id=row.message_id,
            message=row.message,
            attempts=row.attempts + 1,
        )
        for row in live
    ]
    return claimed, sum(len(ids) for ids in gone.values())


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def reclaim_dead(engine: Engine, now: datetime, owner: str) -> int:
    """End the leases of earlier runs on this host whose process is gone; returns rows freed.

    Without this a restart after ``kill -9`` would wait ``lease_seconds`` for them.
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


def release(engine: Engine, rows: Sequence[Claimed], owner: str) -> None:
    """Hand back claimed rows that were never tried (graceful stop)."""
    if not rows:
        return
    with engine.begin() as conn:
        conn.execute(
            update(outbox)
            .where(
                outbox.c.id.in_([row.id for row in rows]),
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


def backoff(attempts: int, first_wait: float, rng: random.Random) -> timedelta:
    """Wait before attempt ``attempts + 1``: doubling from ``first_wait``, plus up to 25 % jitter."""
    base = first_wait * (2 ** max(0, attempts - 1))
    wait = timedelta(seconds=base * (1 + 0.25 * rng.random()))
    return min(wait, MAX_BACKOFF)


def record(
    engine: Engine,
    outcomes: Iterable[Outcome],
    now: datetime,
    owner: str,
    delivery: DeliverySettings,
    rng: random.Random,
) -> list[Outcome]:
    """Write outcomes in one transaction. Returns them as recorded (a retry past the
    last attempt comes back as failed)."""
    recorded: list[Outcome] = []
    sent: list[dict[str, object]] = []
    ours = and_(outbox.c.state == "sending", outbox.c.claimed_by == owner)
    with engine.begin() as conn:
        for outcome in outcomes:
            row = outcome.row
            if outcome.kind == "sent":
                # Unconditional: the server accepted it, whoever holds the lease now.
                sent.append({"row_id": row.id, "reply": outcome.reply[:1000]})
                recorded.append(outcome)
                continue
            if outcome.kind == "retry" and row.attempts >= delivery.max_attempts:
                outcome = Outcome(
                    row, "failed", f"gave up after {row.attempts} attempts: {outcome.reply}"
                )
            values: dict[str, object] = {
                "state": outcome.kind,
                "last_reply": outcome.reply[:1000],
                "lease_until": None,
                "claimed_by": None,
            }
            if outcome.kind == "retry":
                values["next_attempt_at"] = now + backoff(
                    row.attempts, delivery.retry_after_seconds, rng
                )
            conn.execute(update(outbox).where(outbox.c.id == row.id, ours).values(**values))
            if outcome.bounce:
                _count_bounce(conn, row.subscriber_id, delivery.bounce_after)
            recorded.append(outcome)
        if sent:
            conn.execute(
                update(outbox)
                .where(outbox.c.id == bindparam("row_id"))
                .values(
                    state="sent",
                    sent_at=now,
                    last_reply=bindparam("reply"),
                    lease_until=None,
                    claimed_by=None,
                    # Delivered: the bytes are not needed again (Message-ID, recipient and
                    # window stay), and a 30 KB copy per subscriber per day adds up.
                    message=None,
                ),
                sent,
            )
    return recorded


def _count_bounce(conn, subscriber_id: int, bounce_after: int) -> None:
    conn.execute(
        update(subscribers)
        .where(subscribers.c.id == subscriber_id)
        .values(hard_bounces=subscribers.c.hard_bounces + 1)
    )
    conn.execute(
        update(subscribers)
        .where(
            subscribers.c.id == subscriber_id,
            subscribers.c.status == "active",
            subscribers.c.hard_bounces >= bounce_after,
        )
        .values(status="bounced")
    )


@dataclass(frozen=True)
class Backlog:
    due: int  # could be claimed now
    unfinished: int  # queued, retrying or sending, due or not
    sending: int  # of which held by a worker right now
    next_at: datetime | None  # earliest moment a not-yet-due row becomes due


def backlog(engine: Engine, now: datetime) -> Backlog:
    with engine.connect() as conn:
        due = conn.execute(select(func.count()).select_from(outbox).where(_due(now))).scalar_one()
        unfinished = conn.execute(
            select(func.count()).select_from(outbox).where(outbox.c.state.in_(UNFINISHED))
        ).scalar_one()
        sending = conn.execute(
            select(func.count())
            .select_from(outbox)
            .where(outbox.c.state == "sending", outbox.c.lease_until > now)
        ).scalar_one()
        next_retry = conn.execute(
            select(func.min(outbox.c.next_attempt_at)).where(
                outbox.c.state.in_(WAITING), outbox.c.next_attempt_at > now
            )
        ).scalar_one()
        next_lease = conn.execute(
            select(func.min(outbox.c.lease_until)).where(
                outbox.c.state == "sending", outbox.c.lease_until > now
            )
        ).scalar_one()
    candidates = [moment for moment in (next_retry, next_lease) if moment is not None]
    return Backlog(due, unfinished, sending, min(candidates) if candidates else None)
