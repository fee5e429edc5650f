"""The pure feed builder: RSS 2.0, Atom 1.0 and JSON Feed 1.1 from articles and a time."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import feedparser
import pytest
from lxml import etree

from syndicate import config
from syndicate.feeds import build_section_feeds
from syndicate.feeds.files import STYLESHEET_SOURCE
from tests.conftest import write_config
from tests.feed_rules import ATOM, CONTENT, DC, MEDIA, all_problems, feedparser_images, parse
from tests.feeds_data import FIXED, make_article, sample_articles
from tests.golden import assert_golden


def load_settings(folder: Path, extra: str = "") -> config.Settings:
    return config.load(write_config(folder, extra), env={})


def golden_articles() -> list:
    return [
        make_article(
            1,
            headline="Dockworkers halt three Pacific ports",
            lede="Cargo ships queued off Callao after dockworkers walked out when",
            lede_is_teaser=True,
            body="<p>Cargo ships queued off <strong>Callao</strong>.</p><p>More later.</p>",
            image_url="https://images.example.org/2026/11/ports.png",
            image_alt="Ships waiting off Callao",
            image_credit="Port authority",
        ),
        make_article(
            2,
            guid="newsroom-2",
            headline="Budget & deficit: what <changes>",
            byline=None,
            published_at=None,
        ),
        make_article(
            3,
            sections=("politics", "world"),
            url="https://news.example.org/politics/reform",
            guid="https://news.example.org/politics/reform",
            headline="Reforma electoral: votación final",
            updated_at=FIXED - timedelta(minutes=5),
        ),
    ]


@pytest.mark.parametrize("name", ["rss.xml", "atom.xml", "feed.json"])
def test_golden_world_feeds(tmp_path: Path, name: str) -> None:
    settings = load_settings(tmp_path, '[feeds]\nwebsub_hub = "https://hub.example.org/"\n')
    files = build_section_feeds(settings, "world", golden_articles(), FIXED)
    data = files[name]
    if name == "feed.json":  # written compact; indented here so a change reads as a diff
        data = json.dumps(json.loads(data), ensure_ascii=False, indent=2).encode("utf-8")
    assert_golden(f"feeds/world-{name}", data)


def test_same_input_gives_identical_bytes(settings: config.Settings) -> None:
    articles = golden_articles()
    first = build_section_feeds(settings, "world", articles, FIXED)
    again = build_section_feeds(settings, "world", list(reversed(articles)), FIXED)
    assert first == again


def test_entries_from_the_element_cache_give_the_same_bytes(settings: config.Settings) -> None:
    from dataclasses import replace

    from syndicate.feeds import entries, xmlfeeds
    from syndicate.feeds.build import build_feeds

    articles = golden_articles()
    entries._entry.cache_clear()
    xmlfeeds._elements.cache_clear()
    fresh = build_section_feeds(settings, "world", articles, FIXED)
    hits = xmlfeeds._elements.cache_info().hits
    cached = build_section_feeds(settings, "world", articles, FIXED)
    assert xmlfeeds._elements.cache_info().hits == hits + 2 * len(articles)  # RSS, Atom
    assert cached == fresh
    # A changed article gets a new element; the others keep theirs.
    edited = [replace(articles[0], headline="Dockworkers return to work"), *articles[1:]]
    changed = build_section_feeds(settings, "world", edited, FIXED)
    for name in ("rss.xml", "atom.xml"):
        assert b"Dockworkers return to work" in changed[name]
        assert b"Dockworkers halt three Pacific ports" not in changed[name]
        assert b"Reforma electoral" in changed[name]
    # Handing out copies keeps the remembered elements as built.
    assert build_section_feeds(settings, "world", articles, FIXED) == fresh
    # A build of every section skips the cache, with the same result.
    hits = xmlfeeds._elements.cache_info().hits
    assert build_feeds(settings, "world", articles, FIXED, reuse_entries=False).files == fresh
    assert xmlfeeds._elements.cache_info().hits == hits


@pytest.mark.parametrize("section", ["world", "politics", "mundo", "all"])
def test_samples_and_seed_pass_the_rules(settings: config.Settings, section: str) -> None:
    articles = sample_articles(settings)
    files = build_section_feeds(settings, section, articles, FIXED)
    assert all_problems(files) == []
    expected = [a for a in articles if section == "all" or section in a.sections]
    assert expected, "the samples cover every section"
    for name in ("rss.xml", "atom.xml"):
        images = feedparser_images(files[name])
        assert len(images) == len(expected)
        assert sorted(images) == sorted(a.image_url or "" for a in expected)


def test_entry_fields(settings: config.Settings) -> None:
    files = build_section_feeds(settings, "world", golden_articles(), FIXED)
    rss = parse(files["rss.xml"]).find("channel")
    first = rss.find("item")
    assert first.findtext("title") == "Dockworkers halt three Pacific ports"
    assert first.findtext("description").endswith("walked out when…")
    assert first.findtext(f"{DC}creator") == "Ana Quispe"
    assert first.find("author") is None
    assert first.findtext("category") == "World"
    assert first.find("guid").get("isPermaLink") == "true"
    assert "<strong>Callao</strong>" in first.findtext(f"{CONTENT}encoded")
    second = rss.findall("item")[1]
    assert second.findtext("guid") == "newsroom-2"
    assert second.find("guid").get("isPermaLink") == "false"
    assert second.findtext(f"{DC}creator") == "Test News"  # no byline: the site
    assert rss.findtext("link") == "https://news.example.org/"
    assert rss.findtext("ttl") == "1"
    atom = parse(files["atom.xml"])
    entries = atom.findall(f"{ATOM}entry")
    assert entries[1].findtext(f"{ATOM}id").startswith("tag:news.example.org,")
    assert entries[0].find(f"{ATOM}summary").text.endswith("…")
    assert entries[0].find(f"{ATOM}content").get("type") == "html"
    feed = json.loads(files["feed.json"])
    assert feed["items"][0]["summary"].endswith("…")
    assert feed["items"][1]["id"] == "newsroom-2"


def test_feed_time_is_the_newest_entry_never_now(settings: config.Settings) -> None:
    articles = [make_article(3), make_article(2, updated_at=FIXED - timedelta(minutes=30))]
    files = build_section_feeds(settings, "world", articles, FIXED + timedelta(days=9))
    assert parse(files["atom.xml"]).findtext(f"{ATOM}updated") == "2026-11-28T11:30:00+00:00"
    channel = parse(files["rss.xml"]).find("channel")
    assert channel.findtext("lastBuildDate") == "Sat, 28 Nov 2026 11:30:00 +0000"


def test_images_present_and_absent(settings: config.Settings) -> None:
    with_image = make_article(
        1,
        image_url="https://img.example.org/a.webp",
        image_caption="A caption",
        image_credit="Credit",
    )
    without = make_article(2)
    files = build_section_feeds(settings, "world", [with_image, without], FIXED)
    for name in ("rss.xml", "atom.xml"):
        assert feedparser_images(files[name]) == ["https://img.example.org/a.webp", ""]
    items = parse(files["rss.xml"]).find("channel").findall("item")
    enclosure = items[0].find("enclosure")
    assert enclosure.get("type") == "image/webp"
    content = items[0].find(f"{MEDIA}content")
    assert content.findtext(f"{MEDIA}description") == "A caption"
    assert content.findtext(f"{MEDIA}credit") == "Credit"
    assert items[0].find(f"{MEDIA}thumbnail").get("url") == "https://img.example.org/a.webp"
    for tag in ("enclosure", f"{MEDIA}content", f"{MEDIA}thumbnail"):
        assert items[1].find(tag) is None
    atom_entries = parse(files["atom.xml"]).findall(f"{ATOM}entry")
    rels = [ln.get("rel", "alternate") for ln in atom_entries[0].findall(f"{ATOM}link")]
    assert sorted(rels) == ["alternate", "enclosure"]
    assert [ln.get("rel", "alternate") for ln in atom_entries[1].findall(f"{ATOM}link")] == [
        "alternate"
    ]
    feed = json.loads(files["feed.json"])
    assert feed["items"][0]["image"] == "https://img.example.org/a.webp"
    assert "image" not in feed["items"][1]
    assert all_problems(files) == []


def test_markup_scripts_and_control_characters_in_every_field(
    settings: config.Settings,
) -> None:
    nasty = make_article(
        1,
        guid="guid\x00 <one>",
        headline="<script>alert('x')</script> Héadline\x07 & <b>bold</b>",
        lede="Lede with \x0b control and ]]> end",
        body="<p onclick='evil()'>Body</p><script>alert(1)</script><iframe src=x></iframe>\x01",
        byline="<i>Ana</i>\x1b Quispe",
        image_url="https://img.example.org/a.jpg",
        image_alt="alt \x0c <img src=x onerror=alert(1)>",
        image_caption="caption\x00",
        image_credit="credit \ufffe & co",
    )
    files = build_section_feeds(settings, "world", [nasty], FIXED)
    assert all_problems(files) == []
    for name in ("rss.xml", "atom.xml", "feed.json"):
        data = files[name].decode("utf-8")
        for bad in ("\x00", "\x07", "\x0b", "\x01", "\x1b", "\x0c", "\ufffe"):
            assert bad not in data
        assert "onclick" not in data and "<iframe" not in data
    # Plain-text fields keep the words (escaped in XML); no markup survives as markup.
    for name in ("rss.xml", "atom.xml"):
        assert "<script" not in files[name].decode("utf-8")
    item = json.loads(files["feed.json"])["items"][0]
    assert item["title"].startswith("<script>")  # JSON Feed titles are plain text
    assert item["content_html"] == "<p>Body</p>"
    title = parse(files["rss.xml"]).find("channel/item/title").text
    assert title == "<script>alert('x')</script> Héadline & <b>bold</b>"
    body = parse(files["atom.xml"]).find(f"{ATOM}entry/{ATOM}content").text
    assert body == "<p>Body</p>"
    parsed = feedparser.parse(files["atom.xml"])
    assert parsed.bozo == 0
    assert parsed.entries[0].author == "<i>Ana</i> Quispe"


def test_no_articles(settings: config.Settings) -> None:
    files = build_section_feeds(settings, "politics", [], FIXED)
    assert all_problems(files) == []
    assert parse(files["rss.xml"]).find("channel/item") is None
    assert parse(files["atom.xml"]).findtext(f"{ATOM}updated") == "2026-11-28T12:00:00+00:00"
    assert json.loads(files["feed.json"])["items"] == []


def test_more_articles_than_items_newest_first(tmp_path: Path) -> None:
    settings = load_settings(tmp_path, "[feeds]\nitems = 3\n")
    articles = [make_article(n) for n in range(1, 8)]
    # Two stories published at the same moment: the order must not depend on input order.
    articles.append(make_article(9, published_at=articles[0].published_at))
    files = build_section_feeds(settings, "world", list(reversed(articles)), FIXED)
    guids = [item["id"] for item in json.loads(files["feed.json"])["items"]]
    assert guids == [
        "https://news.example.org/world/story-9",
        "https://news.example.org/world/story-1",
        "https://news.example.org/world/story-2",
    ]
    assert len(parse(files["rss.xml"]).findall("channel/item")) == 3


def test_sections_withdrawn_and_all(settings: config.Settings) -> None:
    articles = [
        make_article(1),
        make_article(2, sections=("politics",)),
        make_article(3, withdrawn=True),
        make_article(4, sections=("politics", "world")),
    ]

    def guids(section: str) -> list[str]:
        feed = json.loads(build_section_feeds(settings, section, articles, FIXED)["feed.json"])
        return [item["id"].rsplit("-", 1)[-1] for item in feed["items"]]

    assert guids("world") == ["1", "4"]
    assert guids("politics") == ["2", "4"]
    assert guids("all") == ["1", "2", "4"]
    assert guids("mundo") == []


def test_channel_links_self_hub_and_stylesheet(tmp_path: Path) -> None:
    settings = load_settings(tmp_path, '[feeds]\nwebsub_hub = "https://hub.example.org/"\n')
    files = build_section_feeds(settings, "mundo", [], FIXED)
    for name in ("rss.xml", "atom.xml"):
        assert b'<?xml-stylesheet type="text/xsl" href="../feed.xsl"?>' in files[name]
    channel = parse(files["rss.xml"]).find("channel")
    links = {ln.get("rel"): ln.get("href") for ln in channel.findall(f"{ATOM}link")}
    assert links == {
        "self": "https://feeds.example.org/feeds/mundo/rss.xml",
        "hub": "https://hub.example.org",
    }
    assert channel.findtext("link") == "https://news.example.org/"
    assert channel.findtext("language") == "es"
    atom = parse(files["atom.xml"])
    links = {ln.get("rel"): ln.get("href") for ln in atom.findall(f"{ATOM}link")}
    assert links["self"] == "https://feeds.example.org/feeds/mundo/atom.xml"
    assert links["hub"] == "https://hub.example.org"
    feed = json.loads(files["feed.json"])
    assert feed["hubs"] == [{"type": "WebSub", "url": "https://hub.example.org"}]
    assert feed["feed_url"] == "https://feeds.example.org/feeds/mundo/feed.json"


def test_summary_only_when_full_text_is_off(tmp_path: Path) -> None:
    settings = load_settings(tmp_path, "[feeds]\nfull_text = false\n")
    files = build_section_feeds(settings, "world", [make_article(1)], FIXED)
    assert b"Body of story" not in files["rss.xml"] + files["atom.xml"] + files["feed.json"]
    assert json.loads(files["feed.json"])["items"][0]["content_text"] == "Lede of story 1."
    assert all_problems(files) == []


def test_entry_times_and_a_bare_headline(settings: config.Settings) -> None:
    imported = FIXED - timedelta(hours=1)
    never_edited = make_article(
        1,
        lede="",
        body="",
        published_at=FIXED - timedelta(days=2),
        first_seen_at=imported,
        updated_at=imported,  # the store's import stamp: no real edit
    )
    edited = make_article(
        2,
        first_seen_at=imported,
        published_at=None,
        updated_at=imported + timedelta(minutes=3, microseconds=250),
    )
    files = build_section_feeds(settings, "world", [never_edited, edited], FIXED)
    entries = parse(files["atom.xml"]).findall(f"{ATOM}entry")
    assert entries[0].findtext(f"{ATOM}published") == "2026-11-28T11:00:00+00:00"
    assert entries[0].findtext(f"{ATOM}updated") == "2026-11-28T11:03:00.000250+00:00"
    assert entries[1].findtext(f"{ATOM}updated") == "2026-11-26T12:00:00+00:00"
    # No lede and no body: Atom still gets some text (the headline) as the summary.
    assert entries[1].findtext(f"{ATOM}summary") == "Headline 1"
    assert all_problems(files) == []


@pytest.mark.parametrize("name", ["rss.xml", "atom.xml"])
def test_stylesheet_turns_the_feed_into_a_readable_page(
    settings: config.Settings, name: str
) -> None:
    articles = [*golden_articles(), make_article(4, lede="Tom & Jerry <3 &amp;")]
    files = build_section_feeds(settings, "world", articles, FIXED)
    transform = etree.XSLT(etree.parse(str(STYLESHEET_SOURCE)))
    page = str(transform(parse(files[name]).getroottree()))
    assert "<h1>Test News: World</h1>" in page
    assert "This is a web feed." in page
    assert f"https://feeds.example.org/feeds/world/{name}" in page
    assert '<a href="https://news.example.org/world/story-1">' in page
    # Escaped once for HTML, whichever way the feed carried the text.
    assert "Budget &amp; deficit: what &lt;changes&gt;" in page
    assert "Tom &amp; Jerry &lt;3 &amp;amp;" in page
    assert page.count("<article>") == 4
    assert 'src="https://images.example.org/2026/11/ports.png"' in page
    assert "walked out when…" in page
