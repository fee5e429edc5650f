"""Edition bodies: each distinct one stored once, found by the hash of its content.

Rows reference a body by id. A body is written (or its ``used_at`` moved) in the
same transaction as the rows that use it, and pruning only takes bodies no row
references that nobody used for a while: an enqueue running alongside a prune
never loses the body its rows are about to point at.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, delete, exists, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from syndicate.store.tables import edition_bodies, outbox

# A body unreferenced for this long is gone; one an enqueue touched since is kept.
KEEP_UNUSED = timedelta(hours=1)


def save(conn: Connection, contents: Mapping[str, bytes], now: datetime) -> dict[str, int]:
    """Store these bodies (digest -> content) unless present; returns digest -> id."""
    if not contents:
        return {}
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(edition_bodies)
    statement = statement.on_conflict_do_update(
        index_elements=["digest"], set_={"used_at": statement.excluded.used_at}
    ).returning(edition_bodies.c.digest, edition_bodies.c.id)
    ids: dict[str, int] = {}
    # One statement per body: a few per batch, and RETURNING then stays plain on both.
    for digest in sorted(contents):  # a fixed order: two enqueues never deadlock
        row = conn.execute(
            statement, {"digest": digest, "content": contents[digest], "used_at": now}
        ).one()
        ids[row.digest] = row.id
    return ids


def load(conn: Connection, ids: Collection[int]) -> dict[int, bytes]:
    """The content of these bodies, by id."""
    if not ids:
        return {}
    query = select(edition_bodies.c.id, edition_bodies.c.content).where(
        edition_bodies.c.id.in_(sorted(ids))
    )
    return {row.id: row.content for row in conn.execute(query)}


def prune(engine: Engine, now: datetime) -> int:
    """Remove the bodies no outbox row references any more; returns how many went."""
    referenced = exists().where(outbox.c.body_id == edition_bodies.c.id)
    try:
        with engine.begin() as conn:
            result = conn.execute(
                delete(edition_bodies).where(
                    ~referenced, edition_bodies.c.used_at < now - KEEP_UNUSED
                )
            )
    except IntegrityError:  # a row took one up meanwhile: the next prune tries again
        return 0
    return result.rowcount or 0


def count(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(edition_bodies)).scalar_one())
