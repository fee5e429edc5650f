"""init, import, config check, status."""

from __future__ import annotations

from pathlib import Path

import click

from syndicate import console, store
from syndicate.cli import cli
from syndicate.digest.dkim import check_dkim
from syndicate.digest.templates import check_templates
from syndicate.errors import ConfigError
from syndicate.importer import import_paths
from syndicate.runtime import Runtime
from syndicate.senders import check_transport

pass_runtime = click.make_pass_decorator(Runtime)


@cli.command()
@pass_runtime
def init(rt: Runtime) -> None:
    """Create or migrate the database (idempotent)."""
    revision = store.migrate(rt.engine)
    console.line(f"database ready at revision {revision}: {rt.engine.url.render_as_string()}")


@cli.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@pass_runtime
def import_command(rt: Runtime, paths: tuple[Path, ...]) -> None:
    """Import seed-format .txt, .json or .jsonl files or folders."""
    engine = rt.ready_engine()
    shown = 0
    with console.progress("importing", None) as update:

        def on_file(report):
            nonlocal shown
            for rejection in report.rejected[shown:]:
                console.problem(str(rejection))
            shown = len(report.rejected)
            update(report.new + report.updated + report.unchanged + shown, report.summary())

        report = import_paths(engine, rt.settings, list(paths), rt.clock, on_file)
    console.line(report.summary())
    if report.rejected:
        raise SystemExit(2)


@cli.group("config")
def config_group() -> None:
    """Inspect the configuration."""


@config_group.command("check")
@click.option("--show", is_flag=True, help="Print every setting (secrets masked).")
@pass_runtime
def config_check(rt: Runtime, show: bool) -> None:
    """Validate the config and say what is wrong, by key."""
    settings = rt.settings
    problems: list[str] = []
    for check in CONFIG_CHECKS:
        problems.extend(check(settings))
    if problems:
        raise ConfigError(problems)
    console.line("ok")
    console.line(f"  config:    {settings.source}")
    console.line(f"  sections:  {', '.join(settings.section_slugs)}")
    console.line(f"  database:  {_mask_url(settings.database.url)}")
    transport = settings.delivery.transport
    where = (
        settings.delivery.maildir
        if transport == "maildir"
        else f"{settings.smtp.host}:{settings.smtp.port}"
    )
    console.line(f"  transport: {transport} ({where})")
    console.line(f"  feeds:     {settings.feeds.output_dir}")
    if show:
        import json

        console.line(json.dumps(settings.masked(), indent=2, default=str))


# What `config check` runs beyond loading the config: each returns problem lines.
CONFIG_CHECKS = (check_templates, check_dkim, check_transport)


def _mask_url(url: str) -> str:
    from syndicate import redact

    return redact.url(url)


@cli.command()
@pass_runtime
def status(rt: Runtime) -> None:
    """Last feed build, confirmation emails owed, outbox counts by state, recent failures."""
    from sqlalchemy import func, select

    from syndicate.db import articles, feed_state, outbox, subscribers

    engine = rt.ready_engine()
    with engine.connect() as conn:
        article_count = conn.execute(select(func.count()).select_from(articles)).scalar_one()
        subscriber_rows = conn.execute(
            select(subscribers.c.status, func.count()).group_by(subscribers.c.status)
        ).all()
        last_build = conn.execute(select(func.max(feed_state.c.built_at))).scalar_one()
        states = conn.execute(
            select(outbox.c.edition_date, outbox.c.state, func.count())
            .group_by(outbox.c.edition_date, outbox.c.state)
            .order_by(outbox.c.edition_date.desc())
        ).all()
        now = rt.clock.now()
        owed = conn.execute(
            select(
                func.count(),
                func.count().filter(subscribers.c.confirm_due_at <= now),
                func.min(subscribers.c.confirm_due_at).filter(subscribers.c.confirm_due_at > now),
            ).where((subscribers.c.status == "pending") & subscribers.c.confirm_due_at.is_not(None))
        ).one()
        failures = conn.execute(
            select(outbox.c.edition_date, outbox.c.recipient, outbox.c.last_reply)
            .where(outbox.c.state.in_(["failed", "retry"]))
            .order_by(outbox.c.id.desc())
            .limit(5)
        ).all()
    console.line(f"articles: {article_count}")
    console.line("subscribers: " + (", ".join(f"{n} {s}" for s, n in subscriber_rows) or "none"))
    console.line(f"last feed build: {last_build.isoformat() if last_build else 'never'}")
    owed_total, owed_now, owed_next = owed
    if owed_total:
        waiting = owed_total - owed_now
        when = f" (next at {owed_next:%Y-%m-%d %H:%M:%S} UTC)" if owed_next else ""
        console.line(
            f"confirmation emails: {owed_now} due now, {waiting} waiting to be tried again{when}"
        )
    by_edition: dict[str, list[str]] = {}
    for edition, state, count in states:
        by_edition.setdefault(str(edition), []).append(f"{count} {state}")
    console.line("outbox:" + ("" if by_edition else " empty"))
    for edition in list(by_edition)[:7]:
        console.line(f"  {edition}: {', '.join(by_edition[edition])}")
    if by_edition:
        from syndicate.delivery.outbox import backlog

        left = backlog(engine, rt.clock.now())
        if left.unfinished:
            when = f", next attempt at {left.next_at:%Y-%m-%d %H:%M:%S} UTC" if left.next_at else ""
            console.line(
                f"  to deliver: {left.due} due now, {left.sending} being sent, "
                f"{left.unfinished - left.due - left.sending} waiting{when}"
            )
    if failures:
        from syndicate.addresses import mask

        console.line("recent failures:")
        for edition, recipient, reply in failures:
            console.line(f"  {edition} {mask(recipient)}: {reply or 'no reply recorded'}")
