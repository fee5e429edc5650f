"""The service's three steps as callables the scheduler runs, each in a worker thread.

``poll`` and ``digest`` are scheduled jobs: they run only while this process
holds the scheduler lock. ``deliver`` runs on every process. Each step reads
the current settings at the start of a run, so a reload applies from the next
run on.
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy import Engine

from syndicate.alarms import AlarmLog
from syndicate.alarms import read as read_alarms
from syndicate.clock import Clock
from syndicate.config import Settings
from syndicate.delivery import SenderFactory, deliver_due
from syndicate.digest import alerts
from syndicate.feeds.publish import poll, publish
from syndicate.schedule.tick import Enqueue, enqueue_with_digest, recorded_tick
from syndicate.senders import make_sender
from syndicate.store.lock import SchedulerLock

log = logging.getLogger("syndicate.run")

# Seconds between digest ticks: a send time is met within this, and a node
# taking over from a dead scheduler starts within it.
DIGEST_TICK_SECONDS = 30
# Seconds between looks at the outbox when it was empty.
DELIVER_IDLE_SECONDS = 5


class Jobs:
    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        clock: Clock,
        lock: SchedulerLock,
        enqueue: Enqueue = enqueue_with_digest,
        senders: SenderFactory = make_sender,
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.clock = clock
        self.lock = lock
        self.enqueue = enqueue
        self.senders = senders
        # Set on shutdown: delivery stops claiming and hands back what it has not started.
        self.stop_claiming = threading.Event()
        # Set when rows were queued outside a run (an alert from the API): a run waiting
        # for a retry claims them at once instead of at the end of its wait.
        self.wake = threading.Event()
        self._lock_guard = threading.Lock()
        self.alarm_log = AlarmLog(log)

    def is_scheduler(self) -> bool:
        with self._lock_guard:
            return self.lock.acquire()

    def poll(self) -> int:
        """Build what changed; returns how many alerts of imported breaking articles it queued."""
        if not self.is_scheduler():
            return 0
        try:
            report = poll(self.engine, self.settings, self.clock)
            for line in report.lines():
                if not line.endswith(": unchanged"):
                    log.info("feeds: %s", line)
        finally:
            # Imported breaking articles: their alerts are queued at the poll after the import.
            queued = alerts.scan(self.engine, self.settings, self.clock).queued
        return queued

    def republish(self) -> None:
        """Build every section's feeds again (after a reload); only changed files are written."""
        if not self.is_scheduler():
            return
        report = publish(self.engine, self.settings, self.clock)
        for line in getattr(report, "lines", lambda: [])():
            if not line.endswith(": unchanged"):
                log.info("feeds: %s", line)

    def digest(self) -> int:
        """One digest tick; returns how many editions were enqueued."""
        if not self.is_scheduler():
            return 0
        try:
            return recorded_tick(self.engine, self.settings, self.clock, self.enqueue).enqueued
        finally:
            self._look_at_alarms()

    def _look_at_alarms(self) -> None:
        """Each tick, log the alarms that start or end (a few cheap queries)."""
        try:
            self.alarm_log.look(read_alarms(self.engine, self.settings, self.clock.now()))
        except Exception as exc:  # the database may be what failed: the tick says so
            log.debug("cannot read the alarms: %s", exc)

    def deliver(self) -> int:
        """Send until nothing is queued or retrying; returns how many messages were handled.

        It keeps going while there is work (waiting for retries too), so new
        editions enqueued meanwhile go out in the same run; stopping hands back
        what was claimed and not started.
        """
        if self.stop_claiming.is_set():
            return 0
        report = deliver_due(
            self.engine,
            self.settings,
            self.clock,
            self.senders,
            until_empty=True,
            stop_event=self.stop_claiming,
            wake=self.wake,
        )
        handled = report.sent + report.retrying + report.failed
        if handled or report.released:
            log.info("deliver: %s", report.summary())
        return handled
