"""subscribers add | import | list | remove."""

from __future__ import annotations

from pathlib import Path

import click

from syndicate import console, subscribers
from syndicate.cli import cli
from syndicate.cli.basics import pass_runtime
from syndicate.cli.confirming import send_confirmation_emails
from syndicate.errors import InputError
from syndicate.importer import decode
from syndicate.runtime import Runtime


@cli.group("subscribers")
def subscribers_group() -> None:
    """Manage subscribers."""


@subscribers_group.command("add")
@click.argument("email")
@click.option("--sections", default="", help="Comma-separated slugs; empty means every section.")
@click.option("--timezone", default=None, help="IANA timezone (default: the site's).")
@click.option("--language", default=None, help="en or es (default: the section's).")
@click.option("--digest-time", default=None, help="HH:MM local send time.")
@click.option("--confirmed", is_flag=True, help="Active at once, no confirmation email.")
@pass_runtime
def add(
    rt: Runtime,
    email: str,
    sections: str,
    timezone: str | None,
    language: str | None,
    digest_time: str | None,
    confirmed: bool,
) -> None:
    """Add or update one subscriber."""
    engine = rt.ready_engine()
    item = subscribers.validate(
        rt.settings,
        email,
        sections.split(","),
        timezone,
        language,
        digest_time,
        "active" if confirmed else "pending",
    )
    with engine.begin() as conn:
        subscriber_id, outcome = subscribers.save(conn, item, rt.clock.now())
    console.line(f"{item.email}: {outcome} ({item.status})")
    if item.status == "pending":
        _confirm(rt, [subscriber_id])


def _confirm(rt: Runtime, ids: list[int]) -> None:
    sent = send_confirmation_emails(rt, ids)
    console.line(f"{sent} confirmation email(s) sent")


@subscribers_group.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@pass_runtime
def import_csv(rt: Runtime, path: Path) -> None:
    """Import subscribers from a CSV file (bad rows are reported and skipped)."""
    engine = rt.ready_engine()
    with engine.begin() as conn:
        report = subscribers.import_csv(
            conn, rt.settings, decode(path.read_bytes()), rt.clock.now(), str(path)
        )
    for error in report.errors:
        console.problem(error)
    if report.pending:
        _confirm(rt, report.pending)
    console.line(f"{report.new} new, {report.updated} updated, {len(report.errors)} rejected")
    if report.errors:
        raise SystemExit(2)


@subscribers_group.command("list")
@click.option("--csv", "as_csv", is_flag=True, help="Write the import CSV format.")
@pass_runtime
def list_subscribers(rt: Runtime, as_csv: bool) -> None:
    """List subscribers."""
    engine = rt.ready_engine()
    with engine.connect() as conn:
        items = subscribers.load(conn)
    if as_csv:
        click.echo(subscribers.to_csv(items), nl=False)
        return
    for s in items:
        chosen = ",".join(s.sections) or "all"
        console.line(
            f"{s.email}\t{s.status}\t{chosen}\t{s.timezone}\t{s.language}\t{s.digest_time}"
        )
    console.line(f"{len(items)} subscribers")


@subscribers_group.command("remove")
@click.argument("email")
@pass_runtime
def remove(rt: Runtime, email: str) -> None:
    """Delete a subscriber and their history."""
    engine = rt.ready_engine()
    with engine.begin() as conn:
        removed = subscribers.remove(conn, email)
    if not removed:
        raise InputError(f"{email}: no such subscriber", hint="see `syndicate subscribers list`")
    console.line(f"{email}: removed")
