"""new: a folder with a commented config.toml for a new site, and what to do next."""

from __future__ import annotations

import secrets
import shlex
import tomllib
from pathlib import Path

import click

from syndicate import console
from syndicate.cli import cli
from syndicate.config import API_TOKEN_ENV, SECRET_ENV, from_mapping
from syndicate.errors import InputError, OperationalError
from syndicate.sitefile import config_text, new_site


@cli.command("new")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option("--title", default="News", show_default=True, help="The site's name.")
@click.option(
    "--url", default="https://example.com", show_default=True, help="The publisher's home page."
)
@click.option("--timezone", default="UTC", show_default=True, help="Default timezone (IANA).")
@click.option("--language", default="en", show_default=True, help="Default language: en or es.")
@click.option(
    "--section",
    "sections",
    multiple=True,
    metavar="SLUG[=TITLE]",
    help="A section, e.g. world or 'world=World news' (repeat; default: one section).",
)
def new_command(
    folder: Path, title: str, url: str, timezone: str, language: str, sections: tuple[str, ...]
) -> None:
    """Write FOLDER/config.toml for a new site (never over an existing one)."""
    site = new_site(title, url, timezone, language, list(sections))
    text = config_text(site)
    target = folder / "config.toml"
    # The file must load as it is written: the same rules `config check` applies.
    from_mapping(tomllib.loads(text), base_dir=folder.resolve(), source=str(target), env={})
    if target.exists():
        raise InputError(
            f"{target} already exists; nothing was written",
            hint="pick a new folder, or edit that file (`syndicate config check` validates it)",
        )
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with target.open("x", encoding="utf-8") as out:
            out.write(text)
    except FileExistsError:
        raise InputError(f"{target} already exists; nothing was written") from None
    except OSError as exc:
        raise OperationalError(f"cannot write {target}: {exc.strerror or exc}") from None
    slugs = ", ".join(slug for slug, _ in site.sections)
    config = shlex.quote(str(target))
    console.line(
        f"wrote {target} (sections: {slugs}; mail goes to the Maildir {folder / 'var' / 'outbox'})"
    )
    console.line("")
    console.line("Export these secrets where the service runs (they are not written anywhere):")
    console.line(f"  export {SECRET_ENV}={secrets.token_hex(32)}")
    console.line(f"  export {API_TOKEN_ENV}={secrets.token_urlsafe(32)}")
    console.line("")
    console.line("Then:")
    console.line(f"  syndicate --config {config} init")
    console.line(f"  syndicate --config {config} import ARTICLES...")
    console.line(f"  syndicate --config {config} run")
