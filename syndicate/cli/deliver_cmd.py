"""deliver and digest send: drain the outbox (after enqueueing the edition)."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click

from syndicate import console
from syndicate.cli import cli
from syndicate.cli.basics import pass_runtime
from syndicate.cli.digest_cmd import digest_group, parse_day
from syndicate.config import Settings, check_maildir, require_secret
from syndicate.delivery import DeliveryReport, deliver_due
from syndicate.digest.edition import enqueue_editions
from syndicate.errors import ConfigError
from syndicate.runtime import Runtime
from syndicate.senders import make_sender
from syndicate.store.queue import backlog


@contextmanager
def _stop_on_signals() -> Iterator[threading.Event]:
    """First Ctrl-C or SIGTERM: finish the messages in flight and hand the rest back.
    A second Ctrl-C interrupts at once."""
    stop = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return

    def request_stop(signum: int, _frame: Any) -> None:
        if stop.is_set() and signum == signal.SIGINT:
            raise KeyboardInterrupt
        stop.set()
        console.problem("stopping: finishing messages in flight (Ctrl-C again to abort)")

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield stop
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _require_maildir(settings: Settings) -> None:
    unusable = check_maildir(settings)
    if unusable:
        raise ConfigError(unusable)


def deliver_with_console(rt: Runtime, until_empty: bool) -> DeliveryReport:
    """Run delivery with a progress bar on a terminal; print the summary line."""
    _require_maildir(rt.settings)
    engine = rt.ready_engine()
    total = backlog(engine, rt.clock.now()).due
    with _stop_on_signals() as stop, console.progress("delivering", total or None) as update:

        def on_progress(report: DeliveryReport) -> None:
            update(
                report.sent + report.failed + report.skipped,
                f"sent {report.sent} · retrying {report.retrying} · failed {report.failed}"
                f" · {report.rate:.0f}/s",
            )

        report = deliver_due(
            engine,
            rt.settings,
            rt.clock,
            make_sender,
            until_empty=until_empty,
            stop_event=stop,
            on_progress=on_progress,
        )
    console.line(report.summary())
    for line in report.failure_lines():
        console.problem(line)
    return report


@cli.command()
@click.option(
    "--until-empty",
    is_flag=True,
    help="Keep going, waiting for retries, until nothing is queued or retrying.",
)
@pass_runtime
def deliver(rt: Runtime, until_empty: bool) -> None:
    """Send every due outbox row once and report what happened.

    Confirmation emails that are due (a first try that failed, say) go out too.
    """
    report = deliver_with_console(rt, until_empty)
    if report.confirmations:
        console.line(f"{report.confirmations} confirmation email(s) sent")
    if report.stopped or report.failed:
        raise SystemExit(1)


@digest_group.command("send")
@click.option("--date", "day", default=None, help="Edition date YYYY-MM-DD (default: today).")
@pass_runtime
def digest_send(rt: Runtime, day: str | None) -> None:
    """Enqueue the edition for every due subscriber, then deliver."""
    require_secret(rt.settings, "digest send")
    _require_maildir(rt.settings)
    engine = rt.ready_engine()
    enqueued = enqueue_editions(engine, rt.settings, rt.clock, parse_day(day))
    console.line(enqueued.summary())
    report = deliver_with_console(rt, until_empty=False)
    if report.stopped or report.failed:
        raise SystemExit(1)
