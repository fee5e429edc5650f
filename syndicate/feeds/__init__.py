"""Feeds: RSS 2.0, Atom 1.0 and JSON Feed 1.1 per section, published incrementally."""

from syndicate.feeds.build import build_section_feeds
from syndicate.feeds.entries import FEED_FILES, STYLESHEET

__all__ = ["FEED_FILES", "STYLESHEET", "build_section_feeds"]
