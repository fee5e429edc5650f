"""Feeds: RSS 2.0, Atom 1.0 and JSON Feed 1.1 per section, published incrementally.

``build_section_feeds`` is pure; ``publish`` (given sections, or all) and
``poll`` (whatever changed since the last build) write the files.
"""

from syndicate.feeds.build import build_section_feeds
from syndicate.feeds.entries import FEED_FILES, STYLESHEET
from syndicate.feeds.publish import PublishReport, poll, publish

__all__ = ["FEED_FILES", "STYLESHEET", "PublishReport", "build_section_feeds", "poll", "publish"]
