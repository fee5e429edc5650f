"""Any text the newsroom types still gives well-formed, readable feeds."""

from __future__ import annotations

import json
import re
from pathlib import Path

import feedparser
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from syndicate import config, text
from syndicate.feeds import build_section_feeds
from tests.feed_rules import ATOM, CONTENT, DC, all_problems, parse
from tests.feeds_data import FIXED, make_article

SETTINGS = config.from_mapping(
    {
        "site": {"title": "Test News", "url": "https://news.example.org"},
        "sections": [{"slug": "world", "title": "World"}],
        "server": {"public_url": "https://feeds.example.org"},
    },
    base_dir=Path("/tmp"),
    env={},
)

# Every code point except surrogates (which cannot be encoded at all), controls included.
anything = st.text(st.characters(exclude_categories=["Cs"]), max_size=80)
markup = st.sampled_from(["<b>", "</p>", "<script>", "&amp;", "&", "<", "]]>", "\x00", "\x1f"])
messy = st.lists(st.one_of(anything, markup), max_size=6).map("".join)


def visible(value: str) -> str:
    return re.sub(r"\s+", " ", text.clean(value)).strip()


def as_feedparser_reads(value: str) -> str:
    """feedparser re-decodes text that looks like UTF-8 read as Latin-1 ("Ã©" -> "é")."""
    try:
        return value.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return value


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(headline=messy, lede=messy, byline=messy, body=messy, caption=messy)
def test_any_text_gives_valid_feeds_that_keep_the_words(
    headline: str, lede: str, byline: str, body: str, caption: str
) -> None:
    article = make_article(
        1,
        headline="H " + headline,
        lede=lede,
        byline=byline,
        body=body,
        image_url="https://img.example.org/a.jpg",
        image_caption=caption,
    )
    files = build_section_feeds(SETTINGS, "world", [article], FIXED)
    assert all_problems(files) == []
    for name in ("rss.xml", "atom.xml"):
        parsed = feedparser.parse(files[name])
        assert parsed.bozo == 0, parsed.get("bozo_exception")
        assert len(parsed.entries) == 1

    title = visible("H " + headline)
    item = parse(files["rss.xml"]).find("channel/item")
    entry = parse(files["atom.xml"]).find(f"{ATOM}entry")
    item_json = json.loads(files["feed.json"])["items"][0]
    assert item.findtext("title") == entry.findtext(f"{ATOM}title") == item_json["title"] == title
    assert feedparser.parse(files["atom.xml"]).entries[0].title == as_feedparser_reads(title)
    author = visible(byline) or "Test News"
    assert item.findtext(f"{DC}creator") == entry.findtext(f"{ATOM}author/{ATOM}name") == author
    assert item_json["authors"] == [{"name": author}]
    body_html = text.sanitize_html(body)
    # Without a summary, RSS carries the body in <description> instead of content:encoded.
    rss_body = item.findtext(f"{CONTENT}encoded") or (
        "" if entry.findtext(f"{ATOM}summary") else item.findtext("description")
    )
    assert (rss_body or "") == body_html
    assert (entry.findtext(f"{ATOM}content") or "") == body_html
    assert item_json.get("content_html", "") == body_html
    summary = entry.findtext(f"{ATOM}summary") or ""
    assert summary == item_json.get("summary", "")
    if visible(lede):
        assert summary.startswith(visible(lede).rstrip())
