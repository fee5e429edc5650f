"""The archive of public editions: which days had one, per language, and its Atom feed (pure).

A day's public edition holds the articles first seen in that day's web window
(``web_window``); the archive lists the days whose window holds at least one
article of the language asked for, newest first, one block of days per page.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from xml.sax.saxutils import escape, quoteattr
from zoneinfo import ZoneInfo

from syndicate import uris
from syndicate.config import Settings
from syndicate.digest.selection import web_window
from syndicate.digest.templates import labels, long_date

DAYS_PER_PAGE = 30
FEED_EDITIONS = 20  # editions in /digests/feed.xml


@dataclass(frozen=True)
class ArchivedEdition:
    day: date
    articles: int  # articles in it, for the language asked for
    newest: datetime  # when its newest article was first seen


def language_sections(settings: Settings, language: str | None) -> tuple[str, ...]:
    """The sections written in ``language`` (None: every section)."""
    if language is None:
        return tuple(settings.section_slugs)
    return tuple(
        slug
        for slug in settings.section_slugs
        if settings.section_language(slug).split("-")[0].lower() == language
    )


def edition_day(settings: Settings, moment: datetime, now: datetime) -> date:
    """The day whose public edition holds an article first seen at ``moment``."""
    local = moment.astimezone(ZoneInfo(settings.site.timezone)).date()
    for day in (local, local + timedelta(days=1), local - timedelta(days=1)):
        start, end = web_window(settings, day, max(now, moment))
        if start < moment <= end:
            return day
    return local  # a window shortened or stretched by a DST change: the local date


def page_span(today: date, page: int) -> tuple[date, date]:
    """The first and last day (inclusive) that archive ``page`` (1 = newest) covers."""
    last = today - timedelta(days=DAYS_PER_PAGE * (page - 1))
    return last - timedelta(days=DAYS_PER_PAGE - 1), last


def span_window(
    settings: Settings, first: date, last: date, now: datetime
) -> tuple[datetime, datetime]:
    """The moments the public editions of ``first``..``last`` cover, together."""
    return web_window(settings, first, now)[0], web_window(settings, last, now)[1]


def editions(
    settings: Settings,
    seen: Iterable[tuple[datetime, str]],
    sections: tuple[str, ...],
    now: datetime,
) -> list[ArchivedEdition]:
    """The days with at least one article in ``sections``, newest first.

    ``seen`` is (first seen, section) per filing; an article filed in two of the
    sections counts once per filing, as the edition lists it once: close enough
    for a count shown as "about".
    """
    wanted = set(sections)
    counts: Counter[date] = Counter()
    newest: dict[date, datetime] = {}
    for moment, section in seen:
        if section not in wanted:
            continue
        day = edition_day(settings, moment, now)
        counts[day] += 1
        if day not in newest or moment > newest[day]:
            newest[day] = moment
    return [ArchivedEdition(day, counts[day], newest[day]) for day in sorted(counts, reverse=True)]


def edition_url(settings: Settings, day: date, language: str | None) -> str:
    suffix = f"?lang={language}" if language else ""
    return f"{settings.public_url}/digests/{day.isoformat()}{suffix}"


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def editions_atom(
    settings: Settings, listed: list[ArchivedEdition], language: str, now: datetime
) -> bytes:
    """An Atom feed of the newest editions, each linking to its public page."""
    t = labels(language)
    site = settings.site.title
    base = uris.absolute(settings.public_url) or settings.public_url
    self_url = f"{base}/digests/feed.xml?lang={language}"
    updated = max((e.newest for e in listed), default=now)
    lines = [
        '<?xml version="1.0" encoding="utf-8"?>',
        f'<feed xmlns="http://www.w3.org/2005/Atom" xml:lang={quoteattr(language)}>',
        f"<id>{escape(self_url)}</id>",
        f"<title>{escape(t['archive_title'].format(site=site))}</title>",
        f"<updated>{_rfc3339(updated)}</updated>",
        f"<author><name>{escape(site)}</name></author>",
        f'<link rel="self" type="application/atom+xml" href={quoteattr(self_url)}/>',
        f'<link rel="alternate" type="text/html" href={quoteattr(f"{base}/digests/?lang={language}")}/>',
    ]
    for edition in listed[:FEED_EDITIONS]:
        url = f"{base}/digests/{edition.day.isoformat()}?lang={language}"
        title = f"{site}: {long_date(edition.day, language)}"
        lines += [
            "<entry>",
            f"<id>{escape(url)}</id>",
            f"<title>{escape(title)}</title>",
            f"<updated>{_rfc3339(edition.newest)}</updated>",
            f'<link rel="alternate" type="text/html" href={quoteattr(url)}/>',
            f"<summary>{escape(t['archive_count'].format(count=edition.articles))}</summary>",
            "</entry>",
        ]
    lines.append("</feed>")
    return ("\n".join(lines) + "\n").encode("utf-8")
