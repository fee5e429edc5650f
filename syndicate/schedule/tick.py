"""The digest tick: enqueue today's edition for every subscriber whose send time has passed.

Run every ~30 seconds by ``syndicate run`` (or by cron through ``syndicate
digest tick``). The database holds all the state: the outbox says who already
has an edition for a date, and ``digest_slots`` which (date, timezone, time)
slots are finished. A tick after a restart therefore sends a slot missed
earlier that local day once, and a second tick (or a second node) finds
nothing more to do.

A slot is marked finished only after every subscriber it had was enqueued, so
a failed run is tried again on the next tick. Subscribers who join a slot (or
become active) after it finished get their first edition the next day.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import Engine

from syndicate import metrics
from syndicate.clock import Clock
from syndicate.config import Settings
from syndicate.digest.due import DueEdition, due_groups, groups, missing
from syndicate.digest.edition import enqueue_editions
from syndicate.store import health, state

log = logging.getLogger(__name__)

# Subscribers handed to the digest step per call: bounds memory and transaction size.
ENQUEUE_BATCH = 5000
# Finished-slot records older than this are deleted.
KEEP_SLOTS = timedelta(days=7)

Enqueue = Callable[[Engine, Settings, Clock, date, list[int]], object]
Slot = tuple[str, str]  # (timezone, digest_time)


def enqueue_with_digest(
    engine: Engine, settings: Settings, clock: Clock, edition_date: date, ids: list[int]
) -> object:
    """The real digest step: render and queue one edition per subscriber."""
    return enqueue_editions(engine, settings, clock, edition_date=edition_date, subscriber_ids=ids)


@dataclass
class TickReport:
    groups: int = 0
    due_groups: int = 0
    checked_groups: int = 0  # due and not finished yet
    editions: list[DueEdition] = field(default_factory=list)

    @property
    def enqueued(self) -> int:
        return sum(len(e.subscriber_ids) for e in self.editions)

    def summary(self) -> str:
        if not self.editions:
            return (
                f"digest tick: nothing due ({self.due_groups} of {self.groups} send slots "
                "have passed today and are done)"
            )
        parts = ", ".join(f"{len(e.subscriber_ids)} for {e.edition_date}" for e in self.editions)
        return f"digest tick: enqueued {parts}"


def _mark_finished(engine: Engine, edition_date: date, slots: list[Slot], now: datetime) -> None:
    with engine.begin() as conn:
        state.mark_slots_finished(conn, edition_date, slots, now, KEEP_SLOTS)


def digest_tick(
    engine: Engine, settings: Settings, clock: Clock, enqueue: Enqueue = enqueue_with_digest
) -> TickReport:
    """Enqueue the edition of every due, unfinished send slot; mark the slots finished."""
    now = clock.now()
    with engine.connect() as conn:
        pairs = groups(conn)
        due = due_groups(pairs, now)
        done = state.finished_slots(conn, {slot.local_date for slot in due})
        todo: dict[date, list[Slot]] = {}
        for slot in due:
            if (slot.local_date, slot.timezone, slot.digest_time) not in done:
                todo.setdefault(slot.local_date, []).append((slot.timezone, slot.digest_time))
        owed = {day: missing(conn, day, todo[day]) for day in sorted(todo)}
    report = TickReport(
        groups=len(pairs), due_groups=len(due), checked_groups=sum(map(len, todo.values()))
    )
    for edition_date, ids in owed.items():
        for start in range(0, len(ids), ENQUEUE_BATCH):
            enqueue(engine, settings, clock, edition_date, ids[start : start + ENQUEUE_BATCH])
        if ids:
            report.editions.append(DueEdition(edition_date, ids))
        _mark_finished(engine, edition_date, todo[edition_date], now)
    if report.editions:
        log.info(report.summary())
    return report


def recorded_tick(
    engine: Engine, settings: Settings, clock: Clock, enqueue: Enqueue = enqueue_with_digest
) -> TickReport:
    """``digest_tick``, leaving on record when the last one went well and when the last one
    failed and why: a tick that fails every time must show in ``status`` and ``/metrics``."""
    try:
        report = digest_tick(engine, settings, clock, enqueue)
    except Exception as exc:
        metrics.DIGEST_TICKS.labels(outcome="failed").inc()
        error = f"{exc.__class__.__name__}: {exc}".splitlines()[0][:500]
        try:
            health.record_tick(engine, clock.now(), error)
        except Exception as lost:  # the database itself may be what failed
            log.warning("cannot record the failed digest tick: %s", lost)
        raise
    metrics.DIGEST_TICKS.labels(outcome="ok").inc()
    health.record_tick(engine, clock.now())
    return report
