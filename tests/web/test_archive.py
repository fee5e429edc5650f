"""The archive over real HTTP: /digests/ per language, edition pages, the Atom feed of
editions, and the "view in browser" link that opens the reader's own edition."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from lxml import html

from syndicate import subscribers as subs
from syndicate.delivery import deliver_due
from syndicate.digest import archive
from syndicate.digest.edition import enqueue_editions
from syndicate.senders import make_sender
from syndicate.store import subscribers as subscriber_store
from tests.feed_rules import atom_problems, parse
from tests.stored_articles import add_articles
from tests.web.conftest import Web

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def web(start_web) -> Web:
    served = start_web()
    now = served.clock.now()
    for age, slug, headline in [
        (timedelta(hours=1), "world", "World today"),
        (timedelta(hours=2), "mundo", "Mundo hoy"),
        (timedelta(days=3), "politics", "Politics three days ago"),
        (timedelta(days=45), "world", "World long ago"),
    ]:
        add_articles(
            served.engine,
            served.settings,
            now - age,
            {
                "url": f"https://news.example.org/{slug}/{age.days}",
                "section": slug,
                "headline": headline,
            },
        )
    return served


def day_of(web: Web, age: timedelta) -> str:
    now = web.clock.now()
    return archive.edition_day(web.settings, now - age, now).isoformat()


def listed_days(page) -> list[str]:
    return html.fromstring(page.content).xpath("//ul[@class='editions']//time/@datetime")


def test_the_archive_lists_each_languages_editions_newest_first(web: Web) -> None:
    english = web.http.get("/digests/", params={"lang": "en"})
    assert english.status_code == 200
    days = listed_days(english)
    today, three_ago = day_of(web, timedelta(hours=1)), day_of(web, timedelta(days=3))
    assert days == [today, three_ago]
    doc = html.fromstring(english.content)
    assert doc.xpath("//a[@rel='next']/@href") == ["/digests/?lang=en&page=2"]
    assert doc.xpath("//link[@type='application/atom+xml']/@href") == ["/digests/feed.xml?lang=en"]
    older = web.http.get("/digests/", params={"lang": "en", "page": "2"})
    assert listed_days(older) == [day_of(web, timedelta(days=45))]
    assert html.fromstring(older.content).xpath("//a[@rel='prev']")
    spanish = web.http.get("/digests/", params={"lang": "es"})
    assert listed_days(spanish) == [day_of(web, timedelta(hours=2))]
    assert "Ediciones anteriores" in spanish.text
    for bad in ("0", "x", "99999"):
        assert web.http.get("/digests/", params={"page": bad}).status_code == 404


def test_an_editions_page_per_language_and_the_public_one(web: Web) -> None:
    today = day_of(web, timedelta(hours=1))
    spanish = web.http.get(f"/digests/{today}", params={"lang": "es"})
    assert spanish.status_code == 200
    assert "Mundo hoy" in spanish.text and "World today" not in spanish.text
    assert html.fromstring(spanish.content).get("lang") == "es"
    public = web.http.get(f"/digests/{today}")
    assert "Mundo hoy" in public.text and "World today" in public.text
    assert public.headers["cache-control"] == "public, max-age=300"


def test_the_feed_of_editions_is_valid_atom(web: Web) -> None:
    response = web.http.get("/digests/feed.xml", params={"lang": "en"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/atom+xml; charset=utf-8"
    assert atom_problems(response.content) == []
    root = parse(response.content)
    links = [e.find(f"{ATOM}link").get("href") for e in root.findall(f"{ATOM}entry")]
    today = day_of(web, timedelta(hours=1))
    assert links[0] == f"{web.settings.public_url}/digests/{today}?lang=en"
    page = web.http.get(links[0].removeprefix(web.settings.public_url))
    assert "World today" in page.text
    spanish = web.http.get("/digests/feed.xml", params={"lang": "es"})
    assert atom_problems(spanish.content) == []
    assert len(parse(spanish.content).findall(f"{ATOM}entry")) == 1


def test_view_in_browser_opens_the_readers_own_edition(web: Web) -> None:
    with web.engine.begin() as conn:
        item = subs.validate(
            web.settings, "lector@example.org", ["mundo"], "America/Lima", "es", None, "active"
        )
        subscriber_store.save(conn, item, web.clock.now() - timedelta(days=1))
    enqueue_editions(web.engine, web.settings, web.clock)
    deliver_due(web.engine, web.settings, web.clock, make_sender)
    (mail,) = web.mails()
    body = mail.get_body(("plain",)).get_content()
    url = re.search(r"https?://\S+/digests/\S+\?token=\S+", body)[0]
    page = web.http.get(url.removeprefix(web.settings.public_url))
    assert page.status_code == 200
    assert page.headers["cache-control"] == "private, no-store"
    assert "Mundo hoy" in page.text and "World today" not in page.text
    assert html.fromstring(page.content).get("lang") == "es"
    assert "lector@example.org" not in page.text
    # Another purpose's token, or a damaged one, opens nothing.
    token = url.split("token=")[1]
    forged = web.http.get(
        f"/digests/{day_of(web, timedelta(hours=1))}", params={"token": token[:-2]}
    )
    assert forged.status_code == 400 and "Mundo hoy" not in forged.text
