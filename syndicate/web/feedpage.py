"""A feed as a web page: what a browser opening a feed's address is shown.

Rendered from the section's published feed.json (the same entries, images and
ledes the feeds carry) whenever that file changes, in the section's language. The
page is one cached body for every visitor, so its subscribe form cannot carry a
per-browser CSRF token: it asks (GET) for the subscribe page with the address and
the section filled in, and that page's form makes the change.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from syndicate import uris
from syndicate.config import ALL_SLUG, Settings
from syndicate.web.i18n import LANGUAGES, translate
from syndicate.web.links import feed_links, feed_name
from syndicate.web.pages import environment

# The page shows article images from wherever the newsroom hosts them.
PAGE_SECURITY = [
    (
        b"content-security-policy",
        b"default-src 'none'; style-src 'unsafe-inline'; "
        b"img-src https: http: data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
]


@dataclass(frozen=True)
class PageEntry:
    title: str
    url: str
    summary: str
    image: str
    published: str  # YYYY-MM-DD, for <time>
    author: str


def page_language(settings: Settings, section: str) -> str:
    """The section's language when the pages speak it, else English."""
    lang = settings.site.language if section == ALL_SLUG else settings.section_language(section)
    lang = lang.split("-")[0].lower()
    return lang if lang in LANGUAGES else "en"


def section_description(settings: Settings, section: str) -> str:
    return "" if section == ALL_SLUG else settings.section(section).description


def entries_of(feed: dict[str, Any]) -> list[PageEntry]:
    """The items of a parsed JSON Feed, skipping any that lack a title or a link."""
    found: list[PageEntry] = []
    for item in feed.get("items") or []:
        if not isinstance(item, dict):
            continue
        title, url = item.get("title"), item.get("url")
        if not isinstance(title, str) or not isinstance(url, str) or not title:
            continue
        authors = item.get("authors") or []
        author = authors[0].get("name", "") if authors and isinstance(authors[0], dict) else ""
        found.append(
            PageEntry(
                title=title,
                url=url,
                summary=_text(item.get("summary")),
                image=_text(item.get("image")),
                published=_day(item.get("date_published")),
                author=_text(author),
            )
        )
    return found


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _day(value: object) -> str:
    if not isinstance(value, str):
        return ""
    try:
        return datetime.fromisoformat(value).date().isoformat()
    except ValueError:
        return ""


class FeedPages:
    """Renders each section's page; the feed cache calls it once per changed feed.json."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.env = environment(settings.server.templates_dir)

    def __call__(self, section: str, feed_json: bytes) -> bytes | None:
        name = feed_name(self.settings, section)
        if name is None:
            return None
        try:
            feed = json.loads(feed_json)
        except ValueError:
            return None
        if not isinstance(feed, dict):
            return None
        lang = page_language(self.settings, section)
        links = feed_links(self.settings, section, name)
        html = self.env.get_template("feed_page.html").render(
            t=partial(translate, lang),
            lang=lang,
            site=self.settings.site,
            public_url=self.settings.public_url,
            section=section,
            section_name=name,
            description=section_description(self.settings, section),
            links=links,
            entries=entries_of(feed),
            all_slug=ALL_SLUG,
        )
        return html.encode("utf-8")


def feed_link_headers(settings: Settings) -> Any:
    """``Link`` headers for a published feed path: its hub (when set) and itself (WebSub 4)."""
    # Written as the feeds write it (an IDN host or a non-ASCII path as a URI).
    hub = uris.absolute(settings.feeds.websub_hub) or settings.feeds.websub_hub
    base = f"{settings.public_url}/feeds/"

    def headers(path: str) -> list[tuple[bytes, bytes]]:
        links = [f'<{hub}>; rel="hub"'] if hub else []
        links.append(f'<{base}{path}>; rel="self"')
        return [(b"link", ", ".join(links).encode("utf-8"))]

    return headers


def page_headers(settings: Settings) -> Any:
    """The page's headers at a feed's address: the feed's ``Link``s, language, security."""
    links = feed_link_headers(settings)

    def headers(path: str) -> list[tuple[bytes, bytes]]:
        lang = page_language(settings, path.partition("/")[0])
        return [*links(path), (b"content-language", lang.encode()), *PAGE_SECURITY]

    return headers
