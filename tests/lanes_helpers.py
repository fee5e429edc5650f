"""Reading back what each reader's editions carried, for the cadence, alert and correction tests."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import Engine, select

from syndicate import subscribers
from syndicate.delivery.assembly import Assembler
from syndicate.store import subscribers as subscriber_store
from syndicate.store.tables import articles, outbox, outbox_articles
from tests.digest_data import NOW
from tests.messages import content, parse


def add_reader(engine: Engine, settings, address: str, sections=(), **extra) -> int:
    item = subscribers.validate(settings, address, sections, status="active", **extra)
    with engine.begin() as conn:
        saved = subscriber_store.save(conn, item, NOW - timedelta(days=30))
    assert saved.id is not None
    return saved.id


def editions(engine: Engine, subscriber_id: int) -> dict[date, list[str]]:
    """edition date -> the headlines of the articles it carried (queued or sent rows)."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(outbox.c.edition_date, articles.c.headline, outbox_articles.c.role)
            .join(outbox_articles, outbox_articles.c.outbox_id == outbox.c.id)
            .join(articles, articles.c.id == outbox_articles.c.article_id)
            .where(outbox.c.subscriber_id == subscriber_id, outbox.c.kind == "digest")
            .order_by(outbox.c.edition_date, articles.c.headline)
        ).all()
    found: dict[date, list[str]] = {}
    for day, headline, role in rows:
        found.setdefault(day, []).append(headline if role == "article" else f"{role}:{headline}")
    return found


def sent_dates(engine: Engine, subscriber_id: int) -> list[date]:
    """Dates of this reader's editions that have a message (not skipped)."""
    with engine.connect() as conn:
        return list(
            conn.execute(
                select(outbox.c.edition_date)
                .where(
                    outbox.c.subscriber_id == subscriber_id,
                    outbox.c.kind == "digest",
                    outbox.c.state == "queued",
                )
                .order_by(outbox.c.edition_date)
            ).scalars()
        )


def edition_text(engine: Engine, settings, subscriber_id: int, day: date) -> str:
    """The plain text of a reader's edition as it goes out (assembled from its body)."""
    with engine.connect() as conn:
        row = conn.execute(
            select(outbox).where(
                outbox.c.subscriber_id == subscriber_id,
                outbox.c.kind == "digest",
                outbox.c.edition_date == day,
            )
        ).one()
    raw = Assembler(settings, engine).stored(row)
    assert raw is not None
    return content(parse(raw), "plain")
