"""Breaking-news alerts: who gets one, queued in the outbox as kind ``alert``.

An alert goes once to each active reader who asked for alerts and follows one
of the article's sections: the outbox key is subscriber/article, so a second
look (the API path, then the poll) queues nothing more. ``[digest]
max_alerts_per_day`` caps a reader's alerts per local day; an article beyond
it is not alerted and simply comes in that reader's next digest. An article a
reader got as an alert is recorded as carried, so their digest leaves it out
(``digest.history``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine

from syndicate import metrics
from syndicate.articles import Article, note_mark
from syndicate.clock import Clock
from syndicate.config import Settings
from syndicate.digest.alert_message import AlertRenderer
from syndicate.digest.dkim import load_signer
from syndicate.digest.render import DigestRenderer
from syndicate.digest.selection import local_date
from syndicate.store import articles as article_store
from syndicate.store import carried, state
from syndicate.store import outbox as outbox_store
from syndicate.store import subscribers as subscriber_store
from syndicate.store.outbox import NewMessage
from syndicate.subscribers.received import Carried
from syndicate.subscribers.records import Subscriber

log = logging.getLogger(__name__)
MARK = "alerts_scanned_at"
# The first scan of a database looks back this far (older news is no longer breaking).
FIRST_SCAN = timedelta(hours=1)


def alert_key(subscriber_id: int, article_id: int) -> str:
    return f"{subscriber_id}/{article_id}"


def within_cap(
    subscriber: Subscriber, earlier: Iterable[datetime], now: datetime, cap: int
) -> bool:
    """Whether this reader may get one more alert on their local day of ``now``."""
    today = local_date(now, subscriber.timezone)
    sent_today = sum(1 for at in earlier if local_date(at, subscriber.timezone) == today)
    return sent_today < cap


@dataclass
class AlertReport:
    queued: int = 0
    capped: int = 0  # readers over the day's cap: the article waits for their digest


def enqueue_alerts(
    engine: Engine, settings: Settings, clock: Clock, breaking: Sequence[Article]
) -> AlertReport:
    """Queue the alerts these breaking articles owe (each article, then each reader)."""
    report = AlertReport()
    now = clock.now()
    renderer: AlertRenderer | None = None
    for article in breaking:
        if not article.breaking or article.withdrawn:
            continue
        with engine.connect() as conn:
            readers = subscriber_store.alert_readers(conn, article.sections)
            ids = [r.id for r in readers]
            got = carried.received(conn, ids, [article.id])
            earlier = carried.alert_times(conn, ids, now - timedelta(days=2))
        # A reader on a pause gets no alerts either; the pause's end starts afresh.
        readers = [
            r
            for r in readers
            if (r.id, article.id) not in got and not r.paused_on(local_date(now, r.timezone))
        ]
        if not readers:
            continue
        renderer = renderer or AlertRenderer(DigestRenderer(settings, load_signer(settings)))
        rows: list[NewMessage] = []
        for reader in readers:
            if not within_cap(
                reader, earlier.get(reader.id, ()), now, settings.digest.max_alerts_per_day
            ):
                report.capped += 1
                continue
            try:
                rendered = renderer.message(article, reader, now)
            except Exception as exc:  # this reader only; the digest still brings the article
                log.warning("alert %d for subscriber %d: %s", article.id, reader.id, exc)
                continue
            rows.append(
                NewMessage(
                    kind="alert",
                    key=alert_key(reader.id, article.id),
                    subscriber_id=reader.id,
                    recipient=reader.email,
                    created_at=now,
                    message_id=rendered.message_id,
                    message=rendered.message,
                    next_attempt_at=now,
                    article_count=1,
                )
            )
        item = [Carried(article.id, "alert", note_mark(article.correction))]
        with engine.begin() as conn:
            inserted = outbox_store.enqueue(conn, rows)
            carried.record(conn, "alert", {row.key: item for row in rows})
        report.queued += len(inserted)
        metrics.ALERTS.labels(event="queued").inc(len(inserted))
    if report.queued or report.capped:
        log.info("alerts: %d queued, %d over the day's cap", report.queued, report.capped)
    return report


def alerts_for_guid(engine: Engine, settings: Settings, clock: Clock, guid: str) -> AlertReport:
    """The API path: the alerts of one article just stored, if it is breaking."""
    with engine.connect() as conn:
        article = article_store.get(conn, guid)
    if article is None or not article.breaking:
        return AlertReport()
    return enqueue_alerts(engine, settings, clock, [article])


def scan(engine: Engine, settings: Settings, clock: Clock) -> AlertReport:
    """The poll path: alerts of breaking articles stored or changed since the last scan."""
    now = clock.now()
    with engine.connect() as conn:
        mark = state.get_mark(conn, MARK)
        since = datetime.fromisoformat(mark) if mark else now - FIRST_SCAN
        found = article_store.breaking_changed_since(conn, since)
    report = enqueue_alerts(engine, settings, clock, found)
    with engine.begin() as conn:
        state.set_mark(conn, MARK, now.isoformat(), now)
    return report
