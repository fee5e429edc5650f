"""outbox list and outbox retry: see what was sent or not, and send failed messages again."""

from __future__ import annotations

import csv
import io

import click

from syndicate import console
from syndicate.addresses import BadAddress, normalise_address
from syndicate.cli import cli
from syndicate.cli.basics import pass_runtime
from syndicate.cli.deliver_cmd import deliver_with_console
from syndicate.cli.digest_cmd import parse_day
from syndicate.errors import InputError
from syndicate.runtime import Runtime
from syndicate.store import resend
from syndicate.subscribers.lifecycle import RECEIVES

STATES = ("queued", "sending", "retry", "sent", "failed", "skipped")
COLUMNS = (
    "id",
    "kind",
    "edition_date",
    "recipient",
    "state",
    "attempts",
    "created_at",
    "sent_at",
    "message_id",
    "last_reply",
)


@cli.group("outbox")
def outbox_group() -> None:
    """The messages the service sends: list them, send failed ones again."""


def _address(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return normalise_address(value)
    except BadAddress as exc:
        raise InputError(f"--email: {exc}", hint="give the address as it was subscribed") from None


def _cell(value: object) -> str:
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value)


@outbox_group.command("list")
@click.option("--state", type=click.Choice(STATES), default=None, help="Only rows in this state.")
@click.option("--date", "day", default=None, help="Only digests of this edition (YYYY-MM-DD).")
@click.option("--csv", "as_csv", is_flag=True, help="Write CSV with a header row.")
@pass_runtime
def list_rows(rt: Runtime, state: str | None, day: str | None, as_csv: bool) -> None:
    """Outbox rows, oldest first, with their Message-ID and the last reply."""
    engine = rt.ready_engine()
    with engine.connect() as conn:
        found = resend.rows(conn, state, parse_day(day))
    if as_csv:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(COLUMNS)
        for row in found:
            writer.writerow([_cell(getattr(row, name)) for name in COLUMNS])
        click.echo(out.getvalue(), nl=False)
        return
    for row in found:
        what = row.edition_date.isoformat() if row.edition_date else row.kind
        console.line(
            f"{row.id} {what} {row.recipient} {row.state} attempts={row.attempts} "
            f"{row.message_id} {row.last_reply or ''}".rstrip()
        )
    console.line(f"{len(found)} row(s)")


@outbox_group.command("retry")
@click.option("--date", "day", default=None, help="Only digests of this edition (YYYY-MM-DD).")
@click.option("--email", "address", default=None, help="Only messages to this address.")
@pass_runtime
def retry(rt: Runtime, day: str | None, address: str | None) -> None:
    """Put failed messages back in the queue, unchanged, and deliver what is due.

    A message to someone who no longer receives it (unsubscribed, bounced; for a
    confirmation email, no longer pending) stays failed and is listed.
    """
    engine = rt.ready_engine()
    back, left = resend.requeue_failed(
        engine, rt.clock.now(), RECEIVES, parse_day(day), _address(address)
    )
    for row in left:
        console.problem(f"not sent again: {row.kind} {row.row_id} to {row.recipient}: {row.why}")
    console.line(f"{len(back)} failed message(s) back in the queue, {len(left)} left failed")
    if not back:
        return
    report = deliver_with_console(rt, until_empty=False)
    if report.stopped or report.failed:
        raise SystemExit(1)
