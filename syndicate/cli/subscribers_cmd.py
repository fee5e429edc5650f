"""subscribers add | import | list | remove."""

from __future__ import annotations

from pathlib import Path

import click

from syndicate import console, subscribers
from syndicate.addresses import normalise_address
from syndicate.cli import cli
from syndicate.cli.basics import pass_runtime
from syndicate.cli.confirming import send_confirmation_emails
from syndicate.config import require_secret
from syndicate.errors import InputError
from syndicate.importer import decode
from syndicate.runtime import Runtime
from syndicate.store import bounces as bounce_store
from syndicate.store import subscribers as subscriber_store
from syndicate.subscribers.lifecycle import Actor


@cli.group("subscribers")
def subscribers_group() -> None:
    """Manage subscribers."""


@subscribers_group.command("add")
@click.argument("email")
@click.option("--sections", default="", help="Comma-separated slugs; empty means every section.")
@click.option("--timezone", default=None, help="IANA timezone (default: the site's).")
@click.option("--language", default=None, help="en or es (default: the section's).")
@click.option("--digest-time", default=None, help="HH:MM local send time.")
@click.option("--cadence", default=None, help="daily (default) or weekly.")
@click.option("--weekday", default=None, help="mon..sun: the day of a weekly edition.")
@click.option("--alerts/--no-alerts", default=False, help="Breaking-news alerts (default off).")
@click.option("--confirmed", is_flag=True, help="Active at once, no confirmation email.")
@pass_runtime
def add(
    rt: Runtime,
    email: str,
    sections: str,
    timezone: str | None,
    language: str | None,
    digest_time: str | None,
    cadence: str | None,
    weekday: str | None,
    alerts: bool,
    confirmed: bool,
) -> None:
    """Add or update one subscriber."""
    if not confirmed:
        require_secret(rt.settings, "subscribers add")
    engine = rt.ready_engine()
    item = subscribers.validate(
        rt.settings,
        email,
        sections.split(","),
        timezone,
        language,
        digest_time,
        "active" if confirmed else "pending",
        cadence,
        weekday,
        alerts,
    )
    with engine.begin() as conn:
        saved = subscriber_store.save(conn, item, rt.clock.now(), Actor.OPERATOR)
    if saved.decision.refused:
        raise InputError(
            f"{item.email}: {saved.decision.reason}",
            hint="add it without --confirmed to send them a confirmation email",
        )
    console.line(f"{item.email}: {saved.outcome} ({saved.decision.status})")
    if saved.decision.owes_confirmation and saved.outcome != "unchanged" and saved.id is not None:
        _confirm(rt, [saved.id])


def _confirm(rt: Runtime, ids: list[int]) -> None:
    sent = send_confirmation_emails(rt, ids)
    console.line(f"{sent} confirmation email(s) sent")


@subscribers_group.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@pass_runtime
def import_csv(rt: Runtime, path: Path) -> None:
    """Import subscribers from a CSV file (bad rows are reported and skipped)."""
    require_secret(rt.settings, "subscribers import")
    engine = rt.ready_engine()
    parsed = subscribers.parse_csv(rt.settings, decode(path.read_bytes()), str(path))
    with engine.begin() as conn:
        report = subscriber_store.save_all(conn, parsed.rows, rt.clock.now(), Actor.IMPORT)
    for error in parsed.errors:
        console.problem(error)
    for kept in report.kept:
        console.line(kept)
    if report.pending:
        _confirm(rt, report.pending)
    summary = (
        f"{report.new} new, {report.updated} updated, {report.unchanged} unchanged, "
        f"{len(parsed.errors)} rejected"
    )
    if report.kept:
        summary += f", {len(report.kept)} left as they are"
    console.line(summary)
    if parsed.errors:
        raise SystemExit(2)


@subscribers_group.command("list")
@click.option("--csv", "as_csv", is_flag=True, help="Write the import CSV format.")
@pass_runtime
def list_subscribers(rt: Runtime, as_csv: bool) -> None:
    """List subscribers."""
    engine = rt.ready_engine()
    with engine.connect() as conn:
        items = subscriber_store.list_all(conn)
        why = bounce_store.suppression_reasons(conn)
    if as_csv:
        click.echo(subscribers.to_csv(items), nl=False)
        return
    for s in items:
        chosen = ",".join(s.sections) or "all"
        line = f"{s.email}\t{s.status}\t{chosen}\t{s.timezone}\t{s.language}\t{s.digest_time}"
        line += "\t" + (f"weekly:{s.weekday}" if s.cadence == "weekly" else "daily")
        if s.alerts:
            line += "+alerts"
        if s.id in why and s.status in ("bounced", "complained"):
            reason, when = why[s.id]
            line += f"\t{reason}" + (f" ({when:%Y-%m-%d})" if when else "")
        console.line(line)
    console.line(f"{len(items)} subscribers")


@subscribers_group.command("remove")
@click.argument("email")
@pass_runtime
def remove(rt: Runtime, email: str) -> None:
    """Delete a subscriber and their history."""
    engine = rt.ready_engine()
    with engine.begin() as conn:
        removed = subscriber_store.remove(conn, normalise_address(email))
    if not removed:
        raise InputError(f"{email}: no such subscriber", hint="see `syndicate subscribers list`")
    console.line(f"{email}: removed")
