"""``GET /feeds/``: every section with its description, latest headlines and three feeds."""

from __future__ import annotations

import json
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from syndicate.config import ALL_SLUG
from syndicate.web.context import Service
from syndicate.web.feedpage import PageEntry, entries_of, section_description
from syndicate.web.i18n import pick_language
from syndicate.web.links import FeedLink, feed_links, feed_name

LATEST = 3  # headlines shown per section


@dataclass(frozen=True)
class SectionFeeds:
    slug: str
    name: str
    description: str
    links: list[FeedLink]
    latest: list[PageEntry]


def section_feeds(svc: Service) -> list[SectionFeeds]:
    """Each section (then ``all``) as the index and the subscribe page list it."""
    settings = svc.settings
    listed: list[SectionFeeds] = []
    for slug in [*settings.section_slugs, ALL_SLUG]:
        name = feed_name(settings, slug)
        if name is None:
            continue
        title = settings.section(slug).title if slug != ALL_SLUG else name
        listed.append(
            SectionFeeds(
                slug,
                title,
                section_description(settings, slug),
                feed_links(settings, slug, name),
                _latest(svc, slug),
            )
        )
    return listed


def _latest(svc: Service, slug: str) -> list[PageEntry]:
    """The newest headlines of the published feed.json, read from the feed cache's memory."""
    file = svc.cache.get(f"{slug}/feed.json")
    if file is None or not file.body:
        return []
    try:
        feed = json.loads(file.body)
    except ValueError:
        return []
    return entries_of(feed)[:LATEST] if isinstance(feed, dict) else []


async def feeds_index(svc: Service, request: Request) -> Response:
    lang = pick_language(request, svc.settings.site.language)
    return svc.pages.render(request, "feeds.html", lang, listed=section_feeds(svc))
