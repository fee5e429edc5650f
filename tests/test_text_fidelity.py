"""What the newsroom wrote is what the feeds say: entities once, paragraphs kept, no bidi tricks."""

from __future__ import annotations

import json
from pathlib import Path

import feedparser
import pytest

from syndicate import config, text
from syndicate.articles import parse_json
from syndicate.errors import ConfigError
from syndicate.feeds import build_section_feeds
from syndicate.importer import import_paths
from syndicate.store.articles import newest_in
from tests.conftest import article_json, write_config
from tests.feed_rules import ATOM, CONTENT, all_problems, parse
from tests.feeds_data import FIXED, make_article, stored

ATT = "<div>AT&amp;T buys T&amp;C for &lt;$5bn.</div><div>Second paragraph.</div>"
ATT_HTML = "<p>AT&amp;T buys T&amp;C for &lt;$5bn.</p><p>Second paragraph.</p>"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (ATT, ATT_HTML),
        ("<section>One</section><section>Two</section>", "<p>One</p><p>Two</p>"),
        ("<article><h1>Title</h1><div>Text</div></article>", "<p>Title</p><p>Text</p>"),
        ("<div>A<div>B <b>bold</b></div>C</div>", "<p>A</p><p>B <b>bold</b></p><p>C</p>"),
        (
            "<div>Intro<ul><li>one</li></ul>after</div>",
            "<p>Intro</p><ul><li>one</li></ul><p>after</p>",
        ),
        ("Loose<div>boxed</div>", "<p>Loose</p><p>boxed</p>"),
        ("<div>x &amp;amp; y</div>", "<p>x &amp;amp; y</p>"),
        ("<p>Kept &quot;as is&quot; &#233;</p>", '<p>Kept "as is" é</p>'),
    ],
)
def test_blocks_become_paragraphs_and_entities_are_decoded_once(
    settings: config.Settings, body: str, expected: str
) -> None:
    record = parse_json(article_json(body=body), settings)
    assert record.body == expected
    assert text.sanitize_html(record.body, base=record.url) == expected  # stable


def test_the_example_reads_at_and_t_in_every_format(settings: config.Settings) -> None:
    record = parse_json(article_json(body=ATT, lede=""), settings)
    assert record.lede == "AT&T buys T&C for <$5bn."
    files = build_section_feeds(settings, "world", [stored(record, 1)], FIXED)
    assert all_problems(files) == []
    for name in ("rss.xml", "atom.xml"):
        assert b"&amp;amp;" not in files[name]
        assert b"AT&amp;T" in files[name]
    item = parse(files["rss.xml"]).find("channel/item")
    assert item.findtext(f"{CONTENT}encoded") == ATT_HTML
    assert item.findtext("description") == "AT&amp;T buys T&amp;C for &lt;$5bn."
    entry = parse(files["atom.xml"]).find(f"{ATOM}entry")
    assert entry.findtext(f"{ATOM}content") == ATT_HTML
    assert entry.findtext(f"{ATOM}summary") == "AT&T buys T&C for <$5bn."
    assert json.loads(files["feed.json"])["items"][0]["content_html"] == ATT_HTML
    for name in ("rss.xml", "atom.xml"):
        parsed = feedparser.parse(files[name])
        assert parsed.bozo == 0
        value = parsed.entries[0].content[0].value
        assert "AT&amp;T buys" in value and "&amp;amp;" not in value
        assert "<p>Second paragraph.</p>" in value


def test_a_body_holding_the_cdata_end_is_still_escaped_right(settings: config.Settings) -> None:
    record = parse_json(article_json(body='<p title="]]>">x ]]&gt; y</p>'), settings)
    files = build_section_feeds(settings, "world", [stored(record, 1)], FIXED)
    assert all_problems(files) == []
    content = parse(files["atom.xml"]).find(f"{ATOM}entry").findtext(f"{ATOM}content")
    assert content == record.body


BIDI = ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069"]
INVISIBLE = [*BIDI, "\u200b", "\u200e", "\u200f", "\u061c", "\u2060", "\ufeff", "\u00ad"]


@pytest.mark.parametrize("mark", INVISIBLE)
def test_bidi_and_invisible_characters_leave_every_line_of_text(tmp_path: Path, mark: str) -> None:
    # In the operator's own config such a character is a mistake to fix, named by key.
    (tmp_path / "refused").mkdir()
    refused = write_config(
        tmp_path / "refused",
        extra=f'\n[[sections]]\nslug = "tricky"\ntitle = "Tri{mark}cky"\n',
    )
    with pytest.raises(ConfigError, match=r"\[\[sections\]\] #\d+ title: .*control character"):
        config.load(refused, env={"SYNDICATE_SECRET": "x"})
    path = write_config(tmp_path, extra='\n[[sections]]\nslug = "tricky"\ntitle = "Tricky"\n')
    settings = config.load(path, env={"SYNDICATE_SECRET": "x"})
    record = parse_json(
        article_json(
            section="tricky",
            headline=f"Pay {mark}gpj.exe",
            byline=f"Ana{mark} Quispe",
            lede=f"Le{mark}de.",
            image={"url": "https://img.example.org/a.jpg", "caption": f"Cap{mark}tion"},
        ),
        settings,
    )
    assert (record.headline, record.byline, record.lede) == ("Pay gpj.exe", "Ana Quispe", "Lede.")
    assert record.image_caption == "Caption"
    files = build_section_feeds(settings, "tricky", [stored(record, 1)], FIXED)
    for data in files.values():
        assert mark.encode() not in data
        assert json.dumps(mark).strip('"').encode() not in data
    assert b"Tricky" in files["rss.xml"]


def test_emoji_and_scripts_that_need_joiners_are_kept(settings: config.Settings) -> None:
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
    persian = "می\u200cخواهم"
    record = parse_json(article_json(headline=f"{family} {persian} مرحبا"), settings)
    assert record.headline == f"{family} {persian} مرحبا"


def test_guids_are_stored_as_published(engine, db_settings, tmp_path: Path, clock) -> None:
    # The same address written as an IRI, percent-encoded, with an invisible character,
    # and with an IDN host in both forms: one article each, however it is written.
    source = tmp_path / "same.jsonl"
    same = [
        "https://news.example.org/elección",
        "https://news.example.org/elecci%C3%B3n",
        "https://news.example.org/elecci\u200bón",
        "https://bücher.example/a",
        "https://xn--bcher-kva.example/a",
    ]
    source.write_text(
        "\n".join(json.dumps(article_json(url=url)) for url in same), encoding="utf-8"
    )
    report = import_paths(engine, db_settings, [source], clock)
    assert (report.new, report.rejected) == (2, [])
    with engine.connect() as conn:
        rows = newest_in(conn, None, 50)
    assert sorted(a.guid for a in rows) == [
        "https://news.example.org/elecci%C3%B3n",
        "https://xn--bcher-kva.example/a",
    ]
    assert all(a.guid == a.url for a in rows)
    files = build_section_feeds(db_settings, "world", rows, FIXED)
    guids = [g.text for g in parse(files["rss.xml"]).iter("guid")]
    assert sorted(guids) == sorted(a.guid for a in rows)


def test_stored_guids_that_publish_alike_show_once(settings: config.Settings) -> None:
    # Written before import normalised guids: they differ only by control characters
    # or by how the address is encoded, and would publish the same id.
    variants = [
        "https://news.example.org/a",
        "https://news.example.org/a\u0000",
        "https://news.example.org/a\u001f",
        "https://news.example.org/\u200ba",
    ]
    articles = [make_article(n, guid=g, url=g) for n, g in enumerate(variants, start=1)]
    articles.append(make_article(9, guid="https://news.example.org/é", url="https://x.example/1"))
    articles.append(
        make_article(10, guid="https://news.example.org/%C3%A9", url="https://x.example/2")
    )
    files = build_section_feeds(settings, "world", articles, FIXED)
    assert all_problems(files) == []
    guids = [g.text for g in parse(files["rss.xml"]).iter("guid")]
    assert guids == ["https://news.example.org/a", "https://news.example.org/%C3%A9"]
