"""A feed's address opened by a browser and by a feed reader, over real HTTP.

Browsers get the section's HTML page, readers the feed; both carry the WebSub
``Link`` headers, ``Vary: Accept`` and their own ETags, and both revalidate to 304.
"""

from __future__ import annotations

import json
from datetime import timedelta

import feedparser
import pytest
from lxml import html

from syndicate.feeds.publish import publish
from tests.stored_articles import add_articles
from tests.web.conftest import Web
from tests.web.feedfiles import RSS
from tests.web.feedfiles import publish as publish_file

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8"
READERS = [
    None,  # curl and most readers send */* or nothing
    "*/*",
    "application/rss+xml, application/atom+xml, text/html;q=0.9",
    "application/atom+xml,application/rss+xml;q=0.9,text/html;q=0.8",
]
FILES = ["rss.xml", "atom.xml", "feed.json"]


@pytest.fixture
def web(start_web) -> Web:
    served = start_web(
        feed_check_seconds=0,
        # A hub on a closed local port: the build's ping fails at once, the headers name it.
        config_extra='[feeds]\nwebsub_hub = "http://127.0.0.1:9/hub"\n',
    )
    now = served.clock.now()
    add_articles(
        served.engine,
        served.settings,
        now - timedelta(hours=1),
        {
            "url": "https://news.example.org/world/quake",
            "headline": "Quake shakes the coast",
            "lede": "Buildings swayed for a minute.",
            "image": {"url": "https://img.example.org/quake.jpg", "alt": "A street"},
        },
        {
            "url": "https://news.example.org/mundo/lluvias",
            "section": "mundo",
            "headline": "Lluvias en la sierra",
            "lede": "Los ríos crecieron durante la noche.",
        },
    )
    publish(served.engine, served.settings, served.clock)
    served.app.feed_cache.refresh()
    return served


@pytest.mark.parametrize("name", FILES)
def test_a_browser_gets_the_page_and_a_reader_the_feed(web: Web, name: str) -> None:
    path = f"/feeds/world/{name}"
    page = web.http.get(path, headers={"accept": BROWSER})
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert page.headers["vary"] == "Accept-Encoding, Accept"
    doc = html.fromstring(page.content)
    assert doc.get("lang") == "en"
    assert doc.findtext(".//h1") == "Test News: World"
    headline = doc.xpath("//ul[@class='entries']//h3/a")[0]
    assert headline.text == "Quake shakes the coast"
    assert headline.get("href") == "https://news.example.org/world/quake"
    assert "Buildings swayed for a minute." in page.text
    assert doc.xpath("//ul[@class='entries']//img/@src") == ["https://img.example.org/quake.jpg"]
    assert "Copy this address into your feed reader" in page.text
    assert doc.xpath("//input[@id='feed-address']/@value") == [
        f"{web.settings.public_url}/feeds/world/rss.xml"
    ]
    assert [
        a.get("href").rsplit("/", 1)[1] for a in doc.xpath("//ul[@class='formats']//a")
    ] == FILES
    form = doc.xpath("//form")[0]
    assert form.get("action") == f"{web.settings.public_url}/subscribe"
    assert form.xpath(".//input[@name='sections']/@value") == ["world"]
    for accept in READERS:
        reader = web.http.get(path, headers={} if accept is None else {"accept": accept})
        assert reader.status_code == 200
        assert reader.headers["content-type"].startswith("application/"), accept
        assert reader.headers["vary"] == "Accept-Encoding, Accept"
        assert reader.headers["etag"] != page.headers["etag"]
    feed = web.http.get(path).content
    if name == "feed.json":
        assert json.loads(feed)["items"][0]["title"] == "Quake shakes the coast"
    else:
        assert feedparser.parse(feed).entries[0].title == "Quake shakes the coast"


@pytest.mark.parametrize("name", FILES)
def test_both_representations_revalidate(web: Web, name: str) -> None:
    path = f"/feeds/world/{name}"
    for accept in (BROWSER, "*/*"):
        for encoding in ("identity", "gzip"):
            first = web.http.get(path, headers={"accept": accept, "accept-encoding": encoding})
            again = web.http.get(
                path,
                headers={
                    "accept": accept,
                    "accept-encoding": encoding,
                    "if-none-match": first.headers["etag"],
                },
            )
            assert again.status_code == 304, (accept, encoding)
            assert again.headers["etag"] == first.headers["etag"]
            assert again.headers["vary"] == "Accept-Encoding, Accept"
            since = web.http.get(
                path,
                headers={"accept": accept, "if-modified-since": first.headers["last-modified"]},
            )
            assert since.status_code == 304
    # One representation's tag does not revalidate the other.
    feed = web.http.get(path, headers={"accept": "*/*"})
    crossed = web.http.get(path, headers={"accept": BROWSER, "if-none-match": feed.headers["etag"]})
    assert crossed.status_code == 200
    assert crossed.headers["content-type"] == "text/html; charset=utf-8"


def test_the_page_is_rendered_once_per_build(web: Web) -> None:
    first = web.http.get("/feeds/world/rss.xml", headers={"accept": BROWSER})
    cache = web.app.feed_cache
    held = cache.page("world/rss.xml")
    cache.refresh()
    assert cache.page("world/rss.xml") is held  # feed.json unchanged: nothing rendered again
    add_articles(
        web.engine,
        web.settings,
        web.clock.now(),
        {"url": "https://news.example.org/world/later", "headline": "Later story"},
    )
    publish(web.engine, web.settings, web.clock)
    second = web.http.get(
        "/feeds/world/rss.xml", headers={"accept": BROWSER, "if-none-match": first.headers["etag"]}
    )
    assert second.status_code == 200
    assert "Later story" in second.text
    assert second.headers["etag"] != first.headers["etag"]


def test_the_spanish_section_page_is_in_spanish(web: Web) -> None:
    page = web.http.get("/feeds/mundo/atom.xml", headers={"accept": BROWSER})
    assert page.headers["content-language"] == "es"
    doc = html.fromstring(page.content)
    assert doc.get("lang") == "es"
    assert "Copia esta dirección en tu lector de feeds" in page.text
    assert "Lluvias en la sierra" in page.text
    assert doc.xpath("//button")[0].text == "Continuar"
    assert "Copy this address" not in page.text


@pytest.mark.parametrize("accept", [BROWSER, "*/*"])
@pytest.mark.parametrize("name", FILES)
def test_every_feed_response_names_its_hub_and_itself(web: Web, name: str, accept: str) -> None:
    path = f"/feeds/mundo/{name}"
    for response in (
        web.http.get(path, headers={"accept": accept}),
        web.http.head(path, headers={"accept": accept}),
    ):
        links = response.headers["link"]
        assert '<http://127.0.0.1:9/hub>; rel="hub"' in links
        assert f'<{web.settings.public_url}{path}>; rel="self"' in links
    tag = web.http.get(path, headers={"accept": accept}).headers["etag"]
    unchanged = web.http.get(path, headers={"accept": accept, "if-none-match": tag})
    assert unchanged.status_code == 304 and 'rel="hub"' in unchanged.headers["link"]


def test_without_a_feed_json_a_browser_gets_xml_to_style(start_web) -> None:
    web = start_web(feed_check_seconds=0)
    publish_file(web.feeds, "world", "rss.xml", RSS)
    response = web.http.get("/feeds/world/rss.xml", headers={"accept": BROWSER})
    assert response.headers["content-type"] == "application/xml; charset=utf-8"
    assert response.content == RSS
    assert 'rel="self"' in response.headers["link"] and 'rel="hub"' not in response.headers["link"]


@pytest.mark.parametrize(("section", "words"), [("world", "Copy this address"), ("mundo", "Copia")])
def test_the_stylesheet_speaks_the_sections_language_and_offers_the_form(
    web: Web, section: str, words: str
) -> None:
    """For hosts that serve the files statically, feed.xsl still makes a readable page."""
    from lxml import etree

    transform = etree.XSLT(etree.parse(str(web.feeds / "feed.xsl")))
    for name in ("rss.xml", "atom.xml"):
        page = transform(etree.parse(str(web.feeds / section / name)))
        root = page.getroot()
        text = etree.tostring(root, method="text", encoding="unicode")
        assert words in text, name
        assert root.get("lang") == ("es" if section == "mundo" else "en")
        form = root.find(".//form")
        assert form.get("action") == f"{web.settings.public_url}/subscribe"
        assert form.xpath(".//input[@name='sections']/@value") == [section]


def test_the_feeds_index_lists_every_section(web: Web) -> None:
    page = web.http.get("/feeds/")
    assert page.status_code == 200
    doc = html.fromstring(page.content)
    assert [h.text_content() for h in doc.xpath("//main//h2")] == [
        "World",
        "Politics",
        "Mundo",
        "Test News",
    ]
    assert "International news" in page.text and "Noticias internacionales" in page.text
    world = doc.xpath("//section[@aria-labelledby='feeds-world']")[0]
    assert world.xpath(".//ul/li/a/text()") == ["Quake shakes the coast"]
    assert [a.text for a in world.xpath(".//a[@type]")] == ["RSS", "Atom", "JSON Feed"]
    alternates = doc.xpath("//head/link[@rel='alternate']/@href")
    assert f"{web.settings.public_url}/feeds/mundo/feed.json" in alternates
    assert len(alternates) == 3 * 4
    assert doc.xpath("//main//form[@action='/subscribe']//input[@name='email']")
    assert web.http.get("/feeds").status_code in (200, 301, 307, 308)


def test_the_subscribe_page_lists_the_feeds_and_takes_the_feed_pages_form(web: Web) -> None:
    page = web.http.get(
        "/subscribe", params={"email": "ana@example.org", "sections": "mundo", "lang": "es"}
    )
    doc = html.fromstring(page.content)
    assert doc.xpath("//input[@id='email']/@value") == ["ana@example.org"]
    assert doc.xpath("//input[@name='sections'][@checked]/@value") == ["mundo"]
    assert "/feeds/" in doc.xpath("//main//a/@href")
    assert "/feeds/world/rss.xml" in doc.xpath("//main//a/@href")
    stray = web.http.get("/subscribe", params={"sections": "nowhere"})
    assert html.fromstring(stray.content).xpath("//input[@name='sections'][@checked]") == []
