"""The alarms: what an operator must hear about, read from the database so that any process
(``status``, ``/metrics``, the service's log) sees the same.

``read`` gathers the facts with a few cheap queries; ``Facts.alarms`` turns them into
one line each.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import Engine

from syndicate.config import Settings
from syndicate.digest.due import overdue
from syndicate.store import bounces, health

# A send slot is overdue when it passed more than poll_seconds and this long ago.
OVERDUE_MARGIN = timedelta(seconds=60)
# An edition whose reports pass these shares of its sent digests puts the domain at risk:
# mailbox providers ask bulk senders to keep complaints well under 0.3 %.
COMPLAINT_RATE_ALARM = 0.001
HARD_BOUNCE_RATE_ALARM = 0.02
REPORT_DAYS = 7


@dataclass(frozen=True)
class Facts:
    now: datetime
    tick: health.TickMarks
    overdue: int  # subscribers whose send slot passed with no edition
    oldest_waiting: datetime | None
    relay_failing_since: datetime | None
    edition: date | None
    edition_states: dict[str, int] = field(default_factory=dict)
    oldest_limit: timedelta = timedelta(hours=2)
    # Bounce and complaint reports: per edition of the last REPORT_DAYS, and over them.
    report_editions: dict[date, bounces.Counts] = field(default_factory=dict)
    report_recent: bounces.Counts = field(default_factory=bounces.Counts)

    @property
    def oldest_age(self) -> float:
        if self.oldest_waiting is None:
            return 0.0
        return max(0.0, (self.now - self.oldest_waiting).total_seconds())

    def alarms(self) -> list[str]:
        return list(self.keyed().values())

    def keyed(self) -> dict[str, str]:
        """Each alarm's line under a stable name (the line's numbers change, the name not)."""
        lines: dict[str, str] = {}
        if self.tick.failing and self.tick.failed_at is not None:
            ok = self.tick.ok_at.isoformat(timespec="seconds") if self.tick.ok_at else "never"
            lines["tick"] = (
                f"digest tick failing since {self.tick.failed_at.isoformat(timespec='seconds')}"
                f" (last success: {ok}): {self.tick.error}"
            )
        if self.overdue:
            lines["overdue"] = f"{self.overdue} subscriber(s) past their send time with no edition"
        if self.relay_failing_since is not None:
            lines["relay"] = (
                "relay failing since "
                f"{self.relay_failing_since.isoformat(timespec='seconds')}: messages wait to be"
                " tried again"
            )
        if self.oldest_waiting is not None and self.oldest_age > self.oldest_limit.total_seconds():
            lines["oldest"] = (
                f"oldest message waiting to be sent was queued {self.oldest_age / 3600:.1f} h ago"
            )
        if self.edition_states.get("failed"):
            lines["failed"] = (
                f"{self.edition_states['failed']} digest(s) of {self.edition} failed; "
                "see `syndicate outbox list --state failed`, resend with `syndicate outbox retry`"
            )
        lines.update(self.deliverability())
        return lines

    def deliverability(self) -> dict[str, str]:
        """An edition whose complaint or hard-bounce rate is past what keeps a domain trusted."""
        lines: dict[str, str] = {}
        for edition, counts in self.report_editions.items():
            if not counts.sent:
                continue
            for kind, limit, words in (
                ("complaint", COMPLAINT_RATE_ALARM, "spam complaints"),
                ("hard", HARD_BOUNCE_RATE_ALARM, "hard bounces"),
            ):
                if counts.by_kind.get(kind, 0) and counts.rate(kind) >= limit:
                    lines[f"{kind}:{edition}"] = (
                        f"edition {edition}: {counts.by_kind[kind]} {words} of {counts.sent} "
                        f"sent ({counts.rate(kind):.2%}, alarm at {limit:.1%}); "
                        "see `syndicate subscribers list`"
                    )
        return lines


def read(engine: Engine, settings: Settings, now: datetime) -> Facts:
    grace = timedelta(seconds=settings.schedule.poll_seconds) + OVERDUE_MARGIN
    with engine.connect() as conn:
        tick = health.tick_marks(conn)
        late = overdue(conn, now, grace)
        oldest = health.oldest_waiting(conn)
        relay = health.relay_failing_since(conn)
        # The newest edition of any timezone: a day ahead of UTC at most.
        edition, states = health.latest_edition(conn, (now + timedelta(days=1)).date())
        since = now - timedelta(days=REPORT_DAYS)
        editions = bounces.edition_counts(conn, since.date())
        recent = bounces.recent_counts(conn, since)
    # A healthy queue drains within one longest wait between tries.
    limit = timedelta(seconds=max(2 * settings.delivery.max_retry_interval_seconds, 600))
    return Facts(now, tick, late, oldest, relay, edition, states, limit, editions, recent)


class AlarmLog:
    """Logs each alarm when it starts and when it ends, not on every look."""

    def __init__(self, log: logging.Logger) -> None:
        self.log = log
        self.raised: dict[str, str] = {}

    def look(self, facts: Facts) -> None:
        now = facts.keyed()
        for key, line in now.items():
            if key not in self.raised:
                self.log.error("alarm: %s", line)
        for key, line in self.raised.items():
            if key not in now:
                self.log.info("alarm cleared: %s", line)
        self.raised = now
