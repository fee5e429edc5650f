"""Any Unicode text in any field gives valid feeds (every address a URI) and clean emails."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage
from pathlib import Path

import feedparser
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st

from syndicate import config
from syndicate.digest import DigestRenderer, select_edition
from syndicate.errors import ConfigError
from syndicate.feeds import build_section_feeds
from tests.digest_data import NOW, article, subscriber
from tests.feed_rules import all_problems
from tests.uri_rules import uri_problems

# Every code point but surrogates (no encoding can hold them): controls, bidi, RTL, emoji.
anything = st.text(st.characters(exclude_categories=["Cs"]), max_size=60)
markup = st.sampled_from(
    [
        "<b>",
        "</p>",
        "<div>",
        "</div>",
        "&amp;",
        "&",
        "<",
        "]]>",
        "\x00",
        "\u202e",
        "\u2066",
        "\u200b",
        '<a href="',
        '<img src="',
        '">',
        "/../",
        "?q=",
        "#",
        "%",
        "%zz",
        "é",
        "\u0085",
    ]
)
messy = st.lists(st.one_of(anything, markup), max_size=6).map("".join)
url_tail = st.lists(st.one_of(anything, markup), max_size=5).map("".join)
urls = st.one_of(
    url_tail.map(lambda tail: "https://news.example.org/" + tail),
    url_tail.map(lambda tail: "https://bücher.example/" + tail),
    url_tail.map(lambda tail: "http://" + tail),
    anything,
)
guids = st.one_of(urls, messy, anything.map(lambda tail: "urn:" + tail), st.just(None))

MESSAGE_HEADERS = {
    "from",
    "to",
    "subject",
    "date",
    "message-id",
    "list-id",
    "list-unsubscribe",
    "list-unsubscribe-post",
    "mime-version",
    "content-type",
}


def site(section_title: str) -> config.Settings:
    return config.from_mapping(
        {
            "site": {"title": "Test News", "url": "https://news.example.org"},
            "sections": [{"slug": "world", "title": section_title}],
            "server": {"public_url": "https://feeds.example.org"},
        },
        base_dir=Path("/tmp"),
        env={"SYNDICATE_SECRET": "test-secret"},
    )


def parsed_message(raw: bytes) -> EmailMessage:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    defects = [(part.get_content_type(), part.defects) for part in message.walk() if part.defects]
    defects += [(name, message[name].defects) for name in message if message[name].defects]
    assert not defects, defects
    return message


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(
    headline=messy,
    byline=messy,
    lede=messy,
    body=messy,
    section_title=messy,
    image_url=urls,
    url=urls,
    guid=guids,
)
def test_any_text_and_any_address_give_valid_feeds_and_messages(
    headline: str,
    byline: str,
    lede: str,
    body: str,
    section_title: str,
    image_url: str,
    url: str,
    guid: str | None,
) -> None:
    try:
        settings_ = site("S " + section_title)
    except ConfigError:
        reject()
    item = article(
        1,
        url=url,
        guid=url if guid is None else guid,
        headline="H " + headline,
        byline=byline,
        lede=lede,
        body=body,
        image_url=image_url,
        image_caption=lede,
        published_at=NOW,
    )
    # A neighbour with a plain address, so a feed is never empty because of the first.
    neighbour = article(2, published_at=NOW)
    for slug in ("world", "all"):
        files = build_section_feeds(settings_, slug, [item, neighbour], NOW)
        assert all_problems(files) == []
        assert uri_problems(files) == []
        for name in ("rss.xml", "atom.xml"):
            parsed = feedparser.parse(files[name])
            assert parsed.bozo == 0, parsed.get("bozo_exception")
            assert 1 <= len(parsed.entries) <= 2

    reader = subscriber(7, ("world",))
    edition = select_edition(reader, [item, neighbour], None, NOW, settings_)
    rendered = DigestRenderer(settings_).message(edition, reader)
    message = parsed_message(rendered.message)
    names = [name.lower() for name in message]
    assert sorted(names) == sorted(MESSAGE_HEADERS), names
    assert message["To"].addresses[0].addr_spec == reader.email
    assert message["Subject"] == rendered.subject
    assert "\u202e" not in message["Subject"] and "\n" not in message["Subject"]
