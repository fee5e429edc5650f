"""``[delivery] workers``: several processes sharing the outbox.

They coordinate only through the database (row leases), exactly as processes
on different machines would; this module just starts them from one command,
shares out the rate limit and adds up their reports.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import signal
import time
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from sqlalchemy import Engine

from syndicate import store
from syndicate.clock import Clock
from syndicate.config import Settings
from syndicate.delivery.report import DeliveryReport
from syndicate.delivery.runner import (
    Progress,
    StopFlag,
    WakeFlag,
    deliver_due_async,
)
from syndicate.errors import OperationalError
from syndicate.mail.sender import Sender
from syndicate.store import queue

COUNTERS = ("sent", "retrying", "failed", "skipped")

# Opens the sender of one process from its settings. Worker processes get it
# pickled, so it must be a module-level function.
SenderFactory = Callable[[Settings], Sender]


def deliver_due(
    engine: Engine,
    settings: Settings,
    clock: Clock,
    make_sender: SenderFactory,
    until_empty: bool = False,
    stop_event: StopFlag | None = None,
    on_progress: Progress | None = None,
    wake: WakeFlag | None = None,
) -> DeliveryReport:
    """Send every due outbox row once and report what happened.

    Each process opens its own sender with ``make_sender`` and closes it at the
    end. ``until_empty`` keeps going, waiting for retries, until nothing is
    queued, retrying or sending. Setting ``stop_event`` (anything with
    ``is_set()``) stops claiming, lets the messages in flight finish and hands
    the rest back. With ``[delivery] workers`` > 1 the work is shared with worker
    processes. Must not be called from a running event loop: use
    ``deliver_due_async`` there. Setting ``wake`` (new rows queued) ends this process's
    wait for a retry early.
    """
    workers = settings.delivery.workers
    if workers <= 1:
        return asyncio.run(
            _deliver_own(
                engine, settings, clock, make_sender, until_empty, stop_event, on_progress, wake
            )
        )
    return _with_workers(
        engine, settings, clock, make_sender, workers, until_empty, stop_event, on_progress, wake
    )


async def _deliver_own(
    engine: Engine,
    settings: Settings,
    clock: Clock,
    make_sender: SenderFactory,
    until_empty: bool,
    stop_event: StopFlag | None,
    on_progress: Progress | None,
    wake: WakeFlag | None = None,
) -> DeliveryReport:
    """One process's run with a sender of its own, closed however the run ends."""
    sender = make_sender(settings)
    try:
        return await deliver_due_async(
            engine, settings, clock, sender, until_empty, stop_event, on_progress, wake=wake
        )
    finally:
        await sender.close()


def _share(settings: Settings, workers: int) -> Settings:
    rate = settings.delivery.rate_per_second / workers
    return settings.model_copy(
        update={"delivery": settings.delivery.model_copy(update={"rate_per_second": rate})}
    )


class _Either:
    def __init__(self, *flags: StopFlag | None) -> None:
        self.flags = [flag for flag in flags if flag is not None]

    def is_set(self) -> bool:
        return any(flag.is_set() for flag in self.flags)


def _with_workers(
    engine: Engine,
    settings: Settings,
    clock: Clock,
    make_sender: SenderFactory,
    workers: int,
    until_empty: bool,
    stop_event: StopFlag | None,
    on_progress: Progress | None,
    wake: WakeFlag | None,
) -> DeliveryReport:
    context = multiprocessing.get_context("spawn")
    stop_all = context.Event()
    children = workers - 1
    counters = context.Array("q", len(COUNTERS) * children, lock=False)
    results = context.Queue()
    shared = _share(settings, workers)
    level = logging.getLogger().getEffectiveLevel()
    processes = [
        context.Process(
            target=_child,
            args=(
                shared,
                clock,
                make_sender,
                until_empty,
                stop_all,
                counters,
                index,
                results,
                level,
            ),
            name=f"syndicate-deliver-{index + 1}",
        )
        for index in range(children)
    ]
    for process in processes:
        process.start()

    def combined(own: DeliveryReport) -> DeliveryReport:
        view = DeliveryReport(started=own.started)
        view.merge(own)
        for index in range(children):
            for offset, name in enumerate(COUNTERS):
                value = counters[index * len(COUNTERS) + offset]
                setattr(view, name, getattr(view, name) + value)
        return view

    def progress(own: DeliveryReport) -> None:
        if stop_event is not None and stop_event.is_set():
            stop_all.set()
        if on_progress is not None:
            on_progress(combined(own))

    try:
        own = asyncio.run(
            _deliver_own(
                engine,
                shared,
                clock,
                make_sender,
                until_empty,
                _Either(stop_event, stop_all),
                progress,
                wake,  # this process's run claims the new rows; the workers keep their pace
            )
        )
    except BaseException:
        stop_all.set()
        raise
    finally:
        child_reports = _collect(processes, results, stop_event, stop_all)
    total = DeliveryReport(started=own.started)
    total.merge(own)
    errors = []
    for item in child_reports:
        if "error" in item:
            errors.append(item["error"])
        else:
            total.merge(DeliveryReport(**item))
    backlog = queue.backlog(engine, clock.now())
    total.waiting, total.next_at = backlog.unfinished, backlog.next_at
    total.seconds = time.monotonic() - total.started
    if on_progress is not None:
        on_progress(total)
    if errors:
        raise OperationalError(f"a delivery worker failed: {errors[0]}", hint="run with -v")
    return total


def _collect(
    processes: list[Any],
    results: Any,
    stop_event: StopFlag | None,
    stop_all: Any,
) -> list[dict[str, Any]]:
    reports: list[dict[str, Any]] = []
    while len(reports) < len(processes):
        if stop_event is not None and stop_event.is_set():
            stop_all.set()
        try:
            reports.append(results.get(timeout=0.2))
        except Exception:  # queue.Empty: still working
            if not any(process.is_alive() for process in processes):
                break
    for process in processes:
        process.join()
        if process.exitcode not in (0, None) and len(reports) < len(processes):
            reports.append({"error": f"worker exited with code {process.exitcode}"})
    return reports


def _child(
    settings: Settings,
    clock: Clock,
    make_sender: SenderFactory,
    until_empty: bool,
    stop: Any,
    counters: Any,
    index: int,
    results: Any,
    level: int,
) -> None:
    # The parent turns Ctrl-C into a stop request; the workers wait for that.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    logging.basicConfig(
        level=level, format="%(asctime)s %(levelname)s %(processName)s %(name)s: %(message)s"
    )
    base = index * len(COUNTERS)

    def progress(report: DeliveryReport) -> None:
        for offset, name in enumerate(COUNTERS):
            counters[base + offset] = getattr(report, name)

    engine = store.open_engine(settings.database.url)
    try:
        report = asyncio.run(
            _deliver_own(engine, settings, clock, make_sender, until_empty, stop, progress)
        )
    except Exception as exc:
        results.put({"error": f"{exc.__class__.__name__}: {exc}"})
        return
    finally:
        engine.dispose()
    data = asdict(report)
    data["reasons"] = dict(report.reasons)  # asdict would rebuild the Counter from pairs
    data.pop("started")
    data.pop("waiting")
    data.pop("next_at")
    results.put(data)
