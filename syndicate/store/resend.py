"""The operator's view of the outbox: rows listed by state and date, and failed rows put
back in the queue as they were (same bytes, same ``Message-ID``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Connection, Engine, select, update

from syndicate.store.tables import outbox, subscribers

# A page of rows, enough for any one edition an operator looks at in a terminal.
LIST_LIMIT = 100_000


@dataclass(frozen=True)
class Row:
    id: int
    kind: str
    edition_date: date | None
    recipient: str
    state: str
    attempts: int
    created_at: datetime
    sent_at: datetime | None
    message_id: str
    last_reply: str | None


def rows(
    conn: Connection,
    state: str | None = None,
    edition_date: date | None = None,
    recipient: str | None = None,
) -> list[Row]:
    query = select(
        outbox.c.id,
        outbox.c.kind,
        outbox.c.edition_date,
        outbox.c.recipient,
        outbox.c.state,
        outbox.c.attempts,
        outbox.c.created_at,
        outbox.c.sent_at,
        outbox.c.message_id,
        outbox.c.last_reply,
    )
    if state is not None:
        query = query.where(outbox.c.state == state)
    if edition_date is not None:
        query = query.where(outbox.c.edition_date == edition_date)
    if recipient is not None:
        query = query.where(outbox.c.recipient == recipient)
    found = conn.execute(query.order_by(outbox.c.id).limit(LIST_LIMIT))
    return [Row(**row._mapping) for row in found]


@dataclass(frozen=True)
class Left:
    """A failed row that stays failed, and why."""

    row_id: int
    kind: str
    recipient: str
    why: str


def requeue_failed(
    engine: Engine,
    now: datetime,
    receives: Mapping[str, str],
    edition_date: date | None = None,
    recipient: str | None = None,
) -> tuple[list[int], list[Left]]:
    """Put failed rows back in the queue, due now, with their stored bytes and a fresh
    give-up time. A row whose subscriber no longer receives its kind, or a digest whose
    bytes are gone, stays failed and is returned with the reason."""
    query = (
        select(
            outbox.c.id,
            outbox.c.kind,
            outbox.c.recipient,
            (outbox.c.message.is_(None) & outbox.c.body_id.is_(None)).label("no_bytes"),
            subscribers.c.status,
        )
        .join(subscribers, subscribers.c.id == outbox.c.subscriber_id)
        .where(outbox.c.state == "failed")
        .order_by(outbox.c.id)
    )
    if edition_date is not None:
        query = query.where(outbox.c.edition_date == edition_date)
    if recipient is not None:
        query = query.where(outbox.c.recipient == recipient)
    back: list[int] = []
    left: list[Left] = []
    with engine.begin() as conn:
        for row in conn.execute(query):
            if row.status != receives.get(row.kind):
                left.append(Left(row.id, row.kind, row.recipient, f"subscriber is {row.status}"))
            elif row.no_bytes and row.kind == "digest":
                left.append(Left(row.id, row.kind, row.recipient, "no message stored"))
            else:
                back.append(row.id)
        if back:
            conn.execute(
                update(outbox)
                .where(outbox.c.id.in_(back), outbox.c.state == "failed")
                .values(
                    state="queued",
                    attempts=0,
                    next_attempt_at=now,
                    # The give-up time counts from here: this is a new try by the operator.
                    created_at=now,
                    lease_until=None,
                    claimed_by=None,
                )
            )
    return back, left
