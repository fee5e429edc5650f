"""The digest tick: enqueue today's edition for every subscriber whose send time has passed.

Run every ~30 seconds by ``syndicate run`` (or by cron through ``syndicate
digest tick``). Nothing is remembered between runs that matters for
correctness: the outbox says who already has today's edition, so a tick after
a restart sends a missed slot once, the same day, and a second tick (or a
second node) finds nothing more to do.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import Engine

from syndicate.clock import Clock
from syndicate.config import Settings
from syndicate.errors import OperationalError
from syndicate.schedule.due import DueEdition, due_groups, groups, missing

log = logging.getLogger(__name__)

# Subscribers handed to the digest step per call: bounds memory and transaction size.
ENQUEUE_BATCH = 5000

Enqueue = Callable[[Engine, Settings, Clock, date, list[int]], object]


def enqueue_with_digest(
    engine: Engine, settings: Settings, clock: Clock, edition_date: date, ids: list[int]
) -> object:
    """The real digest step: render and queue one edition per subscriber."""
    try:
        from syndicate.digest.edition import enqueue_editions
    except ImportError as exc:  # the digest package is a separate area of the code
        raise OperationalError(
            "the digest step is not available in this build",
            hint="install a build that includes syndicate.digest",
        ) from exc
    return enqueue_editions(engine, settings, clock, edition_date=edition_date, subscriber_ids=ids)


@dataclass
class TickReport:
    groups: int = 0
    due_groups: int = 0
    checked_groups: int = 0
    editions: list[DueEdition] = field(default_factory=list)

    @property
    def enqueued(self) -> int:
        return sum(len(e.subscriber_ids) for e in self.editions)

    def summary(self) -> str:
        if not self.editions:
            return f"digest tick: nothing due ({self.due_groups} of {self.groups} groups past their time)"
        parts = ", ".join(f"{len(e.subscriber_ids)} for {e.edition_date}" for e in self.editions)
        return f"digest tick: enqueued {parts}"


class DigestTicker:
    """Runs ticks and remembers which groups are already complete today.

    The memory only saves work: a (date, timezone, time) group found complete is
    not queried again on the next ticks, and every ``recheck`` the whole day is
    checked again (which also picks up readers who joined a group after its
    send time). A new process starts with an empty memory and checks everything.
    """

    def __init__(
        self, enqueue: Enqueue = enqueue_with_digest, recheck: timedelta = timedelta(minutes=10)
    ) -> None:
        self.enqueue = enqueue
        self.recheck = recheck
        self._complete: set[tuple[date, str, str]] = set()
        self._last_full: datetime | None = None

    def tick(self, engine: Engine, settings: Settings, clock: Clock) -> TickReport:
        now = clock.now()
        full = (
            self._last_full is None
            or now - self._last_full >= self.recheck
            or now < self._last_full
        )
        if full:
            self._complete.clear()
        with engine.connect() as conn:
            pairs = groups(conn)
            due = due_groups(pairs, now)
            todo: dict[date, list[tuple[str, str]]] = {}
            for slot in due:
                if (slot.local_date, slot.timezone, slot.digest_time) not in self._complete:
                    todo.setdefault(slot.local_date, []).append((slot.timezone, slot.digest_time))
            owed = {d: missing(conn, d, todo[d]) for d in sorted(todo)}
        report = TickReport(
            groups=len(pairs),
            due_groups=len(due),
            checked_groups=sum(len(v) for v in todo.values()),
        )
        for edition_date, ids in owed.items():
            for start in range(0, len(ids), ENQUEUE_BATCH):
                self.enqueue(
                    engine, settings, clock, edition_date, ids[start : start + ENQUEUE_BATCH]
                )
            if ids:
                report.editions.append(DueEdition(edition_date, ids))
        # Only after every enqueue went through: a failure above leaves the groups
        # unmarked, so the next tick tries them again.
        for edition_date, pairs_done in todo.items():
            self._complete.update((edition_date, tz, hhmm) for tz, hhmm in pairs_done)
        today = {slot.local_date for slot in due}
        self._complete = {key for key in self._complete if key[0] in today}
        if full:
            self._last_full = now
        if report.editions:
            log.info(report.summary())
        return report


def digest_tick(
    engine: Engine, settings: Settings, clock: Clock, enqueue: Enqueue = enqueue_with_digest
) -> TickReport:
    """One stateless tick, for cron: checks every due group."""
    return DigestTicker(enqueue).tick(engine, settings, clock)
