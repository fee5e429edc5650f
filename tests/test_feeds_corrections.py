"""A corrected article's feed entry shows the note and a later ``updated`` time."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import feedparser

from syndicate import config
from syndicate.feeds import build_section_feeds
from tests.conftest import write_config
from tests.feeds_data import FIXED, make_article

NOTE = "An earlier version misspelled the minister's name."


def test_the_correction_note_goes_with_the_entry_and_moves_updated(tmp_path: Path) -> None:
    settings = config.load(write_config(tmp_path), env={})
    corrected = make_article(1, correction=NOTE, updated_at=FIXED - timedelta(minutes=5))
    files = build_section_feeds(settings, "world", [corrected, make_article(2)], FIXED)
    for name in ("rss.xml", "atom.xml"):
        parsed = feedparser.parse(files[name])
        assert not parsed.bozo, (name, parsed.bozo_exception)
        first, second = parsed.entries
        assert NOTE in first.summary, name
        assert NOTE not in second.summary
        if name != "rss.xml":  # RSS 2.0 has no updated time per item
            assert first.updated_parsed > first.published_parsed, name
    item = json.loads(files["feed.json"])["items"][0]
    assert NOTE in item["summary"] and NOTE in item["content_html"]
    assert item["date_modified"] > item["date_published"]
