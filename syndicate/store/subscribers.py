"""Subscribers: the rows, their chosen sections, and the status writes the lifecycle decides.

A status is only ever written here, as the lifecycle decides, and only as a
conditional update ("to X where the status is one of those the actor may move
from"), so two requests racing (a confirm and an unsubscribe) cannot undo each
other.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, text, update

from syndicate.store import outbox
from syndicate.store.tables import new_link_key, subscriber_sections, subscribers
from syndicate.store.upsert import insert_ignoring_conflicts
from syndicate.subscribers.lifecycle import Actor, Decision, decide, sources
from syndicate.subscribers.records import Subscriber, SubscriberInput

# pg_advisory_xact_lock takes a bigint; this one reads "syndimpt" in ASCII.
_IMPORT_LOCK = 0x73796E64696D7074
# An address that others add and remove again between our look and our insert, this often.
_SAVE_TRIES = 5


def _load(conn: Connection, where: Any = None, lock: bool = False) -> list[Subscriber]:
    query = select(subscribers).order_by(subscribers.c.id)
    if where is not None:
        query = query.where(where)
    if lock:  # PostgreSQL: held to the end of the transaction (SQLite's writer lock already is)
        query = query.with_for_update()
    rows = conn.execute(query).all()
    ids = [r.id for r in rows]
    chosen: dict[int, list[str]] = {i: [] for i in ids}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for sid, section in conn.execute(
            select(subscriber_sections.c.subscriber_id, subscriber_sections.c.section).where(
                subscriber_sections.c.subscriber_id.in_(chunk)
            )
        ):
            chosen[sid].append(section)
    return _records(rows, chosen)


def _records(rows: Sequence[Any], chosen: dict[int, list[str]]) -> list[Subscriber]:
    return [
        Subscriber(
            id=r.id,
            email=r.email,
            status=r.status,
            sections=tuple(sorted(chosen.get(r.id, ()))),
            timezone=r.timezone,
            language=r.language,
            digest_time=r.digest_time,
            created_at=r.created_at,
            link_key=r.link_key,
            unkeyed_links=r.unkeyed_links,
            paused_until=r.paused_until,
            paused_at=r.paused_at,
            cadence=r.cadence,
            weekday=r.weekday or "",
            alerts=r.alerts,
        )
        for r in rows
    ]


def find(conn: Connection, email: str) -> Subscriber | None:
    found = _load(conn, subscribers.c.email == email)
    return found[0] if found else None


def get(conn: Connection, subscriber_id: int) -> Subscriber | None:
    found = _load(conn, subscribers.c.id == subscriber_id)
    return found[0] if found else None


def list_all(conn: Connection) -> list[Subscriber]:
    return _load(conn)


def active_among(conn: Connection, ids: Sequence[int]) -> list[Subscriber]:
    """Those of ``ids`` who are active, in id order."""
    return _load(conn, (subscribers.c.status == "active") & subscribers.c.id.in_(list(ids)))


def active_in_batches(conn_factory: Any, size: int) -> Iterator[list[Subscriber]]:
    """Every active subscriber, ``size`` at a time in id order, each batch read on a
    connection of its own (``conn_factory()`` is a context manager giving one).

    A batch is a range of ids: its rows and their sections come in two range scans,
    with no list of ids to send (a list of thousands costs more than the reading)."""
    last = 0
    while True:
        with conn_factory() as conn:
            rows = conn.execute(
                select(subscribers)
                .where(subscribers.c.status == "active", subscribers.c.id > last)
                .order_by(subscribers.c.id)
                .limit(size)
            ).all()
            if not rows:
                return
            chosen: dict[int, list[str]] = {}
            found = conn.execute(
                select(subscriber_sections.c.subscriber_id, subscriber_sections.c.section).where(
                    subscriber_sections.c.subscriber_id > last,
                    subscriber_sections.c.subscriber_id <= rows[-1].id,
                )
            )
            for sid, section in found:
                chosen.setdefault(sid, []).append(section)
        last = rows[-1].id
        yield _records(rows, chosen)


def add(conn: Connection, item: SubscriberInput, status: str, now: datetime) -> int | None:
    """A new subscriber with ``status`` (the lifecycle's decision for a new address).

    None when the address is on the list after all: another transaction added it
    since this one looked (the insert waits for that one and yields to it).
    """
    values = _profile(item)
    if status == "active":
        values["confirmed_at"] = now
    values.update(email=item.email, created_at=now, status=status, link_key=new_link_key())
    inserted = insert_ignoring_conflicts(
        conn, subscribers, [values], index_elements=["email"], returning=(subscribers.c.id,)
    )
    if not inserted:
        return None
    subscriber_id: int = inserted[0].id
    set_sections(conn, subscriber_id, item.sections, clear=False)
    return subscriber_id


def update_profile(conn: Connection, subscriber_id: int, item: SubscriberInput) -> None:
    """Sections, timezone, language and send time from ``item`` (the status is not touched)."""
    conn.execute(
        update(subscribers).where(subscribers.c.id == subscriber_id).values(**_profile(item))
    )
    set_sections(conn, subscriber_id, item.sections)


def _profile(item: SubscriberInput) -> dict[str, Any]:
    return {
        "all_sections": not item.sections,
        "timezone": item.timezone,
        "language": item.language,
        "digest_time": item.digest_time,
        "cadence": item.cadence,
        "weekday": item.weekday or None,
        "alerts": item.alerts,
    }


def set_preferences(
    conn: Connection,
    subscriber_id: int,
    sections: Sequence[str],
    timezone: str,
    language: str,
    digest_time: str,
    lane: tuple[str, str, bool] | None = None,
) -> None:
    """``lane`` (cadence, weekday, alerts), when given, is set too."""
    values: dict[str, Any] = {
        "timezone": timezone,
        "language": language,
        "digest_time": digest_time,
    }
    if lane is not None:
        values.update(cadence=lane[0], weekday=lane[1] or None, alerts=lane[2])
    conn.execute(update(subscribers).where(subscribers.c.id == subscriber_id).values(**values))
    set_sections(conn, subscriber_id, sections)


def set_sections(
    conn: Connection, subscriber_id: int, sections: Sequence[str], clear: bool = True
) -> None:
    if clear:
        conn.execute(
            delete(subscriber_sections).where(subscriber_sections.c.subscriber_id == subscriber_id)
        )
    conn.execute(
        update(subscribers)
        .where(subscribers.c.id == subscriber_id)
        .values(all_sections=not sections)
    )
    if sections:
        conn.execute(
            insert(subscriber_sections),
            [{"subscriber_id": subscriber_id, "section": s} for s in sections],
        )


def _set_status(
    conn: Connection, subscriber_id: int, status: str, allowed_from: Collection[str], now: datetime
) -> bool:
    """Move the subscriber to ``status`` if it is now one of ``allowed_from``; True if it moved."""
    if not allowed_from:
        return False
    values: dict[str, Any] = {"status": status}
    if status in ("pending", "active"):  # asked again: the old report no longer applies
        values.update(suppressed_reason=None, suppressed_at=None)
    if status == "active":
        values["confirmed_at"] = now
    elif status == "unsubscribed":
        values["unsubscribed_at"] = now
    done = conn.execute(
        update(subscribers)
        .where(subscribers.c.id == subscriber_id, subscribers.c.status.in_(sorted(allowed_from)))
        .values(**values)
    )
    return (done.rowcount or 0) > 0


@dataclass(frozen=True)
class Saved:
    id: int | None  # None: refused for a new address (nothing stored)
    outcome: str  # new | updated | unchanged | kept (refused: the row is left as it was)
    decision: Decision


def save(
    conn: Connection, item: SubscriberInput, now: datetime, actor: Actor = Actor.OPERATOR
) -> Saved:
    """Insert or update by email, with the status the lifecycle allows ``actor`` to set.

    A refused change leaves the row as it is. A subscriber who is owed a
    confirmation email gets an outbox row for it.

    Two saves of one address at once end as if one came after the other: the
    row is locked for the rest of the transaction, and an insert that finds the
    address added meanwhile starts over on that row.
    """
    for _ in range(_SAVE_TRIES):
        existing = _find_locked(conn, item.email)
        decision = decide(existing.status if existing else None, item.status, actor)
        if decision.refused:
            return Saved(existing.id if existing else None, "kept", decision)
        if (
            actor is Actor.IMPORT
            and existing is not None
            and _same(existing, item, decision.status)
        ):
            # A row read again from a list changes nothing: a pending reader is not
            # emailed again either (a person asking again through the form is).
            return Saved(existing.id, "unchanged", decision)
        if existing is not None:
            subscriber_id = existing.id
            update_profile(conn, subscriber_id, item)
            if decision.status != existing.status:
                _set_status(
                    conn, subscriber_id, decision.status, sources(decision.status, actor), now
                )
            outcome = "updated"
            break
        added = add(conn, item, decision.status, now)
        if added is not None:
            subscriber_id, outcome = added, "new"
            break
    else:
        raise RuntimeError(f"{item.email}: added and removed again by others while saving")
    if decision.owes_confirmation:
        outbox.enqueue_confirmation(conn, subscriber_id, item.email, now)
    return Saved(subscriber_id, outcome, decision)


def _same(existing: Subscriber, item: SubscriberInput, status: str) -> bool:
    mine = (existing.status, existing.timezone, existing.language, existing.digest_time)
    lane = (existing.cadence, existing.weekday, existing.alerts)
    return mine + lane == (
        status,
        item.timezone,
        item.language,
        item.digest_time,
        item.cadence,
        item.weekday,
        item.alerts,
    ) and sorted(existing.sections) == sorted(item.sections)


def _find_locked(conn: Connection, email: str) -> Subscriber | None:
    found = _load(conn, subscribers.c.email == email, lock=True)
    return found[0] if found else None


def change_status(
    conn: Connection, subscriber_id: int, wanted: str, actor: Actor, now: datetime
) -> bool:
    """Move one subscriber to ``wanted`` if ``actor`` may from where it is now; True if it moved.

    The write re-checks the status it starts from, so of two requests racing
    (a confirm and an unsubscribe) each applies only to the state it was meant for.
    """
    return _set_status(conn, subscriber_id, wanted, sources(wanted, actor), now)


@dataclass
class SaveReport:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    kept: list[str] = field(default_factory=list)  # rows left as they are, with the reason
    pending: list[int] = field(default_factory=list)  # ids owed a confirmation email


def save_all(
    conn: Connection,
    rows: Iterable[tuple[str, SubscriberInput]],
    now: datetime,
    actor: Actor = Actor.IMPORT,
) -> SaveReport:
    """Save each (where, item) (``where`` names the row in what was read, for the report).

    On PostgreSQL one import runs at a time (a lock held to the end of the
    transaction): each save locks its address, and two imports taking the same
    addresses in different orders would otherwise deadlock. SQLite's writer lock
    already serialises them.
    """
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _IMPORT_LOCK})
    report = SaveReport()
    for where, item in rows:
        saved = save(conn, item, now, actor)
        if saved.outcome == "kept":
            report.kept.append(f"{where}: {item.email}: {saved.decision.reason}")
            continue
        if saved.outcome == "unchanged":
            report.unchanged += 1
            continue
        if saved.outcome == "new":
            report.new += 1
        else:
            report.updated += 1
        if saved.decision.owes_confirmation and saved.id is not None:
            report.pending.append(saved.id)
    return report


def remove(conn: Connection, email: str) -> bool:
    return conn.execute(delete(subscribers).where(subscribers.c.email == email)).rowcount > 0


def counts_by_status(conn: Connection) -> list[tuple[str, int]]:
    rows = conn.execute(
        select(subscribers.c.status, func.count()).group_by(subscribers.c.status)
    ).all()
    return [(status, n) for status, n in rows]


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


def active_groups(conn: Connection) -> list[tuple[str, str]]:
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


def alert_readers(conn: Connection, sections: Sequence[str]) -> list[Subscriber]:
    """Active subscribers who asked for alerts and follow one of ``sections`` (or every one)."""
    follows = select(subscriber_sections.c.subscriber_id).where(
        subscriber_sections.c.section.in_(list(sections))
    )
    return _load(
        conn,
        (subscribers.c.status == "active")
        & subscribers.c.alerts.is_(True)
        & (subscribers.c.all_sections.is_(True) | subscribers.c.id.in_(follows)),
    )
