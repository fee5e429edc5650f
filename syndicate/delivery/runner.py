"""One delivery run in one process: a feeder claims rows, lanes send them, a recorder
writes the outcomes.

Each lane waits until its message's outcome is committed before it sends the
next one, so a crash can leave at most one accepted-but-unrecorded message per
lane (= per SMTP connection): those are the only possible duplicates, and they
carry the same ``Message-ID``. Outcomes of all lanes are committed together
(group commit), which keeps the database off the critical path.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable, Collection, Iterable
from datetime import datetime
from typing import Protocol

from sqlalchemy import Connection, Engine

from syndicate import metrics
from syndicate.addresses import BadAddress, mask, split_mailbox
from syndicate.bounces.verp import envelope_sender
from syndicate.clock import Clock
from syndicate.config import Settings
from syndicate.confirmations import KINDS as LINK_KINDS
from syndicate.confirmations import Assembler
from syndicate.delivery.assembly import Assembler as DigestAssembler
from syndicate.delivery.outbox import RUNNING, Outcome, decide, owner_tag
from syndicate.delivery.recorder import Recorder
from syndicate.delivery.report import DeliveryReport, alike_reason
from syndicate.mail.sender import Envelope, PermanentFailure, Sender, TemporaryFailure
from syndicate.store import bodies, carried, health, queue
from syndicate.store.outbox import waiting_ids
from syndicate.store.queue import Claimed
from syndicate.subscribers.lifecycle import RECEIVES

log = logging.getLogger("syndicate.delivery")

# How long the feeder idles between looks at a full queue or an empty outbox.
POLL_SECONDS = 0.01
# How often a run that only waits for other workers' rows looks again.
OTHERS_POLL_SECONDS = 1.0
# A recording connection unused this long is handed back to the pool.
RECORDING_IDLE_SECONDS = 1.0
# Longest single sleep while waiting for a retry, so a stop request is seen quickly.
WAIT_SLICE = 0.5


class StopFlag(Protocol):
    def is_set(self) -> bool: ...


class WakeFlag(Protocol):
    """Set when new rows were queued (a threading.Event): a run waiting for a retry
    stops waiting and claims at once."""

    def is_set(self) -> bool: ...
    def clear(self) -> None: ...


Progress = Callable[[DeliveryReport], None]
Sleep = Callable[[float], Awaitable[None]]


class _Run:
    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        clock: Clock,
        sender: Sender,
        until_empty: bool,
        stop: StopFlag | None,
        on_progress: Progress | None,
        sleep: Sleep | None,
        only: Collection[int] | None = None,
        wake: WakeFlag | None = None,
    ) -> None:
        self.engine = engine
        self.only = only
        self.wake = wake
        self.settings = settings
        self.delivery = settings.delivery
        self.clock = clock
        self.sender = sender
        self.until_empty = until_empty
        self.stop = stop
        self.on_progress = on_progress
        self.sleep = sleep or self._sleep_unless_stopped
        self.assemble = Assembler(settings, engine, clock)
        self.digests = DigestAssembler(settings, engine)
        self.owner = owner_tag()
        self.rng = random.Random()
        self.report = DeliveryReport()
        self.queue: asyncio.Queue[Claimed | None] = asyncio.Queue()
        self.in_flight = 0
        self.lanes = self.delivery.connections
        self.capacity = self._capacity()
        # Checked when the config was loaded; normalising it again here would load
        # email-validator into every worker process for nothing.
        self.from_address = split_mailbox(settings.digest.from_)[1]
        self.recorder = Recorder(self._write, self.lanes)
        self._last_progress = 0.0
        self._lane_tasks: list[asyncio.Task[None]] = []
        # When the relay started failing, as on record; written only when it changes.
        self.relay_since: datetime | None = None
        # Outcomes are committed a few at a time, hundreds of times a second: on a
        # connection kept for that (a pool checkout, its ping and its reset-on-return
        # cost more than a small commit). Only the recorder's thread uses it, one flush
        # at a time; dropped on any error and opened again by the next flush. One left
        # idle a while goes back to the pool, so after a pause (waiting for retries) the
        # pool's ping still finds a connection the server dropped meanwhile.
        self._recording: Connection | None = None
        self._recorded_at = 0.0

    def _capacity(self) -> int:
        """Rows to hold at once: a batch, but never more than can go out well within the lease."""
        size = self.delivery.batch_size
        rate = self.delivery.rate_per_second
        if rate > 0:
            size = min(size, max(1, int(rate * self.delivery.lease_seconds / 4)))
        return max(size, 1)

    def _stopping(self) -> bool:
        return self.stop is not None and self.stop.is_set()

    def _write(self, outcomes: list[Outcome]) -> list[Outcome]:
        now = self.clock.now()
        decided = [decide(outcome, self.delivery, now, self.rng) for outcome in outcomes]
        if time.monotonic() - self._recorded_at > RECORDING_IDLE_SECONDS:
            self._close_recording()
        if self._recording is None:
            self._recording = self.engine.connect()
        try:
            queue.record(
                self._recording,
                [result for _, result in decided],
                now,
                self.owner,
                self.delivery.bounce_after,
            )
        except Exception:
            self._close_recording()
            raise
        self._recorded_at = time.monotonic()
        self._note_relay([outcome for outcome, _ in decided], now)
        return [outcome for outcome, _ in decided]

    def _close_recording(self) -> None:
        conn, self._recording = self._recording, None
        if conn is not None:
            try:
                conn.close()
            except Exception as exc:  # a broken connection: the pool discards it
                log.debug("closing the recording connection: %s", exc)

    def _note_relay(self, outcomes: list[Outcome], now: datetime) -> None:
        """Keep "the relay is failing since" on record: set at the first temporary failure
        of the transport, cleared by the next message it accepts."""
        since = self.relay_since
        reply = ""
        for outcome in outcomes:
            if outcome.kind == "sent":
                since = None
            elif outcome.relay_down and since is None:
                since, reply = now, outcome.reply
        if since == self.relay_since:
            return
        try:
            health.set_relay_failing(self.engine, since, now)
        except Exception as exc:  # the outcomes are on record; the alarm is tried next time
            log.warning("cannot record the relay's state: %s", exc)
            return
        if since is not None:
            log.error("relay failing since %s: %s", since.isoformat(timespec="seconds"), reply)
        else:
            log.info("relay accepts messages again (failing since %s)", self.relay_since)
        self.relay_since = since

    def _prune(self) -> None:
        """Edition bodies whose rows are all sent (or gone) are not needed any more, nor
        the record of what messages older than ``carried.KEEP`` carried."""
        try:
            gone = bodies.prune(self.engine, self.clock.now())
            forgotten = carried.prune(self.engine, self.clock.now())
        except Exception as exc:  # cleanup only: the next run tries again
            log.warning("cannot remove unused edition bodies or carried records: %s", exc)
            return
        if gone:
            log.info("removed %d edition bodies no message needs any more", gone)
        if forgotten:
            log.info("forgot %d carried-article records past %d days", forgotten, carried.KEEP.days)

    def _read_relay(self) -> datetime | None:
        with self.engine.connect() as conn:
            return health.relay_failing_since(conn)

    async def run(self) -> DeliveryReport:
        RUNNING.add(self.owner)
        try:
            return await self._run()
        finally:
            RUNNING.discard(self.owner)
            await self.recorder.drained()  # its thread is the one using the connection
            await asyncio.to_thread(self._close_recording)

    async def _run(self) -> DeliveryReport:
        self.relay_since = await asyncio.to_thread(self._read_relay)
        freed = await asyncio.to_thread(
            queue.reclaim_dead,
            self.engine,
            self.clock.now(),
            self.owner,
            RUNNING.others(self.owner),
        )
        if freed:
            log.info("took back %d rows left sending by a stopped worker on this host", freed)
        lanes = [asyncio.create_task(self._lane()) for _ in range(self.lanes)]
        self._lane_tasks = lanes
        try:
            await self._feed()
        finally:
            for _ in lanes:
                self.queue.put_nowait(None)
            await asyncio.gather(*lanes)
        await asyncio.to_thread(self._prune)
        backlog = await asyncio.to_thread(queue.backlog, self.engine, self.clock.now())
        self.report.waiting = backlog.unfinished
        self.report.next_at = backlog.next_at
        self.report.seconds = time.monotonic() - self.report.started
        self._progress(force=True)
        return self.report

    async def _feed(self) -> None:
        due_by = None if self.until_empty else self.clock.now()
        low_water = max(self.lanes, self.capacity // 2)
        while not self._stopping():
            self._check_lanes()
            if self.queue.qsize() >= low_water:
                await asyncio.sleep(POLL_SECONDS)
                continue
            rows, skipped = await asyncio.to_thread(
                self._claim, self.capacity - self.queue.qsize(), due_by
            )
            if skipped:
                log.info("skipped %d rows: subscriber no longer active", skipped)
                self.report.skipped += skipped
            for row in rows:
                self.queue.put_nowait(row)
            if rows or skipped:
                continue
            if not self.until_empty:
                # Everything due is claimed. Stay until the lanes have taken it, so a
                # stop before then still hands back the rows nobody started.
                while self.queue.qsize() and not self._stopping():
                    await asyncio.sleep(POLL_SECONDS * 5)
                if not self._stopping():
                    return
                break
            if self.queue.qsize() or self.in_flight:
                await asyncio.sleep(POLL_SECONDS * 5)
                continue
            backlog = await asyncio.to_thread(queue.backlog, self.engine, self.clock.now())
            if backlog.unfinished == 0:
                return
            wait = WAIT_SLICE
            if backlog.next_at is not None:
                wait = (backlog.next_at - self.clock.now()).total_seconds()
            if backlog.sending:
                # Another worker holds rows: it will most likely finish them, not die,
                # so look again soon rather than sleeping until its lease runs out.
                wait = min(wait, OTHERS_POLL_SECONDS)
            await self.sleep(max(wait, POLL_SECONDS))
        await self._hand_back()

    def _claim(self, limit: int, due_by: datetime | None) -> tuple[list[Claimed], int]:
        """Claim due rows and have their edition bodies at hand (in the feeder's thread)."""
        rows, skipped = queue.claim(
            self.engine,
            self.clock.now(),
            limit,
            self.delivery.lease_seconds,
            self.owner,
            RECEIVES,
            due_by,
            self.only,
        )
        self.digests.load(rows)
        return rows, skipped

    def _check_lanes(self) -> None:
        """A lane that died (the database went away) ends the run instead of stalling it."""
        for lane in self._lane_tasks:
            if lane.done() and not lane.cancelled() and lane.exception() is not None:
                raise lane.exception()  # type: ignore[misc]

    async def _sleep_unless_stopped(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not self._stopping():
            if self.wake is not None and self.wake.is_set():
                self.wake.clear()  # rows were queued meanwhile: claim them now
                return
            left = deadline - time.monotonic()
            if left <= 0:
                return
            await asyncio.sleep(min(left, WAIT_SLICE))

    async def _hand_back(self) -> None:
        """On stop: the rows not yet started go back to the outbox for the next run."""
        self.report.stopped = True
        untried: list[Claimed] = []
        while not self.queue.empty():
            row = self.queue.get_nowait()
            if row is not None:
                untried.append(row)
        await asyncio.to_thread(queue.release, self.engine, [row.id for row in untried], self.owner)
        self.report.released += len(untried)
        if untried:
            log.info("stopping: handed back %d claimed rows", len(untried))

    async def _lane(self) -> None:
        """Send rows one after another. The previous row's outcome is committed while this
        row's envelope goes out, and must be before this message's DATA: so a lane never
        has more than one accepted message that is not on record."""
        previous: asyncio.Future[Outcome] | None = None
        while True:
            if previous is not None and self.queue.empty():
                await self._settle(previous)  # don't leave it pending while idle
                previous = None
            if self._stopping():
                # Sending can outrun the feeder's look at the flag: what is still queued
                # is left for it to hand back, not sent after the stop.
                break
            row = await self.queue.get()
            if row is None:
                break
            self.in_flight += 1
            outcome = await self._send(row, previous)
            if previous is not None:
                await self._settle(previous)
            previous = self.recorder.submit(outcome)
        if previous is not None:
            await self._settle(previous)

    async def _settle(self, recording: asyncio.Future[Outcome]) -> None:
        try:
            outcome = await recording
        finally:
            self.in_flight -= 1
        self._count(outcome)

    async def _send(self, row: Claimed, previous: asyncio.Future[Outcome] | None) -> Outcome:
        if not row.message and row.kind in LINK_KINDS:
            try:  # rendered on its first claim, then stored: a retry sends the same bytes
                row = await asyncio.to_thread(self.assemble, row)
            except Exception as exc:  # the same input would fail again: this row only
                log.debug("cannot render outbox row %d", row.id, exc_info=True)
                why = f"address refused: {exc.reason}" if isinstance(exc, BadAddress) else f"{exc}"
                return Outcome(row, "failed", f"cannot build the message: {why}")
        assembled = not row.message and row.body_id is not None
        if assembled:
            try:  # assembled from its edition body: the same bytes on every try
                row = self.digests(row)
            except Exception as exc:  # this row only; the same input would fail again
                log.debug("cannot assemble outbox row %d", row.id, exc_info=True)
                why = f"address refused: {exc.reason}" if isinstance(exc, BadAddress) else f"{exc}"
                return Outcome(row, "failed", f"cannot build the message: {why}")
        if not row.message:
            return Outcome(row, "failed", "no message stored for this row")
        envelope = Envelope(
            self._envelope_sender(row),
            row.recipient,
            row.message,
            row.message_id,
            crlf_only=assembled,  # digest.mime joins CRLF-only parts; DKIM adds CRLF lines
        )

        async def previous_on_record() -> None:
            if previous is not None:
                await asyncio.shield(previous)

        try:
            reply = await self.sender.send(envelope, before_data=previous_on_record)
        except TemporaryFailure as exc:
            return Outcome(row, "retry", exc.reply, relay_down=exc.relay)
        except PermanentFailure as exc:
            return Outcome(row, "failed", exc.reply, bounce=exc.bounce)
        except Exception as exc:  # a sender bug must not lose the row: try again later
            log.exception("unexpected error sending outbox row %d", row.id)
            return Outcome(row, "retry", f"unexpected {exc.__class__.__name__}: {exc}")
        return Outcome(row, "sent", reply)

    def _envelope_sender(self, row: Claimed) -> str:
        """MAIL FROM for this row: computed here, at send time, and nowhere else."""
        return envelope_sender(
            row.id,
            self.from_address,
            self.settings.bounces.return_path,
            self.settings.secret.get_secret_value(),
        )

    def _count(self, outcome: Outcome) -> None:
        row = outcome.row
        if row.kind == "confirmation":
            if outcome.kind == "sent":
                metrics.CONFIRMATIONS_SENT.inc()
                self.report.confirmations += 1
            who = f"confirmation to {mask(row.recipient)} {row.message_id}"
        elif row.kind == "alert":
            metrics.ALERTS.labels(event=outcome.kind).inc()
            who = f"alert to {mask(row.recipient)} {row.message_id}"
        elif row.kind == "link":
            who = f"preferences link to {mask(row.recipient)} {row.message_id}"
        else:
            metrics.DIGESTS.labels(event=outcome.kind).inc()
            who = f"edition {row.edition_date} to {mask(row.recipient)} {row.message_id}"
        if outcome.kind == "sent":
            self.report.sent += 1
            log.info("sent %s: %s", who, outcome.reply)
        elif outcome.kind == "retry":
            self.report.retrying += 1
            log.warning("retry %s (attempt %d): %s", who, row.attempts, outcome.reply)
        else:
            self.report.failed += 1
            self.report.reasons[alike_reason(outcome.reply)] += 1
            log.warning("failed %s: %s", who, outcome.reply)
        self._progress()

    def _progress(self, force: bool = False) -> None:
        if self.on_progress is None:
            return
        now = time.monotonic()
        if force or now - self._last_progress >= 0.1:
            self._last_progress = now
            self.on_progress(self.report)


async def deliver_due_async(
    engine: Engine,
    settings: Settings,
    clock: Clock,
    sender: Sender,
    until_empty: bool = False,
    stop_event: StopFlag | None = None,
    on_progress: Progress | None = None,
    sleep: Sleep | None = None,
    only: Collection[int] | None = None,
    wake: WakeFlag | None = None,
) -> DeliveryReport:
    """Send every due outbox row once, in this process, through ``sender`` (see ``deliver_due``).

    The caller owns ``sender`` and closes it. ``sleep`` is how the run waits for
    the next retry (default ``asyncio.sleep``; tests with a fixed clock pass one
    that moves the clock). ``only`` limits the run to those outbox rows (a
    confirmation email sent at once). Setting ``wake`` ends a wait for a retry early.
    """
    run = _Run(
        engine, settings, clock, sender, until_empty, stop_event, on_progress, sleep, only, wake
    )
    return await run.run()


async def send_confirmations(
    settings: Settings,
    engine: Engine,
    clock: Clock,
    ids: Iterable[int] | None = None,
    *,
    sender: Sender,
) -> int:
    """Send the confirmation emails that are due, now, through ``sender``; returns how
    many went.

    ``ids`` limits it to those subscribers' (the form and the CLI send theirs at
    once); None takes every one that is due, retries included. Only confirmation
    rows are touched: digests wait for the deliver step.
    """
    with engine.connect() as conn:
        rows = waiting_ids(conn, "confirmation", None if ids is None else list(ids))
    if not rows:
        return 0
    report = await deliver_due_async(engine, settings, clock, sender, only=rows)
    return report.confirmations
