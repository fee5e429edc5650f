"""digest preview (and the digest group other commands join)."""

from __future__ import annotations

import email
import email.policy
from datetime import date
from pathlib import Path

import click

from syndicate import console, subscribers
from syndicate.addresses import normalise_address
from syndicate.cli import cli
from syndicate.cli.basics import pass_runtime
from syndicate.config import SECRET_ENV
from syndicate.digest.dkim import load_signer
from syndicate.digest.edition import preview_edition, sample_subscriber
from syndicate.digest.render import DigestRenderer
from syndicate.errors import InputError
from syndicate.runtime import Runtime

PREVIEW_SECRET = "preview-only-secret"


def parse_day(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InputError(f"--date: {value!r} is not a date", hint="write YYYY-MM-DD") from None


@cli.group("digest")
def digest_group() -> None:
    """Daily digest emails."""


@digest_group.command("preview")
@click.option(
    "--email",
    "address",
    default=None,
    help="A subscriber's address (default: a reader of every section).",
)
@click.option("--date", "day", default=None, help="Edition date YYYY-MM-DD (default: today).")
@click.option(
    "--out",
    default=".",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the .eml and .html files (default: current folder).",
)
@pass_runtime
def preview(rt: Runtime, address: str | None, day: str | None, out: Path) -> None:
    """Render the digest one address would get, to .eml and .html, without sending or recording."""
    settings = rt.settings
    engine = rt.ready_engine()
    edition_day = parse_day(day)
    if address:
        with engine.connect() as conn:
            reader = subscribers.find(conn, normalise_address(address))
        if reader is None:
            raise InputError(
                f"--email: no subscriber {address}",
                hint="list them with `syndicate subscribers list`, or leave --email out",
            )
    else:
        reader = sample_subscriber(settings)
    edition = preview_edition(engine, settings, rt.clock.now(), reader, edition_day)
    if edition.is_empty:
        console.line(
            f"nothing new for {reader.email} between {edition.window_start:%Y-%m-%d %H:%M} "
            f"and {edition.window_end:%Y-%m-%d %H:%M} UTC: no digest would be sent"
        )
        return
    if not settings.secret.get_secret_value():
        console.problem(f"{SECRET_ENV} is not set: links in this preview carry placeholder tokens")
        settings = settings.model_copy(update={"secret": type(settings.secret)(PREVIEW_SECRET)})
    rendered = DigestRenderer(settings, load_signer(settings)).message(edition, reader)
    out.mkdir(parents=True, exist_ok=True)
    stem = f"digest-{edition.edition_date.isoformat()}-{reader.email.split('@')[0]}"
    eml = out / f"{stem}.eml"
    eml.write_bytes(rendered.message)
    parsed = email.message_from_bytes(rendered.message, policy=email.policy.default)
    html_part = parsed.get_body(("html",))
    assert html_part is not None
    page = out / f"{stem}.html"
    page.write_text(html_part.get_content().replace("\r\n", "\n"), encoding="utf-8")
    console.line(
        f"{len(edition.articles)} articles ({edition.overflow} more not shown) for {reader.email}"
    )
    console.line(f"subject: {rendered.subject}")
    console.line(f"wrote {eml}")
    console.line(f"wrote {page}")
