"""The service's three steps as callables the scheduler runs, each in a worker thread.

``poll`` and ``digest`` are scheduled jobs: they run only while this process
holds the scheduler lock. ``deliver`` runs on every process. Each step reads
the current settings at the start of a run, so a reload applies from the next
run on.
"""

from __future__ import annotations

import asyncio
import logging
import threading

from sqlalchemy import Engine

from syndicate.clock import Clock
from syndicate.config import Settings
from syndicate.confirmations import send_confirmations
from syndicate.delivery import SenderFactory, deliver_due
from syndicate.feeds.publish import poll
from syndicate.schedule.lock import SchedulerLock
from syndicate.schedule.tick import Enqueue, digest_tick, enqueue_with_digest
from syndicate.senders import make_sender

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
        self._lock_guard = threading.Lock()

    def is_scheduler(self) -> bool:
        with self._lock_guard:
            return self.lock.acquire()

    def poll(self) -> None:
        if not self.is_scheduler():
            return
        report = poll(self.engine, self.settings, self.clock)
        for line in report.lines():
            if not line.endswith(": unchanged"):
                log.info("feeds: %s", line)

    def digest(self) -> int:
        """One digest tick; returns how many editions were enqueued."""
        if not self.is_scheduler():
            return 0
        return digest_tick(self.engine, self.settings, self.clock, self.enqueue).enqueued

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
        )
        handled = report.sent + report.retrying + report.failed
        if handled or report.released:
            log.info("deliver: %s", report.summary())
        return handled + self.confirmations()

    def confirmations(self) -> int:
        """Send the confirmation emails that are due (first tries the form missed, retries)."""
        if self.stop_claiming.is_set():
            return 0
        sent = asyncio.run(self._send_confirmations())
        if sent:
            log.info("deliver: %d confirmation email(s) sent", sent)
        return sent

    async def _send_confirmations(self) -> int:
        sender = self.senders(self.settings)
        try:
            return await send_confirmations(self.settings, self.engine, self.clock, sender=sender)
        finally:
            await sender.close()
