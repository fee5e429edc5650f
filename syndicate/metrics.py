"""Prometheus metrics: process counters any module may bump, plus store facts read at scrape time.

Counters are created unregistered and collected by the registry that
``registry_for`` builds, so several apps in one process (tests) never clash.
Other steps count their work here, e.g. ``metrics.FEEDS_BUILT.inc(n)`` after a
build that rewrote n sections.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

FEEDS_BUILT = Counter(
    "syndicate_feeds_built", "Section feeds rebuilt and published by this process", registry=None
)
# Feed answers by code (200, 304, 404): plain integers bumped by the event loop's one
# thread, because a Counter's lock would cost a fifth of a 304. Read at scrape time.
FEED_REQUEST_CODES = ("200", "304", "404")
FEED_REQUEST_COUNTS = [0, 0, 0]
ARTICLES_INGESTED = Counter(
    "syndicate_articles_ingested",
    "Articles received by the ingest API, by outcome",
    ["outcome"],
    registry=None,
)
CONFIRMATIONS_SENT = Counter(
    "syndicate_confirmations_sent", "Confirmation emails handed to the transport", registry=None
)
DIGESTS = Counter(
    "syndicate_digests",
    "Digest messages by event (queued, sent, retry, failed) counted by this process",
    ["event"],
    registry=None,
)

_PROCESS_METRICS = (
    FEEDS_BUILT,
    ARTICLES_INGESTED,
    CONFIRMATIONS_SENT,
    DIGESTS,
)


class StoreCollector(Collector):
    """Outbox rows by state, subscribers by status, last feed build: one cheap query each."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[Any]:
        from syndicate.store import outbox, state, subscribers
        from syndicate.subscribers.lifecycle import STATUSES

        up = GaugeMetricFamily("syndicate_store_up", "1 when the database answered the scrape")
        try:
            with self.engine.connect() as conn:
                by_kind = outbox.counts(conn)
                by_status = subscribers.counts_by_status(conn)
                last_build = state.last_feed_build(conn)
        except SQLAlchemyError:
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        digests = GaugeMetricFamily(
            "syndicate_outbox_messages", "Digest outbox rows by state", labels=["state"]
        )
        counts: dict[str, int] = {
            row_state: n for kind, row_state, n in by_kind if kind == "digest"
        }
        for row_state in ("queued", "sending", "retry", "sent", "failed", "skipped"):
            digests.add_metric([row_state], counts.get(row_state, 0))
        yield digests
        people = GaugeMetricFamily(
            "syndicate_subscribers", "Subscribers by status", labels=["status"]
        )
        statuses: dict[str, int] = {status: n for status, n in by_status}
        for status in STATUSES:
            people.add_metric([status], statuses.get(status, 0))
        yield people
        built = GaugeMetricFamily(
            "syndicate_feed_last_build_timestamp_seconds", "When feeds were last built (unix time)"
        )
        built.add_metric([], last_build.timestamp() if last_build else 0)
        yield built


class FeedRequestCollector(Collector):
    def collect(self) -> Iterator[Any]:
        family = CounterMetricFamily(
            "syndicate_feed_requests",
            "Feed file requests answered, by status code",
            labels=["code"],
        )
        for code, count in zip(FEED_REQUEST_CODES, FEED_REQUEST_COUNTS, strict=True):
            family.add_metric([code], count)
        yield family


def registry_for(engine: Engine) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    for collector in _PROCESS_METRICS:
        registry.register(collector)
    registry.register(FeedRequestCollector())
    registry.register(StoreCollector(engine))
    return registry
