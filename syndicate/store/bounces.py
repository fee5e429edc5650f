"""Bounce and complaint reports: who they are about, their record, and the counts shown.

The status change itself goes through ``suppress``, a conditional write of what
the subscriber lifecycle lets a report do (``Actor.REPORT``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, and_, func, or_, select, update

from syndicate.store.tables import bounce_reports, outbox, subscribers
from syndicate.store.upsert import insert_ignoring_conflicts
from syndicate.subscribers.lifecycle import Actor, sources


@dataclass(frozen=True)
class Target:
    subscriber_id: int
    status: str
    email: str
    outbox_id: int | None = None
    edition_date: date | None = None


def _target(conn: Connection, where: Any) -> Target | None:
    row = conn.execute(
        select(
            outbox.c.id,
            outbox.c.edition_date,
            subscribers.c.id.label("subscriber_id"),
            subscribers.c.status,
            subscribers.c.email,
        )
        .join(subscribers, subscribers.c.id == outbox.c.subscriber_id)
        .where(where)
        .order_by(outbox.c.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    return Target(row.subscriber_id, row.status, row.email, row.id, row.edition_date)


def by_row(conn: Connection, outbox_id: int) -> Target | None:
    return _target(conn, outbox.c.id == outbox_id)


def by_message_id(conn: Connection, message_id: str) -> Target | None:
    bare = message_id.strip().strip("<>")
    if not bare:
        return None
    return _target(conn, outbox.c.message_id.in_([f"<{bare}>", bare]))


def by_address(conn: Connection, address: str) -> Target | None:
    """The subscriber with that address, and the last message sent to them (if any)."""
    found = _target(
        conn, and_(func.lower(subscribers.c.email) == address.lower(), outbox.c.state == "sent")
    )
    if found is not None:
        return found
    row = conn.execute(
        select(subscribers.c.id, subscribers.c.status, subscribers.c.email).where(
            func.lower(subscribers.c.email) == address.lower()
        )
    ).first()
    return Target(row.id, row.status, row.email) if row is not None else None


def add_report(conn: Connection, values: dict[str, Any]) -> bool:
    """Record one report; False when a report with its key is on record already."""
    added = insert_ignoring_conflicts(
        conn, bounce_reports, [values], index_elements=["key"], returning=(bounce_reports.c.id,)
    )
    return bool(added)


def soft_count(conn: Connection, subscriber_id: int, since: datetime) -> int:
    """Soft bounces reported for the subscriber since ``since`` and since the last reset."""
    reset = conn.execute(
        select(subscribers.c.soft_reset_at).where(subscribers.c.id == subscriber_id)
    ).scalar()
    start = max(since, reset) if reset is not None else since
    return int(
        conn.execute(
            select(func.count()).where(
                bounce_reports.c.subscriber_id == subscriber_id,
                bounce_reports.c.kind == "soft",
                bounce_reports.c.reported_at >= start,
            )
        ).scalar()
        or 0
    )


def reset_soft(conn: Connection, subscriber_id: int, at: datetime) -> None:
    conn.execute(
        update(subscribers)
        .where(
            subscribers.c.id == subscriber_id,
            or_(subscribers.c.soft_reset_at.is_(None), subscribers.c.soft_reset_at < at),
        )
        .values(soft_reset_at=at)
    )


def suppress(conn: Connection, subscriber_id: int, status: str, reason: str, at: datetime) -> bool:
    """Move the subscriber to ``status`` (bounced, complained) where a report may; True if moved."""
    allowed_from = sources(status, Actor.REPORT)
    if not allowed_from:
        return False
    done = conn.execute(
        update(subscribers)
        .where(subscribers.c.id == subscriber_id, subscribers.c.status.in_(sorted(allowed_from)))
        .values(status=status, suppressed_reason=reason[:500], suppressed_at=at)
    )
    return (done.rowcount or 0) > 0


def suppression_reasons(conn: Connection) -> dict[int, tuple[str, datetime | None]]:
    """Why each closed address gets no mail, as the report that closed it said."""
    rows = conn.execute(
        select(
            subscribers.c.id, subscribers.c.suppressed_reason, subscribers.c.suppressed_at
        ).where(subscribers.c.suppressed_reason.is_not(None))
    )
    return {r.id: (r.suppressed_reason, r.suppressed_at) for r in rows}


# -- counts for status and /metrics ----------------------------------------------------

COUNTED = ("hard", "soft", "complaint", "unparsed")


@dataclass
class Counts:
    sent: int = 0
    by_kind: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTED, 0))

    def rate(self, kind: str) -> float:
        return self.by_kind.get(kind, 0) / self.sent if self.sent else 0.0


def edition_counts(conn: Connection, since: date) -> dict[date, Counts]:
    """Per edition from ``since`` on: digests sent, and the reports about them by kind."""
    counts: dict[date, Counts] = defaultdict(Counts)
    for edition, sent in conn.execute(
        select(outbox.c.edition_date, func.count())
        .where(outbox.c.kind == "digest", outbox.c.state == "sent", outbox.c.edition_date >= since)
        .group_by(outbox.c.edition_date)
    ):
        counts[edition].sent = int(sent)
    for edition, kind, number in conn.execute(
        select(bounce_reports.c.edition_date, bounce_reports.c.kind, func.count())
        .where(bounce_reports.c.edition_date >= since, bounce_reports.c.kind.in_(COUNTED))
        .group_by(bounce_reports.c.edition_date, bounce_reports.c.kind)
    ):
        counts[edition].by_kind[kind] = int(number)
    return dict(sorted(counts.items()))


def recent_counts(conn: Connection, since: datetime) -> Counts:
    """Reports received since ``since`` by kind, and the messages sent in that time."""
    total = Counts()
    total.sent = int(
        conn.execute(
            select(func.count()).where(outbox.c.state == "sent", outbox.c.sent_at >= since)
        ).scalar()
        or 0
    )
    for kind, number in conn.execute(
        select(bounce_reports.c.kind, func.count())
        .where(bounce_reports.c.received_at >= since, bounce_reports.c.kind.in_(COUNTED))
        .group_by(bounce_reports.c.kind)
    ):
        total.by_kind[kind] = int(number)
    return total
