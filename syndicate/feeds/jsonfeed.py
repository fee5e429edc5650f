"""JSON Feed 1.1 (https://www.jsonfeed.org/version/1.1/) with the standard json module."""

from __future__ import annotations

import json
from typing import Any

from syndicate.feeds.entries import Channel, Entry

VERSION = "https://jsonfeed.org/version/1.1"


def _item(entry: Entry) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": entry.guid,
        "url": entry.url,
        "title": entry.title,
    }
    # An item needs content_html or content_text: fall back to the summary.
    if entry.content_html:
        item["content_html"] = entry.content_html
    else:
        item["content_text"] = entry.summary or entry.title
    if entry.summary:
        item["summary"] = entry.summary
    if entry.image is not None:
        item["image"] = entry.image.url
    item["date_published"] = entry.published.isoformat()
    item["date_modified"] = entry.updated.isoformat()
    item["authors"] = [{"name": entry.author}]
    item["tags"] = [entry.category_label]
    return item


def render(channel: Channel, entries: list[Entry]) -> bytes:
    feed: dict[str, Any] = {
        "version": VERSION,
        "title": channel.title,
        "home_page_url": channel.site_url,
        "feed_url": channel.url("feed.json"),
        "description": channel.description,
        "language": channel.language,
        "authors": [{"name": channel.author}],
    }
    if channel.hub:
        feed["hubs"] = [{"type": "WebSub", "url": channel.hub}]
    feed["items"] = [_item(entry) for entry in entries]
    # Compact: with indent, json falls back to its pure-Python encoder (several times slower).
    return (json.dumps(feed, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")
