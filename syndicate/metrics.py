"""Prometheus metrics: process counters any module may bump, plus store facts read at scrape time.

Counters are created unregistered and collected by the registry that
``registry_for`` builds, so several apps in one process (tests) never clash.
Other steps count their work here, e.g. ``metrics.FEEDS_BUILT.inc(n)`` after a
build that rewrote n sections.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
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

ALERTS = Counter(
    "syndicate_alerts",
    "Breaking-news alerts by event (queued, sent, retry, failed) counted by this process",
    ["event"],
    registry=None,
)

DIGEST_TICKS = Counter(
    "syndicate_digest_ticks",
    "Digest ticks run by this process, by outcome (ok, failed)",
    ["outcome"],
    registry=None,
)

BOUNCE_REPORTS = Counter(
    "syndicate_bounce_reports",
    "Bounce and complaint reports taken in by this process, by kind and source",
    ["kind", "source"],
    registry=None,
)

_PROCESS_METRICS = (
    BOUNCE_REPORTS,
    DIGEST_TICKS,
    FEEDS_BUILT,
    ARTICLES_INGESTED,
    CONFIRMATIONS_SENT,
    DIGESTS,
    ALERTS,
)


class StoreCollector(Collector):
    """Outbox rows by state, subscribers by status, last feed build: one cheap query each."""

    def __init__(self, engine: Engine, alarm_facts: Callable[[], Any] | None = None) -> None:
        self.engine = engine
        # Given by the wiring that knows the settings and the clock (see syndicate.alarms).
        self.alarm_facts = alarm_facts

    def collect(self) -> Iterator[Any]:
        from syndicate.store import carried, outbox, state, subscribers
        from syndicate.subscribers.lifecycle import STATUSES

        up = GaugeMetricFamily("syndicate_store_up", "1 when the database answered the scrape")
        try:
            with self.engine.connect() as conn:
                by_kind = outbox.counts(conn)
                by_status = subscribers.counts_by_status(conn)
                last_build = state.last_feed_build(conn)
                notices = carried.notices_delivered(conn)
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
        alerts = GaugeMetricFamily(
            "syndicate_alert_messages", "Breaking-news alert outbox rows by state", labels=["state"]
        )
        alert_counts = {row_state: n for kind, row_state, n in by_kind if kind == "alert"}
        for row_state in ("queued", "sending", "retry", "sent", "failed", "skipped"):
            alerts.add_metric([row_state], alert_counts.get(row_state, 0))
        yield alerts
        told = GaugeMetricFamily(
            "syndicate_corrections_delivered",
            "Corrections and retractions carried by editions that were sent",
        )
        told.add_metric([], notices)
        yield told
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
        if self.alarm_facts is not None:
            yield from self._alarms(self.alarm_facts)

    def _alarms(self, alarm_facts: Callable[[], Any]) -> Iterator[Any]:
        try:
            facts = alarm_facts()
        except SQLAlchemyError:
            return

        def stamp(moment: Any) -> float:
            return moment.timestamp() if moment is not None else 0.0

        def gauge(name: str, doc: str, value: float) -> GaugeMetricFamily:
            family = GaugeMetricFamily(name, doc)
            family.add_metric([], value)
            return family

        yield gauge(
            "syndicate_digest_tick_last_success_timestamp_seconds",
            "When a digest tick last went well (unix time; 0: never)",
            stamp(facts.tick.ok_at),
        )
        yield gauge(
            "syndicate_digest_tick_last_failure_timestamp_seconds",
            "When a digest tick last failed (unix time; 0: never)",
            stamp(facts.tick.failed_at),
        )
        yield gauge(
            "syndicate_digest_tick_failing",
            "1 when the last digest tick failed (no success since)",
            1.0 if facts.tick.failing else 0.0,
        )
        yield gauge(
            "syndicate_send_slots_overdue_subscribers",
            "Subscribers whose send time passed more than poll_seconds + 60 s ago with no edition",
            facts.overdue,
        )
        yield gauge(
            "syndicate_outbox_oldest_waiting_age_seconds",
            "Age of the oldest outbox row still to be sent (0: none)",
            facts.oldest_age,
        )
        yield gauge(
            "syndicate_relay_failing_since_timestamp_seconds",
            "Since when the relay fails every message for now (unix time; 0: it works)",
            stamp(facts.relay_failing_since),
        )
        edition = GaugeMetricFamily(
            "syndicate_edition_messages",
            "Digests of the newest edition by state",
            labels=["state"],
        )
        for row_state in ("queued", "sending", "retry", "sent", "failed", "skipped"):
            edition.add_metric([row_state], facts.edition_states.get(row_state, 0))
        yield edition
        yield from self._reports(facts)

    def _reports(self, facts: Any) -> Iterator[Any]:
        """Bounce and complaint reports over the last days and per edition, with their rates."""
        from syndicate.store.bounces import COUNTED

        recent = GaugeMetricFamily(
            "syndicate_bounce_reports_7d", "Reports received in the last 7 days", labels=["kind"]
        )
        recent_rate = GaugeMetricFamily(
            "syndicate_bounce_rate_7d",
            "Reports of the last 7 days per message sent in that time",
            labels=["kind"],
        )
        per_edition = GaugeMetricFamily(
            "syndicate_edition_bounce_reports",
            "Reports about each edition of the last 7 days",
            labels=["edition", "kind"],
        )
        edition_rate = GaugeMetricFamily(
            "syndicate_edition_bounce_rate",
            "Reports about each edition per digest of it sent",
            labels=["edition", "kind"],
        )
        for kind in COUNTED:
            recent.add_metric([kind], facts.report_recent.by_kind.get(kind, 0))
            recent_rate.add_metric([kind], facts.report_recent.rate(kind))
            for day, counts in facts.report_editions.items():
                per_edition.add_metric([str(day), kind], counts.by_kind.get(kind, 0))
                edition_rate.add_metric([str(day), kind], counts.rate(kind))
        alarm = GaugeMetricFamily(
            "syndicate_deliverability_alarm",
            "1 when an edition's complaint rate is at 0.1 % or its hard-bounce rate at 2 %",
        )
        alarm.add_metric([], 1.0 if facts.deliverability() else 0.0)
        yield from (recent, recent_rate, per_edition, edition_rate, alarm)


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


def registry_for(engine: Engine, alarm_facts: Callable[[], Any] | None = None) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    for collector in _PROCESS_METRICS:
        registry.register(collector)
    registry.register(FeedRequestCollector())
    registry.register(StoreCollector(engine, alarm_facts))
    return registry
