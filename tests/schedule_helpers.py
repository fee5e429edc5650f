"""Stand-ins for the digest step in scheduler tests: one outbox row per subscriber and date."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Engine, insert, select
from sqlalchemy.exc import IntegrityError

from syndicate.clock import Clock
from syndicate.config import Settings
from syndicate.store.outbox import digest_key
from syndicate.store.tables import outbox, subscribers


def record_editions(
    engine: Engine, settings: Settings, clock: Clock, edition_date: date, ids: list[int]
) -> int:
    """Insert outbox rows like the digest step does; a duplicate hits the unique constraint."""
    now = clock.now()
    added = 0
    for subscriber_id in ids:
        try:
            with engine.begin() as conn:
                email = conn.execute(
                    select(subscribers.c.email).where(subscribers.c.id == subscriber_id)
                ).scalar_one()
                conn.execute(
                    insert(outbox).values(
                        kind="digest",
                        key=digest_key(subscriber_id, edition_date),
                        subscriber_id=subscriber_id,
                        edition_date=edition_date,
                        window_start=now,
                        window_end=now,
                        recipient=email,
                        created_at=now,
                    )
                )
            added += 1
        except IntegrityError:
            pass
    return added


def editions(engine: Engine) -> list[tuple[str, date]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(subscribers.c.email, outbox.c.edition_date)
            .join(outbox, outbox.c.subscriber_id == subscribers.c.id)
            .where(outbox.c.kind == "digest")
            .order_by(outbox.c.edition_date, subscribers.c.email)
        ).all()
    return [(email, day) for email, day in rows]
