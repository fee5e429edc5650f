"""The pure builder: settings, a section, articles and a fallback time in; file bytes out."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from syndicate.articles import Article
from syndicate.config import Settings
from syndicate.feeds import entries, jsonfeed, xmlfeeds


def build_section_feeds(
    settings: Settings,
    section: str,
    articles: Iterable[Article],
    built_at_fallback: datetime,
) -> dict[str, bytes]:
    """``{"rss.xml": ..., "atom.xml": ..., "feed.json": ...}`` for one section or ``all``.

    Withdrawn articles and those outside the section are skipped, so the caller
    may pass more than needed. The feed's time is its newest entry's, and
    ``built_at_fallback`` only when there is no entry: the same input always gives
    the same bytes.
    """
    chosen = [entry for _, entry in entries.select(settings, section, articles)]
    channel = entries.channel(settings, section, chosen, built_at_fallback)
    rss, atom = xmlfeeds.render(channel, chosen)
    return {"rss.xml": rss, "atom.xml": atom, "feed.json": jsonfeed.render(channel, chosen)}
