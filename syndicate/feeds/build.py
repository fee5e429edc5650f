"""The pure builder: settings, a section, articles and a fallback time in; file bytes out."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from syndicate.articles import Article
from syndicate.config import Settings
from syndicate.feeds import entries, jsonfeed, xmlfeeds


@dataclass(frozen=True)
class BuiltFeeds:
    files: dict[str, bytes]
    article_ids: list[int]  # the articles shown, newest first
    updated: datetime  # the feed's own time


def build_feeds(
    settings: Settings,
    section: str,
    articles: Iterable[Article],
    built_at_fallback: datetime,
    reuse_entries: bool = True,
) -> BuiltFeeds:
    chosen = entries.select(settings, section, articles)
    shown = [entry for _, entry in chosen]
    channel = entries.channel(settings, section, shown, built_at_fallback)
    rss, atom = xmlfeeds.render(channel, shown, reuse_entries)
    files = {"rss.xml": rss, "atom.xml": atom, "feed.json": jsonfeed.render(channel, shown)}
    return BuiltFeeds(files, [article.id for article, _ in chosen], channel.updated)


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
    return build_feeds(settings, section, articles, built_at_fallback).files
