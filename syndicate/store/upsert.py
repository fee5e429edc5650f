"""INSERT ... ON CONFLICT DO NOTHING, the same on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql, sqlite


def insert_ignoring_conflicts(
    conn: Connection,
    table: Table,
    rows: list[dict[str, Any]],
    index_elements: list[str] | None = None,
    returning: tuple[Any, ...] = (),
) -> list[Any]:
    """Insert ``rows``, silently dropping those a unique key already holds.

    With ``returning``, the inserted rows' columns come back (the dropped ones do not).
    """
    dialect: Any = postgresql if conn.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(table).on_conflict_do_nothing(index_elements=index_elements)
    if returning:
        return list(conn.execute(statement.returning(*returning), rows).all())
    conn.execute(statement, rows)
    return []
