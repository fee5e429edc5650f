"""Many rows at once, at the database's own speed.

On PostgreSQL a large multi-row INSERT costs more in building and parsing its text than
in writing: rows go in through COPY into a scratch table of the transaction, and
from there into the real one with the same "on conflict do nothing" as everywhere
else (so a row another process inserted first is still skipped, not an error).
SQLite takes an executemany, which is already its fast path.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Table

from syndicate.store.upsert import insert_ignoring_conflicts

# Fewer rows than this go in as one plain INSERT: a scratch table would cost more.
COPY_FROM = 50


def _plain(value: Any) -> Any:
    # The timestamp columns hold naive UTC (tables.UTCDateTime); COPY bypasses that
    # conversion, and PostgreSQL would drop an offset silently rather than apply it.
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; attach a timezone")
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


def insert_many(
    conn: Connection,
    table: Table,
    rows: Sequence[dict[str, Any]],
    conflict: Sequence[str],
    returning: str,
) -> list[Any]:
    """Insert ``rows`` (all with the same keys), skipping those a unique key on
    ``conflict`` already holds; returns column ``returning`` of each inserted row."""
    if not rows:
        return []
    if conn.dialect.name != "postgresql" or len(rows) < COPY_FROM:
        found = insert_ignoring_conflicts(
            conn, table, list(rows), list(conflict), returning=(table.c[returning],)
        )
        return [value for (value,) in found]
    columns = list(rows[0])
    names = ", ".join(f'"{name}"' for name in columns)
    scratch = f"incoming_{table.name}"
    raw: Any = conn.connection.driver_connection
    with raw.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {scratch}")
        cursor.execute(
            f"CREATE TEMP TABLE {scratch} ON COMMIT DROP AS "
            f"SELECT {names} FROM {table.name} WITH NO DATA"
        )
        with cursor.copy(f"COPY {scratch} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([_plain(row[name]) for name in columns])
        keys = ", ".join(f'"{name}"' for name in conflict)
        cursor.execute(
            f"INSERT INTO {table.name} ({names}) SELECT {names} FROM {scratch} "
            f'ON CONFLICT ({keys}) DO NOTHING RETURNING "{returning}"'
        )
        return [value for (value,) in cursor.fetchall()]
