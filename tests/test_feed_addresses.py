"""Every address in the feeds is an absolute URI; a feed never grows past [feeds] max_bytes."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import feedparser
import pytest

from syndicate import config, uris
from syndicate.articles import parse_json
from syndicate.clock import FixedClock
from syndicate.feeds import build_section_feeds, publish
from syndicate.feeds.build import build_feeds
from syndicate.store import articles as article_store
from tests.conftest import article_json, write_config
from tests.feed_rules import ATOM, MEDIA, all_problems, parse
from tests.feeds_data import FIXED, make_article
from tests.uri_rules import html_links, uri_problem, uri_problems

ARTICLE = "https://news.example.org/world/2026/story"


def feeds(settings: config.Settings, **fields: object) -> dict[str, bytes]:
    files = build_section_feeds(settings, "world", [make_article(1, **fields)], FIXED)
    assert all_problems(files) == []
    assert uri_problems(files) == []
    return files


@pytest.mark.parametrize(
    ("given", "published"),
    [
        (
            "https://cdn.example.org/img/élection.png",
            "https://cdn.example.org/img/%C3%A9lection.png",
        ),
        ("https://bücher.example/a.jpg", "https://xn--bcher-kva.example/a.jpg"),
        ("https://例え.テスト/画像.jpg", "https://xn--r8jz45g.xn--zckzah/%E7%94%BB%E5%83%8F.jpg"),
        (
            "https://cdn.example.org/a b.jpg?w=1&q=ü",
            "https://cdn.example.org/a%20b.jpg?w=1&q=%C3%BC",
        ),
        ("https://cdn.example.org/100%.jpg", "https://cdn.example.org/100%25.jpg"),
        ("https://cdn.example.org/a|b{c}.jpg", "https://cdn.example.org/a%7Cb%7Bc%7D.jpg"),
        ("HTTPS://cdn.example.org:8443/x.jpg", "https://cdn.example.org:8443/x.jpg"),
    ],
)
def test_image_addresses_are_published_as_uris(
    settings: config.Settings, given: str, published: str
) -> None:
    files = feeds(settings, image_url=given)
    rss = parse(files["rss.xml"])
    assert rss.find("channel/item/enclosure").get("url") == published
    assert rss.find(f"channel/item/{MEDIA}content").get("url") == published
    atom = parse(files["atom.xml"])
    assert atom.find(f"{ATOM}entry/{MEDIA}content").get("url") == published
    assert json.loads(files["feed.json"])["items"][0]["image"] == published
    assert feedparser.parse(files["rss.xml"]).entries[0].enclosures[0].href == published


@pytest.mark.parametrize(
    "unfixable",
    [
        "https://exa<mple.org/a.jpg",
        "https://[::zz]/a.jpg",
        "https://img.example.org:x/a.jpg",
        "https:///a.jpg",
        "ftp://img.example.org/a.jpg",
        "https://exa mple.org/a.jpg",
    ],
)
def test_an_unfixable_image_address_is_left_out(settings: config.Settings, unfixable: str) -> None:
    files = feeds(settings, image_url=unfixable)
    assert parse(files["rss.xml"]).find("channel/item/enclosure") is None
    assert "image" not in json.loads(files["feed.json"])["items"][0]


def test_article_and_guid_addresses_are_uris(settings: config.Settings) -> None:
    url = "https://news.example.org/política/reforma?año=2026#párrafo"
    files = feeds(settings, url=url, guid=url)
    expected = uris.absolute(url)
    assert expected == ("https://news.example.org/pol%C3%ADtica/reforma?a%C3%B1o=2026#p%C3%A1rrafo")
    item = parse(files["rss.xml"]).find("channel/item")
    assert item.findtext("link") == item.findtext("guid") == expected
    assert item.find("guid").get("isPermaLink") == "true"
    assert parse(files["atom.xml"]).find(f"{ATOM}entry/{ATOM}id").text == expected


@pytest.mark.parametrize(
    ("html", "links"),
    [
        ('<img src="x.png">', [f"{ARTICLE.rsplit('/', 1)[0]}/x.png"]),
        ('<a href="#note">n</a>', [f"{ARTICLE}#note"]),
        ('<a href="/world/é">é</a>', ["https://news.example.org/world/%C3%A9"]),
        ('<a href="../a b?x=ü">x</a>', ["https://news.example.org/world/a%20b?x=%C3%BC"]),
        ('<a href="//cdn.example.org/p">p</a>', ["https://cdn.example.org/p"]),
        ('<a href="mailto:josé@example.org">m</a>', ["mailto:jos%C3%A9@example.org"]),
        ('<blockquote cite="other">q</blockquote>', ["https://news.example.org/world/2026/other"]),
        ('<a href="https://exa mple.org/">bad</a><img src="https://[::zz]/i.png">', []),
        ('<a href="javascript:alert(1)">j</a>', []),
    ],
)
def test_links_inside_bodies_are_resolved_against_the_article(
    settings: config.Settings, html: str, links: list[str]
) -> None:
    record = parse_json(article_json(url=ARTICLE, body=f"<p>{html}</p>"), settings)
    assert html_links(record.body) == links
    # The builder does the same to a body stored before import resolved its links.
    files = feeds(settings, url=ARTICLE, guid=ARTICLE, body=f"<p>{html}</p>")
    content = parse(files["atom.xml"]).find(f"{ATOM}entry").findtext(f"{ATOM}content")
    assert html_links(content) == links
    assert all(uri_problem(link, http=False) is None for link in links)


def test_absolute_is_idempotent_and_never_gives_an_iri() -> None:
    for value in [
        "https://news.example.org/é?é=é#é",
        "https://user:pä@bücher.example:8080/x%2Fy/%zz",
        "http://[2001:db8::1]/a b",
        "https://news.example.org./trailing",
        "https://ＥＸＡＭＰＬＥ。org/fullwidth",
    ]:
        once = uris.absolute(value)
        assert once is not None and uri_problem(once) is None, (value, once)
        assert uris.absolute(once) == once


def big(number: int) -> object:
    return make_article(number, body="<p>" + "Lorem ipsum dolor sit amet. " * 150 + "</p>")


def test_a_feed_over_its_budget_drops_the_oldest_entries(tmp_path: Path) -> None:
    path = write_config(tmp_path, extra="\n[feeds]\nmax_bytes = 65536\n")
    settings = config.load(path, env={"SYNDICATE_SECRET": "x"})
    articles = [big(n) for n in range(1, 41)]
    built = build_feeds(settings, "world", articles, FIXED)
    assert 0 < built.dropped < 40
    assert all(len(data) <= 65536 for data in built.files.values())
    kept = 40 - built.dropped
    assert built.article_ids == list(range(1, kept + 1))  # the newest ones
    assert all_problems(built.files) == []
    # One more entry would not have fitted.
    more = build_feeds(
        settings.model_copy(
            update={"feeds": settings.feeds.model_copy(update={"max_bytes": 10**9})}
        ),
        "world",
        articles[: kept + 1],
        FIXED,
    )
    assert max(len(data) for data in more.files.values()) > 65536
    assert build_feeds(settings, "world", articles[:kept], FIXED).dropped == 0


def test_publishing_over_the_budget_logs_it(
    tmp_path: Path, engine, db_settings: config.Settings, caplog: pytest.LogCaptureFixture
) -> None:
    settings = db_settings.model_copy(
        update={
            "feeds": db_settings.feeds.model_copy(
                update={"max_bytes": 65536, "output_dir": str(tmp_path / "out")}
            )
        }
    )
    clock = FixedClock(FIXED)
    body = "<p>" + "Lorem ipsum dolor sit amet. " * 150 + "</p>"
    records = [
        parse_json(article_json(url=f"https://news.example.org/{n}", body=body), settings)
        for n in range(30)
    ]
    with engine.begin() as conn:
        article_store.upsert(conn, records, clock.now())
    with caplog.at_level(logging.WARNING, logger="syndicate.feeds.publish"):
        report = publish(engine, settings, clock)
    assert set(report.trimmed) == {"world", "all"} and report.trimmed["world"] > 0
    assert any("oldest entries left out" in line for line in report.lines())
    assert any(
        "oldest entries left out" in r.getMessage() and "world" in r.getMessage()
        for r in caplog.records
    )
    for name in ("rss.xml", "atom.xml", "feed.json"):
        assert (tmp_path / "out" / "world" / name).stat().st_size <= 65536


def test_max_bytes_has_a_floor(tmp_path: Path) -> None:
    path = write_config(tmp_path, extra="\n[feeds]\nmax_bytes = 100\n")
    with pytest.raises(config.ConfigError, match=r"\[feeds\] max_bytes"):
        config.load(path, env={"SYNDICATE_SECRET": "x"})
