"""Migrations on data: 0006 turns owed confirmation emails into outbox rows, on SQLite and
PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, inspect, select, text

from syndicate import store
from syndicate.store import schema
from syndicate.store.tables import outbox
from tests.conftest import POSTGRES_ENV

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database (not migrated), SQLite file or PostgreSQL scratch database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.db'}"
        return
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        pytest.skip(f"PostgreSQL skipped: set {POSTGRES_ENV}")
    with store.scratch_database(base, "syndicate_migration") as url:
        yield url


def upgrade(engine: Engine, revision: str) -> None:
    schema.upgrade(engine, revision)


def naive(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)


def test_owed_confirmations_become_outbox_rows(fresh_url: str) -> None:
    engine = store.open_engine(fresh_url)
    try:
        upgrade(engine, "0005confirm")
        with engine.begin() as conn:
            insert_subscriber = text(
                "INSERT INTO subscribers (id, email, status, all_sections, timezone, language,"
                " digest_time, hard_bounces, created_at, confirm_due_at, confirm_attempts)"
                " VALUES (:id, :email, :status, true, 'UTC', 'en', '07:00', 0, :at, :due, :tries)"
            )
            for row in (
                {"id": 1, "email": "reader@example.org", "status": "active", "due": None},
                {"id": 2, "email": "waiting@example.org", "status": "pending", "tries": 2},
                {"id": 3, "email": "old@example.org", "status": "pending", "due": None},
            ):
                conn.execute(
                    insert_subscriber,
                    {
                        "at": naive(NOW),
                        "due": naive(NOW + timedelta(minutes=5)),
                        "tries": 0,
                        **row,
                    },
                )
            conn.execute(
                text(
                    "INSERT INTO outbox (subscriber_id, edition_date, window_start, window_end,"
                    " state, article_count, recipient, message_id, attempts, created_at)"
                    " VALUES (1, :day, :start, :end, 'sent', 3, 'reader@example.org', '<m@x>',"
                    " 1, :end)"
                ),
                {
                    "day": date(2026, 11, 29),
                    "start": naive(NOW - timedelta(days=2)),
                    "end": naive(NOW - timedelta(days=1)),
                },
            )
        upgrade(engine, "head")
        with engine.connect() as conn:
            rows = conn.execute(
                select(
                    outbox.c.kind,
                    outbox.c.key,
                    outbox.c.subscriber_id,
                    outbox.c.state,
                    outbox.c.attempts,
                    outbox.c.recipient,
                    outbox.c.message,
                    outbox.c.next_attempt_at,
                ).order_by(outbox.c.id)
            ).all()
        digest, confirmation = rows
        assert tuple(digest[:5]) == ("digest", "1/2026-11-29", 1, "sent", 1)
        assert tuple(confirmation[:6]) == (
            "confirmation",
            "2/1",
            2,
            "retry",
            2,
            "waiting@example.org",
        )
        assert confirmation.message is None  # rendered when it is first claimed
        assert confirmation.next_attempt_at == NOW + timedelta(minutes=5)
        columns = {c["name"] for c in inspect(engine).get_columns("subscribers")}
        assert "confirm_due_at" not in columns and "confirm_attempts" not in columns
        store.require_current(engine)
    finally:
        engine.dispose()
