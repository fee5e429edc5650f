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
    dropped: int = 0  # the oldest entries left out to keep every file within max_bytes


def build_feeds(
    settings: Settings,
    section: str,
    articles: Iterable[Article],
    built_at_fallback: datetime,
    reuse_entries: bool = True,
) -> BuiltFeeds:
    chosen = entries.select(settings, section, articles)
    shown = [entry for _, entry in chosen]
    files, updated = _render(settings, section, shown, built_at_fallback, reuse_entries)
    kept = len(shown)
    if _too_large(files, settings.feeds.max_bytes):
        # The most entries that fit (sizes grow with each one): bisect, then render those.
        low, high = 0, kept - 1
        while low < high:
            middle = (low + high + 1) // 2
            attempt = _render(settings, section, shown[:middle], built_at_fallback, reuse_entries)
            if _too_large(attempt[0], settings.feeds.max_bytes):
                high = middle - 1
            else:
                low = middle
        kept = low
        files, updated = _render(settings, section, shown[:kept], built_at_fallback, reuse_entries)
    ids = [article.id for article, _ in chosen[:kept]]
    return BuiltFeeds(files, ids, updated, dropped=len(shown) - kept)


def _render(
    settings: Settings,
    section: str,
    shown: list[entries.Entry],
    fallback: datetime,
    reuse: bool,
) -> tuple[dict[str, bytes], datetime]:
    channel = entries.channel(settings, section, shown, fallback)
    rss, atom = xmlfeeds.render(channel, shown, reuse)
    files = {"rss.xml": rss, "atom.xml": atom, "feed.json": jsonfeed.render(channel, shown)}
    return files, channel.updated


def _too_large(files: dict[str, bytes], budget: int) -> bool:
    return any(len(data) > budget for data in files.values())


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
