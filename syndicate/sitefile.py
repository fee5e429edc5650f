"""The config.toml of a new site, from a few answers (what `syndicate new` writes).

Pure: the answers in, the file's text out. Every value is checked by the same
rules as the config file itself, and a mistake names the option that gave it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import urlsplit

from pydantic import BaseModel, ValidationError

from syndicate.config import SectionSettings, SiteSettings
from syndicate.errors import InputError

DEFAULT_SECTIONS = {"es": ("noticias", "Noticias")}
FALLBACK_SECTION = ("news", "News")
_SPECIALS = re.compile(r'[()<>@,;:\\".\[\]]')
Model = TypeVar("Model", bound=BaseModel)


@dataclass(frozen=True)
class NewSite:
    title: str
    url: str
    timezone: str
    language: str
    sections: tuple[tuple[str, str], ...]  # (slug, title), in digest order


def parse_section(value: str) -> tuple[str, str]:
    """``world`` or ``world=World news``: a slug and its title (from the slug when not given)."""
    slug, _, title = value.partition("=")
    slug = slug.strip()
    title = title.strip() or slug.replace("-", " ").capitalize()
    return slug, title


def _checked(model: type[Model], data: dict[str, str], options: dict[str, str]) -> Model:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        field = str(error["loc"][0]) if error["loc"] else ""
        reason = str(error["msg"]).removeprefix("Value error, ")
        raise InputError(f"{options.get(field, field)}: {reason}") from None


def new_site(title: str, url: str, timezone: str, language: str, sections: list[str]) -> NewSite:
    """Check the answers; raise InputError naming the option that is wrong."""
    site = _checked(
        SiteSettings,
        {"title": title, "url": url, "timezone": timezone, "language": language},
        {"title": "--title", "url": "--url", "timezone": "--timezone", "language": "--language"},
    )
    if not site.title.strip():
        raise InputError("--title: empty; give the name readers know the site by")
    pairs = [parse_section(value) for value in sections] or [
        DEFAULT_SECTIONS.get(site.language.split("-")[0], FALLBACK_SECTION)
    ]
    seen: set[str] = set()
    for slug, section_title in pairs:
        _checked(SectionSettings, {"slug": slug, "title": section_title}, {"slug": "--section"})
        if slug in seen:
            raise InputError(f"--section: {slug!r} is given twice; each section needs its own slug")
        seen.add(slug)
    return NewSite(site.title, site.url, site.timezone, site.language, tuple(pairs))


def _toml(value: str) -> str:
    # A JSON string is a valid TOML basic string (same escapes), accents and all kept.
    return json.dumps(value, ensure_ascii=False)


def sender(site: NewSite) -> str:
    """``Site <digest@host>``: the site's own domain, the name quoted when mail needs it."""
    host = (urlsplit(site.url).hostname or "example.com").removeprefix("www.")
    name = site.title
    if _SPECIALS.search(name):
        name = '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return f"{name} <digest@{host}>"


def config_text(site: NewSite) -> str:
    sections = "\n".join(
        f"[[sections]]\nslug = {_toml(slug)}\ntitle = {_toml(title)}\n"
        for slug, title in site.sections
    )
    return f"""\
# syndicate configuration of {site.title}, written by `syndicate new`.
# Relative paths are relative to this file's folder. Unknown keys are an error;
# `syndicate --config THIS_FILE config check` says what is wrong, by key.
# Secrets never go here: export SYNDICATE_SECRET, SYNDICATE_API_TOKEN and, for SMTP
# with a login, SYNDICATE_SMTP_PASSWORD. Every key is described in config.example.toml.

[site]
# Name shown in feeds, emails and pages.
title = {_toml(site.title)}
# The publisher's home page.
url = {_toml(site.url)}
# Default language ("en" or "es") and timezone (IANA name) of sections and subscribers.
language = {_toml(site.language)}
timezone = {_toml(site.timezone)}

[database]
# A SQLite file beside this config; "postgresql+psycopg://user@host/dbname" for several machines.
url = "sqlite:///var/syndicate.db"

# One [[sections]] table per section, in the order digests list them. The slug is
# the feed's path (/feeds/SLUG/rss.xml); articles name their section by slug or title.
{sections}
[feeds]
# Where rss.xml, atom.xml and feed.json are written (a web server may serve it directly).
output_dir = "var/public/feeds"

[schedule]
# Default local send time of the daily digest (each subscriber may pick their own).
digest_time = "07:00"

[digest]
# Sender of digests and confirmation emails.
from = {_toml(sender(site))}
# A folder whose templates replace the built-in email templates by file name; empty: none.
templates_dir = ""

[delivery]
# "maildir" writes every message to the Maildir below (read it with `mutt -f var/outbox`);
# switch to "smtp" and fill in [smtp] once `syndicate send-test --to YOU` gets through.
transport = "maildir"
maildir = "var/outbox"

[smtp]
host = "127.0.0.1"
port = 25
# starttls = true for port 587, tls = true for port 465.
starttls = false
tls = false
# Login name; the password comes from the environment variable SYNDICATE_SMTP_PASSWORD.
username = ""

[server]
# Where the HTTP service listens; put nginx in front of it (see deploy/ in the source).
host = "127.0.0.1"
port = 8080
# The address readers reach the service at, used in feed and email links,
# e.g. "https://feeds.example.org"; empty: http://host:port.
public_url = ""
# A folder whose templates replace the built-in web pages by file name; empty: none.
templates_dir = ""
"""
