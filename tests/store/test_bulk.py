"""Many outbox rows at once (COPY on PostgreSQL): conflicts skipped, times kept exact."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from syndicate.store import bulk
from syndicate.store.outbox import NewMessage, digest_key, enqueue
from syndicate.store.tables import outbox
from tests.outbox_rows import add_subscribers

LIMA = ZoneInfo("America/Lima")


def test_a_large_batch_goes_in_once_with_its_times_and_bodies(engine, clock):
    count = bulk.COPY_FROM + 10  # past the threshold: the COPY path on PostgreSQL
    people = add_subscribers(engine, clock.now(), count)
    # A local time with an offset: stored as the same instant, never as the wall clock.
    end = datetime(2026, 11, 28, 7, 0, tzinfo=LIMA)
    day = date(2026, 11, 28)
    rows = [
        NewMessage(
            kind="digest",
            key=digest_key(sid, day),
            subscriber_id=sid,
            recipient=email,
            created_at=end,
            next_attempt_at=end,
            edition_date=day,
            window_start=end - timedelta(days=1),
            window_end=end,
            message_id=f"<{sid}@example.org>",
            body_digest="b" * 64,
            body=b"{}",
            link_key="k",
            article_count=3,
        )
        for sid, email in people
    ]
    with engine.begin() as conn:
        assert enqueue(conn, rows[: count // 2]) == ["queued"] * (count // 2)
    with engine.begin() as conn:  # the first half again: skipped, the rest inserted
        assert enqueue(conn, rows) == ["queued"] * (count - count // 2)
    with engine.connect() as conn:
        stored = conn.execute(select(outbox).order_by(outbox.c.id)).all()
    assert len(stored) == count and len({row.body_id for row in stored}) == 1
    assert {row.window_end for row in stored} == {end}
    assert stored[0].window_end.utcoffset() == timedelta(0)
    assert {(row.link_key, row.article_count, row.attempts) for row in stored} == {("k", 3, 0)}
