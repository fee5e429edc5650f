"""Enqueue editions: for each due subscriber, one outbox row per local date.

The outbox row is both the message to send and the record of the window it
covered; the next edition starts at this one's ``window_end``. The unique
constraint on (subscriber, edition_date) makes a second enqueue of the same
date a no-op even when two processes race: rows are inserted with
"on conflict do nothing", never checked first and then inserted.

Subscribers are handled in batches; only one batch of messages is ever held in
memory, and each batch is written in one short transaction.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, and_, func, select

from syndicate import metrics
from syndicate.articles import Article
from syndicate.clock import Clock
from syndicate.config import Settings
from syndicate.db import articles, outbox, subscribers
from syndicate.digest.dkim import load_signer
from syndicate.digest.render import DigestRenderer
from syndicate.digest.selection import (
    Edition,
    local_date,
    select_edition,
    window_start,
)
from syndicate.ingest import load_articles
from syndicate.subscribers import Subscriber
from syndicate.subscribers import load as load_subscribers

BATCH = 250


@dataclass
class EnqueueReport:
    queued: int = 0  # editions with a message waiting for delivery
    skipped: int = 0  # editions recorded with nothing new (no email)
    existing: int = 0  # the subscriber already had an edition for that date

    def summary(self) -> str:
        return (
            f"{self.queued} queued, {self.skipped} skipped (nothing new), "
            f"{self.existing} already enqueued"
        )


def load_candidates(conn: Connection, start: datetime, end: datetime) -> list[Article]:
    """Articles first seen in (start, end] that are still published."""
    return load_articles(
        conn,
        and_(
            articles.c.first_seen_at > start,
            articles.c.first_seen_at <= end,
            articles.c.withdrawn.is_(False),
        ),
        order_by=articles.c.id,
    )


def previous_cutoffs(
    conn: Connection, subscriber_ids: Sequence[int], before: date | None = None
) -> dict[int, datetime]:
    """Where each subscriber's last recorded edition ended (optionally, of those before a date)."""
    query = select(outbox.c.subscriber_id, func.max(outbox.c.window_end)).where(
        outbox.c.subscriber_id.in_(subscriber_ids)
    )
    if before is not None:
        query = query.where(outbox.c.edition_date < before)
    return dict(conn.execute(query.group_by(outbox.c.subscriber_id)).all())


def _batches(engine: Engine, subscriber_ids: list[int] | None) -> Iterator[list[Subscriber]]:
    active = subscribers.c.status == "active"
    if subscriber_ids is not None:
        wanted = sorted(set(subscriber_ids))
        for start in range(0, len(wanted), BATCH):
            with engine.connect() as conn:
                found = load_subscribers(
                    conn, and_(active, subscribers.c.id.in_(wanted[start : start + BATCH]))
                )
            if found:
                yield found
        return
    last = 0
    while True:
        with engine.connect() as conn:
            ids = list(
                conn.execute(
                    select(subscribers.c.id)
                    .where(active, subscribers.c.id > last)
                    .order_by(subscribers.c.id)
                    .limit(BATCH)
                ).scalars()
            )
            if not ids:
                return
            found = load_subscribers(conn, subscribers.c.id.in_(ids))
        last = ids[-1]
        if found:
            yield found


class _Candidates:
    """The articles of the current run, loaded once and widened only when a batch reaches back further."""

    def __init__(self, end: datetime) -> None:
        self.end = end
        self.start: datetime | None = None
        self.items: list[Article] = []
        self.times: list[datetime] = []

    def load(self, conn: Connection, start: datetime) -> None:
        if self.start is None or start < self.start:
            self.items = sorted(load_candidates(conn, start, self.end), key=_first_seen)
            self.times = [a.first_seen_at for a in self.items]
            self.start = start

    def after(self, start: datetime) -> list[Article]:
        """Those first seen after ``start``: a slice, so one reader back from a long
        absence does not make every other reader's selection scan weeks of news."""
        return self.items[bisect.bisect_right(self.times, start) :]


def _first_seen(article: Article) -> datetime:
    return article.first_seen_at


def _insert_ignoring_duplicates(conn: Connection, rows: list[dict[str, Any]]) -> list[Any]:
    from sqlalchemy.dialects import postgresql, sqlite

    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(outbox)
        .on_conflict_do_nothing(index_elements=["subscriber_id", "edition_date"])
        .returning(outbox.c.subscriber_id, outbox.c.state)
    )
    return list(conn.execute(statement, rows).all())


def outbox_row(
    edition: Edition, subscriber: Subscriber, renderer: DigestRenderer, now: datetime
) -> dict[str, Any]:
    row: dict[str, Any] = {
        "subscriber_id": subscriber.id,
        "edition_date": edition.edition_date,
        "window_start": edition.window_start,
        "window_end": edition.window_end,
        "recipient": subscriber.email,
        "created_at": now,
        "attempts": 0,
    }
    if edition.is_empty:
        row.update(state="skipped", article_count=0, message_id="", message=None)
        row["next_attempt_at"] = None
        return row
    rendered = renderer.message(edition, subscriber)
    row.update(
        state="queued",
        article_count=len(edition.articles),
        message_id=rendered.message_id,
        message=rendered.message,
        next_attempt_at=now,
    )
    return row


def enqueue_editions(
    engine: Engine,
    settings: Settings,
    clock: Clock,
    edition_date: date | None = None,
    subscriber_ids: list[int] | None = None,
) -> EnqueueReport:
    """Record this edition for every active subscriber (or those given) that lacks one.

    The edition date is ``edition_date`` or today in each subscriber's timezone;
    its window runs from the subscriber's previous edition (else 24 hours back)
    to now.
    """
    now = clock.now()
    report = EnqueueReport()
    renderer = DigestRenderer(settings, load_signer(settings))
    pool = _Candidates(now)
    for batch in _batches(engine, subscriber_ids):
        ids = [s.id for s in batch]
        days = {s.id: edition_date or local_date(now, s.timezone) for s in batch}
        with engine.connect() as conn:
            done = set(
                conn.execute(
                    select(outbox.c.subscriber_id, outbox.c.edition_date).where(
                        outbox.c.subscriber_id.in_(ids)
                    )
                )
            )
            previous = previous_cutoffs(conn, ids)
            todo = [s for s in batch if (s.id, days[s.id]) not in done]
            report.existing += len(batch) - len(todo)
            if not todo:
                continue
            earliest = min(window_start(previous.get(s.id), now) for s in todo)
            pool.load(conn, earliest)
        rows = [
            outbox_row(
                select_edition(
                    s,
                    pool.after(window_start(previous.get(s.id), now)),
                    previous.get(s.id),
                    now,
                    settings,
                    days[s.id],
                ),
                s,
                renderer,
                now,
            )
            for s in todo
        ]
        with engine.begin() as conn:
            inserted = _insert_ignoring_duplicates(conn, rows)
        report.existing += len(rows) - len(inserted)
        queued = sum(1 for _, state in inserted if state == "queued")
        report.queued += queued
        report.skipped += len(inserted) - queued
        metrics.DIGESTS.labels(event="queued").inc(queued)
        del rows
    return report


def sample_subscriber(settings: Settings) -> Subscriber:
    """A reader of every section in the site's language and timezone, for previews."""
    return Subscriber(
        id=0,
        email="preview@example.org",
        status="active",
        sections=(),
        timezone=settings.site.timezone,
        language=settings.site.language,
        digest_time=settings.schedule.digest_time,
    )


def preview_edition(
    engine: Engine, settings: Settings, now: datetime, reader: Subscriber, day: date | None = None
) -> Edition:
    """The edition ``reader`` would get for ``day`` (default: today), recording nothing.

    A past day ends at the reader's send time that day; today ends now.
    """
    today = local_date(now, reader.timezone)
    day = day or today
    cutoff = now
    if day < today:
        hour, minute = (int(p) for p in reader.digest_time.split(":"))
        zone = ZoneInfo(reader.timezone)
        cutoff = datetime.combine(day, time(hour, minute), tzinfo=zone).astimezone(UTC)
    with engine.connect() as conn:
        previous = previous_cutoffs(conn, [reader.id], before=day).get(reader.id)
        if previous is not None and previous >= cutoff:
            previous = None  # a preview of a day already covered shows that day again
        candidates = load_candidates(conn, window_start(previous, cutoff), cutoff)
    return select_edition(reader, candidates, previous, cutoff, settings, day)
