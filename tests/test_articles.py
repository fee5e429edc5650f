from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from syndicate import text
from syndicate.articles import ArticleRejected, parse_json, parse_seed
from syndicate.config import Settings

from .conftest import article_json, seed_article


def test_seed_article(settings: Settings) -> None:
    article = parse_seed(seed_article().read_text(encoding="utf-8"), settings)
    assert article.sections == ("world",)
    assert article.headline == "The Pact between Russia and North Korea that the West does not like"
    assert article.byline == "Redacción"
    assert article.image_url is None
    assert article.url == "https://500palabras.pe/en/world.php?noticias_id=1"
    assert article.guid == article.url
    assert article.lede.startswith("After 24 years") and article.lede.endswith(
        "returns this Tuesday to"
    )
    assert article.lede_is_teaser
    assert article.body.startswith("<p>Relations between Russia")
    assert article.language == "en"


SEED = """{section}

{image_label}
{headline}
{byline_label}
{lede}
{url}
First paragraph.

Second paragraph.
"""


def seed(**overrides: str) -> str:
    values = {
        "section": "World",
        "image_label": "Imagen:",
        "headline": "Headline",
        "byline_label": "Redacción:",
        "lede": "A full lede.",
        "url": "https://news.example.org/a",
    }
    values.update(overrides)
    return SEED.format(**values)


def test_seed_labels_in_english_with_values(settings: Settings) -> None:
    article = parse_seed(
        seed(image_label="Image: https://img.example.org/a.jpg", byline_label="By: Ana Quispe"),
        settings,
    )
    assert article.image_url == "https://img.example.org/a.jpg"
    assert article.byline == "Ana Quispe"
    assert article.body == "<p>First paragraph.</p><p>Second paragraph.</p>"
    assert not article.lede_is_teaser


def test_seed_section_by_slug_or_title_case_insensitive(settings: Settings) -> None:
    assert parse_seed(seed(section="MUNDO"), settings).sections == ("mundo",)
    assert parse_seed(seed(section="mundo"), settings).language == "es"


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        ({"section": "Sports"}, "section", "unknown section 'Sports'; use one of world"),
        ({"url": "/world/relative"}, "url", "not an absolute http(s) URL"),
        ({"url": "", "lede": "ftp://nope"}, "url", "not an absolute"),
        ({"headline": "<b> </b>"}, "headline", "empty"),
    ],
)
def test_seed_rejections_name_the_field(
    settings: Settings, overrides: dict[str, str], field: str, words: str
) -> None:
    with pytest.raises(ArticleRejected) as caught:
        parse_seed(seed(**overrides), settings)
    assert any(e.field == field and words in e.error for e in caught.value.errors), (
        caught.value.errors
    )


def test_missing_lede_comes_from_body(settings: Settings) -> None:
    article = parse_json(
        article_json(lede="", body="<p>One sentence here. Two sentences here.</p><p>More.</p>"),
        settings,
    )
    assert article.lede == "One sentence here. Two sentences here."
    assert not article.lede_is_teaser


def test_json_fields_normalised(settings: Settings) -> None:
    article = parse_json(
        article_json(
            headline="<em>Big</em> &amp; \x07bold\r\nnews",
            lede="Caf\u0065\u0301 opens\u0000",
            byline=" Ana\n Quispe ",
            body='<p onclick="x()">Hi<script>alert(1)</script> <a href="javascript:alert(1)">x</a></p>',
            image={"url": "https://img.example.org/a.png", "alt": "<b>Alt</b>", "credit": "AP"},
            sections=["politics", "World", "politics"],
            published_at="2026-11-27T10:00:00Z",
        ),
        settings,
    )
    assert article.headline == "Big & bold news"
    assert article.lede == "Café opens" and article.lede == "Caf\u00e9 opens"
    assert article.byline == "Ana Quispe"
    assert "script" not in article.body and "onclick" not in article.body
    assert "javascript" not in article.body
    assert article.sections == ("politics", "world")
    assert article.image_alt == "Alt" and article.image_credit == "AP"
    assert article.published_at is not None and article.published_at.utcoffset() is not None


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"url": None}, "url"),
        ({"url": "news.example.org/x"}, "url"),
        ({"section": "sports"}, "section"),
        ({"section": None}, "section"),
        ({"headline": ""}, "headline"),
        ({"published_at": "yesterday"}, "published_at"),
        ({"updated_at": "2026-11-27T10:00:00"}, "updated_at"),
        ({"image": {"url": "img.jpg"}}, "image.url"),
        ({"language": 7}, "language"),
    ],
)
def test_json_rejections(settings: Settings, overrides: dict[str, object], field: str) -> None:
    with pytest.raises(ArticleRejected) as caught:
        parse_json(article_json(**overrides), settings)
    assert [e.field for e in caught.value.errors] == [field]


def test_json_lists_every_bad_field(settings: Settings) -> None:
    with pytest.raises(ArticleRejected) as caught:
        parse_json({"url": "x", "headline": ""}, settings)
    assert {e.field for e in caught.value.errors} == {"url", "section", "headline"}


@given(st.text())
def test_plain_text_is_one_clean_line(value: str) -> None:
    result = text.plain(value)
    assert "\r" not in result and "\n" not in result
    assert all(ord(c) >= 0x20 and not (0x7F <= ord(c) <= 0x9F) for c in result)
    assert result == result.strip()


@given(st.text())
def test_sanitised_html_has_no_script(value: str) -> None:
    result = text.sanitize_html(value + "<script>x</script><img src=x onerror=y>")
    assert "<script" not in result and "onerror" not in result
