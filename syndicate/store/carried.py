"""Which articles each outbox row carried (``outbox_articles``), and what that tells.

Written in the same transaction as the rows themselves, so a row and its record
of articles exist together or not at all. Read back to keep an article a reader
already got as an alert out of their next digest, and to find the readers a
correction or a withdrawal must reach (``digest.corrections``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, and_, delete, func, select

from syndicate.store.queue import UNFINISHED
from syndicate.store.tables import articles, outbox, outbox_articles
from syndicate.subscribers.received import Carried, LastTold

_CHUNK = 500
# How long a message's record of articles is kept. It matters for two things: keeping
# an alerted article out of the next edition (a week at most, the weekly cadence) and
# telling readers who got an article of its correction or withdrawal. Newsrooms correct
# within days or weeks; 90 days covers that with room, while the table (readers x
# articles per edition x editions) stays bounded. A correction of an article older than
# this reaches nobody by email; the feeds and the web edition still show it.
KEEP = timedelta(days=90)
# Outbox rows looked at per prune: the oldest ones, by id (ids only grow with time).
_PRUNE_ROWS = 2000
# Rows that reached the reader or are on their way: a failed or skipped row told nobody.
TOLD = ("sent", *UNFINISHED)
# An edition writes a dozen of these per reader: one prepared statement executed
# straight through the driver (binding each row through the expression layer cost
# more than the writes themselves). Both databases speak this ON CONFLICT.
_INSERT = (
    "INSERT INTO outbox_articles (outbox_id, subscriber_id, article_id, role, note)"
    " VALUES ({mark}, {mark}, {mark}, {mark}, {mark})"
    " ON CONFLICT (outbox_id, article_id) DO NOTHING"
)


def _mark(conn: Connection) -> str:
    return "?" if conn.dialect.name == "sqlite" else "%s"


def record(conn: Connection, kind: str, carried: Mapping[str, Sequence[Carried]]) -> int:
    """Record the articles of the rows of ``kind`` with these keys; returns the rows written."""
    keys = [key for key, items in carried.items() if items]
    written = 0
    for start in range(0, len(keys), _CHUNK):
        chunk = keys[start : start + _CHUNK]
        found = conn.execute(
            select(outbox.c.key, outbox.c.id, outbox.c.subscriber_id).where(
                outbox.c.kind == kind, outbox.c.key.in_(chunk)
            )
        ).all()
        rows = [
            (row_id, subscriber_id, item.article_id, item.role, item.note)
            for key, row_id, subscriber_id in found
            for item in carried[key]
        ]
        if rows:
            conn.exec_driver_sql(_INSERT.format(mark=_mark(conn)), rows)
            written += len(rows)
    return written


def received(
    conn: Connection, subscriber_ids: Sequence[int], article_ids: Sequence[int]
) -> set[tuple[int, int]]:
    """(subscriber, article) pairs among these that a message told or is telling."""
    if not subscriber_ids or not article_ids:
        return set()
    query = (
        select(outbox_articles.c.subscriber_id, outbox_articles.c.article_id)
        .join(outbox, outbox.c.id == outbox_articles.c.outbox_id)
        .where(
            outbox_articles.c.subscriber_id.in_(list(subscriber_ids)),
            outbox_articles.c.article_id.in_(list(article_ids)),
            outbox.c.state.in_(TOLD),
        )
    )
    return {(sid, aid) for sid, aid in conn.execute(query)}


def last_told(conn: Connection, subscriber_ids: Sequence[int]) -> list[LastTold]:
    """For each (reader, article) these readers got, the latest message's role and note,
    limited to articles now carrying a correction note or withdrawn: the only ones a
    next edition may have to speak of."""
    if not subscriber_ids:
        return []
    told = (
        select(
            outbox_articles.c.subscriber_id,
            outbox_articles.c.article_id,
            func.max(outbox_articles.c.outbox_id).label("latest"),
        )
        .join(outbox, outbox.c.id == outbox_articles.c.outbox_id)
        .join(articles, articles.c.id == outbox_articles.c.article_id)
        .where(
            outbox_articles.c.subscriber_id.in_(list(subscriber_ids)),
            outbox.c.state.in_(TOLD),
            (articles.c.correction != "") | articles.c.withdrawn.is_(True),
        )
        .group_by(outbox_articles.c.subscriber_id, outbox_articles.c.article_id)
        .subquery()
    )
    query = select(
        outbox_articles.c.subscriber_id,
        outbox_articles.c.article_id,
        outbox_articles.c.role,
        outbox_articles.c.note,
    ).join(
        told,
        and_(
            outbox_articles.c.outbox_id == told.c.latest,
            outbox_articles.c.article_id == told.c.article_id,
        ),
    )
    return [LastTold(*row) for row in conn.execute(query)]


def alert_times(
    conn: Connection, subscriber_ids: Sequence[int], since: datetime
) -> dict[int, list[datetime]]:
    """When each of these readers' alerts since ``since`` were queued (those that went or
    will go out: a failed or skipped one does not count against the day's cap)."""
    found: dict[int, list[datetime]] = {}
    ids = list(subscriber_ids)
    for start in range(0, len(ids), _CHUNK):
        query = select(outbox.c.subscriber_id, outbox.c.created_at).where(
            outbox.c.kind == "alert",
            outbox.c.subscriber_id.in_(ids[start : start + _CHUNK]),
            outbox.c.created_at >= since,
            outbox.c.state.in_(TOLD),
        )
        for sid, at in conn.execute(query):
            found.setdefault(sid, []).append(at)
    return found


def notices_delivered(conn: Connection) -> int:
    """Corrections and retractions in editions that reached the relay."""
    query = (
        select(func.count())
        .select_from(outbox_articles)
        .join(outbox, outbox.c.id == outbox_articles.c.outbox_id)
        .where(outbox_articles.c.role.in_(["correction", "retraction"]), outbox.c.state == "sent")
    )
    return int(conn.execute(query).scalar_one())


def prune(engine: Engine, now: datetime) -> int:
    """Forget the articles carried by messages queued more than ``KEEP`` ago that are
    finished (sent, failed or skipped); returns the records removed.

    Only the oldest records are looked at, a bounded number per call, through the
    primary key: a call costs the same however large the outbox is, and the calls
    made after each delivery run keep up with what ages past the window.
    """
    with engine.begin() as conn:
        oldest = (
            select(outbox_articles.c.outbox_id)
            .distinct()
            .order_by(outbox_articles.c.outbox_id)
            .limit(_PRUNE_ROWS)
            .scalar_subquery()
        )
        done = select(outbox.c.id).where(
            outbox.c.id.in_(oldest),
            outbox.c.created_at < now - KEEP,
            outbox.c.state.not_in(UNFINISHED),
        )
        result = conn.execute(delete(outbox_articles).where(outbox_articles.c.outbox_id.in_(done)))
    return result.rowcount or 0
