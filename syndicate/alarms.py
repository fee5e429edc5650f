"""The alarms: what an operator must hear about, read from the database so that any process
(``status``, ``/metrics``, the service's log) sees the same.

``read`` gathers the facts with a few cheap queries; ``Facts.alarms`` turns them into
one line each.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import Engine

from syndicate.config import Settings
from syndicate.schedule.due import overdue
from syndicate.store import health

# A send slot is overdue when it passed more than poll_seconds and this long ago.
OVERDUE_MARGIN = timedelta(seconds=60)


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

    @property
    def oldest_age(self) -> float:
        if self.oldest_waiting is None:
            return 0.0
        return max(0.0, (self.now - self.oldest_waiting).total_seconds())

    def alarms(self) -> list[str]:
        lines = []
        if self.tick.failing and self.tick.failed_at is not None:
            ok = self.tick.ok_at.isoformat(timespec="seconds") if self.tick.ok_at else "never"
            lines.append(
                f"digest tick failing since {self.tick.failed_at.isoformat(timespec='seconds')}"
                f" (last success: {ok}): {self.tick.error}"
            )
        if self.overdue:
            lines.append(f"{self.overdue} subscriber(s) past their send time with no edition")
        if self.relay_failing_since is not None:
            lines.append(
                "relay failing since "
                f"{self.relay_failing_since.isoformat(timespec='seconds')}: messages wait to be"
                " tried again"
            )
        if self.oldest_waiting is not None and self.oldest_age > self.oldest_limit.total_seconds():
            lines.append(
                f"oldest message waiting to be sent was queued {self.oldest_age / 3600:.1f} h ago"
            )
        if self.edition_states.get("failed"):
            lines.append(
                f"{self.edition_states['failed']} digest(s) of {self.edition} failed; "
                "see `syndicate outbox list --state failed`, resend with `syndicate outbox retry`"
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
    # A healthy queue drains within one longest wait between tries.
    limit = timedelta(seconds=max(2 * settings.delivery.max_retry_interval_seconds, 600))
    return Facts(now, tick, late, oldest, relay, edition, states, limit)
