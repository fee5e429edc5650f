"""init, import, config check, status."""

from __future__ import annotations

from pathlib import Path

import click

from syndicate import config, console, resources
from syndicate.cli import cli
from syndicate.digest.dkim import check_dkim
from syndicate.digest.proof import check_languages, check_rendering
from syndicate.errors import ConfigError
from syndicate.importer import count_records, expand, import_paths
from syndicate.runtime import Runtime
from syndicate.senders import check_transport

pass_runtime = click.make_pass_decorator(Runtime)


@cli.command()
@pass_runtime
def init(rt: Runtime) -> None:
    """Create or migrate the database (idempotent)."""
    revision = rt.migrate()
    console.line(f"database ready at revision {revision}: {rt.engine.url.render_as_string()}")


@cli.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@pass_runtime
def import_command(rt: Runtime, paths: tuple[Path, ...]) -> None:
    """Import seed-format .txt, .json or .jsonl files or folders."""
    engine = rt.ready_engine()
    files = expand(list(paths))
    shown = 0
    with console.progress("importing", count_records(files)) as update:

        def on_record(report):
            nonlocal shown
            for rejection in report.rejected[shown:]:
                console.problem(str(rejection))
            shown = len(report.rejected)
            update(report.records, report.summary())

        report = import_paths(engine, rt.settings, files, rt.clock, on_record)
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
    run_config_checks(settings)
    for warning in config.config_warnings(settings):
        console.problem(f"warning: {warning}")
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


def check_builtin_templates(settings) -> list[str]:
    return resources.missing_templates()


def check_web_templates_dir(settings) -> list[str]:
    folder = settings.server.templates_dir
    if folder and not Path(folder).is_dir():
        return [f'[server] templates_dir: {folder} is not a folder; create it or set it to ""']
    return []


# What `config check` runs beyond loading the config: each returns problem lines.
# A broken install explains every other template problem: it comes first.
CONFIG_CHECKS = (
    check_builtin_templates,
    config.check_secret,
    config.check_maildir,
    config.check_feeds_dir,
    check_languages,
    check_rendering,
    check_web_templates_dir,
    check_dkim,
    check_transport,
)


def run_config_checks(settings: config.Settings, skip: tuple = ()) -> None:
    """What `config check` checks, for the commands that run for a long time."""
    # Without the built-in templates every template check fails too: say only that.
    problems = check_builtin_templates(settings) or [
        line for check in CONFIG_CHECKS if check not in skip for line in check(settings)
    ]
    if problems:
        raise ConfigError(problems)


def _mask_url(url: str) -> str:
    from syndicate import redact

    return redact.url(url)


@cli.command()
@pass_runtime
def status(rt: Runtime) -> None:
    """Alarms first (then exit 1), last feed build, confirmation emails owed, outbox counts
    by state, recent failures."""
    from syndicate import alarms as alarm_facts
    from syndicate.store import articles, carried, outbox, queue, selfservice, state
    from syndicate.store import subscribers as subscriber_store
    from syndicate.subscribers.lifecycle import RECEIVES

    engine = rt.ready_engine()
    now = rt.clock.now()
    facts = alarm_facts.read(engine, rt.settings, now)
    alarms = facts.alarms()
    if alarms:
        console.line("alarms:")
        for alarm in alarms:
            console.line(f"  {alarm}")
    with engine.connect() as conn:
        article_count = articles.count(conn)
        subscriber_rows = subscriber_store.counts_by_status(conn)
        reasons = selfservice.unsubscribe_reasons(conn)
        last_build = state.last_feed_build(conn)
        by_kind = outbox.counts(conn)
        states = outbox.digest_counts_by_edition(conn)
        owed = outbox.owed(conn, "confirmation", now, RECEIVES["confirmation"])
        failures = outbox.recent_failures(conn, 5)
        notices = carried.notices_delivered(conn)
    console.line(f"articles: {article_count}")
    console.line("subscribers: " + (", ".join(f"{n} {s}" for s, n in subscriber_rows) or "none"))
    if reasons:
        console.line("unsubscribe reasons: " + ", ".join(f"{n} {r}" for r, n in reasons))
    console.line(f"last feed build: {last_build.isoformat() if last_build else 'never'}")
    if owed.due or owed.waiting:
        when = f" (next at {owed.next_at:%Y-%m-%d %H:%M:%S} UTC)" if owed.next_at else ""
        console.line(
            f"confirmation emails: {owed.due} due now, {owed.waiting} waiting to be tried again"
            f"{when}"
        )
    by_edition: dict[str, list[str]] = {}
    for day, row_state, count in states:
        by_edition.setdefault(str(day), []).append(f"{count} {row_state}")
    console.line("outbox:" + ("" if by_kind else " empty"))
    kinds: dict[str, list[str]] = {}
    for kind, row_state, count in by_kind:
        kinds.setdefault(kind, []).append(f"{count} {row_state}")
    if len(kinds) > 1 or "digest" not in kinds:
        for kind, parts in sorted(kinds.items()):
            console.line(f"  {kind}: {', '.join(parts)}")
    alert_rows = {row_state: n for kind, row_state, n in by_kind if kind == "alert"}
    if alert_rows or notices:
        waiting = sum(alert_rows.get(s, 0) for s in ("queued", "sending", "retry"))
        console.line(
            f"  alerts: {waiting} queued, {alert_rows.get('sent', 0)} sent; "
            f"corrections delivered: {notices}"
        )
    for edition in list(by_edition)[:7]:
        console.line(f"  {edition}: {', '.join(by_edition[edition])}")
    if by_kind:
        left = queue.backlog(engine, now)
        if left.unfinished:
            when = f", next attempt at {left.next_at:%Y-%m-%d %H:%M:%S} UTC" if left.next_at else ""
            console.line(
                f"  to deliver: {left.due} due now, {left.sending} being sent, "
                f"{left.unfinished - left.due - left.sending} waiting{when}"
            )
    if failures:
        from syndicate.addresses import mask

        console.line("recent failures:")
        for failure in failures:
            what = failure.edition_date if failure.kind == "digest" else failure.kind
            console.line(
                f"  {what} {mask(failure.recipient)}: {failure.reply or 'no reply recorded'}"
            )
    _report_lines(facts)
    tick = facts.tick
    if tick.ok_at or tick.failed_at:
        ok = tick.ok_at.isoformat(timespec="seconds") if tick.ok_at else "never"
        console.line(f"last digest tick: {ok}")
        if tick.failed_at:
            console.line(
                f"last failed digest tick: {tick.failed_at.isoformat(timespec='seconds')}: "
                f"{tick.error}"
            )
    if alarms:
        raise SystemExit(1)


def _report_lines(facts) -> None:
    """Bounces, complaints and unparsed reports: over the last days and per edition."""
    from syndicate.store.bounces import COUNTED

    def described(counts) -> str:
        parts = [f"{counts.by_kind.get(kind, 0)} {kind}" for kind in COUNTED]
        rates = f"hard {counts.rate('hard'):.2%}, complaints {counts.rate('complaint'):.2%}"
        return f"{', '.join(parts)} of {counts.sent} sent ({rates})"

    recent = facts.report_recent
    if not any(recent.by_kind.values()) and not any(
        any(c.by_kind.values()) for c in facts.report_editions.values()
    ):
        return
    console.line("bounce reports, last 7 days: " + described(recent))
    for edition, counts in facts.report_editions.items():
        if any(counts.by_kind.values()):
            console.line(f"  {edition}: {described(counts)}")
