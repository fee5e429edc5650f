"""Digest messages: golden files, and Python's parser reads every message without defects."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage
from html import unescape as html_unescape

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from syndicate import tokens
from syndicate.digest import DigestRenderer, select_edition
from syndicate.digest.mime import header, qp_encode
from tests.digest_data import NOW, article, english_edition, spanish_edition, subscriber
from tests.golden import assert_golden
from tests.messages import content, parse


def render(settings, articles, reader):
    edition = select_edition(reader, articles, None, NOW, settings)
    return DigestRenderer(settings).message(edition, reader)


def headers_text(message: EmailMessage) -> str:
    return "".join(f"{name}: {value}\n" for name, value in message.items())


@pytest.mark.parametrize(
    ("name", "articles", "reader"),
    [
        ("en", english_edition, subscriber(7, ("world", "politics"))),
        (
            "es",
            spanish_edition,
            subscriber(
                8, ("mundo",), language="es", timezone="Europe/Madrid", email="lectora@example.org"
            ),
        ),
    ],
)
def test_golden_digest(settings, name, articles, reader):
    rendered = render(settings, articles(), reader)
    message = parse(rendered.message)
    assert message.get_content_type() == "multipart/alternative"
    text_part, html_part = message.iter_parts()
    assert text_part.get_content_type() == "text/plain"
    assert html_part.get_content_type() == "text/html"
    assert_golden(f"digest/{name}.headers", headers_text(message))
    assert_golden(f"digest/{name}.txt", content(message, "plain"))
    assert_golden(f"digest/{name}.html", content(message, "html"))


def test_english_digest_content(settings):
    reader = subscriber(7, ("world", "politics"))
    rendered = render(settings, english_edition(), reader)
    message = parse(rendered.message)
    assert (
        message["Subject"]
        == "Nov 28: Dockworkers halt three Pacific ports as wage talks collapse, and 3 more"
    )
    assert message["To"] == "reader7@example.org"
    assert message["Message-ID"] == "<20261128.7.key-of-seven.digest@example.com>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["List-Id"] == "Test News digest <digest.example.com>"
    token = (
        message["List-Unsubscribe"]
        .removeprefix("<https://feeds.example.org/unsubscribe?token=")
        .removesuffix(">")
    )
    claims = tokens.verify("test-secret", "unsubscribe", token, NOW)
    assert (claims.subscriber_id, claims.link_key) == (7, "key-of-seven")
    html = content(message, "html")
    text = content(message, "plain")
    assert "https://feeds.example.org/digests/2026-11-28" in html
    assert 'alt="Container cranes stand idle at the port of Callao"' in html
    assert html.count("Read more") == 4 and text.count("Read more: ") == 4
    # Markup and quotes in a headline are text, never HTML.
    assert "&lt;" not in html and "<em>" not in html
    assert 'Electoral reform heads to a "final" vote &amp; more' in html
    assert "prefers-color-scheme: dark" in html  # dark-mode rules stay in <style>
    assert 'style="' in html and "<link" not in html  # CSS is inlined
    assert "preferences?token=" in html and "reader7@example.org" in text


def test_spanish_labels_and_dates(settings):
    reader = subscriber(8, ("mundo",), language="es")
    message = parse(render(settings, spanish_edition(), reader).message)
    assert (
        message["Subject"]
        == "28 nov: La cumbre del clima cierra con un acuerdo sobre financiamiento y 1 más"
    )
    text = content(message, "plain")
    assert "Leer más: https://news.example.org/story-11" in text
    assert "sábado, 28 de noviembre de 2026" in text
    assert "Darse de baja" in content(message, "html")


def test_hostile_headline_cannot_inject_headers(settings):
    evil = [
        article(1, headline="Breaking\r\nBcc: victim@example.org"),
        article(2, headline="=?utf-8?b?SGVsbG8NCkJjYzogeEBleGFtcGxlLm9yZw==?= news"),
    ]
    for item in evil:
        message = parse(render(settings, [item], subscriber()).message)
        assert message["Bcc"] is None
        assert "\n" not in message["Subject"] and "\r" not in message["Subject"]
    literal = parse(render(settings, [evil[1]], subscriber()).message)
    assert "=?utf-8?b?SGVsbG8NCkJjYzogeEBleGFtcGxlLm9yZw==?= news" in literal["Subject"]


def test_no_image_long_body_and_long_lede(settings):
    huge = "word " * 420_000  # ~2 MB
    items = [
        article(1, lede=huge, headline="Ünïcödé " * 40),
        article(2, image_url=None, body=f"<p>{huge}</p>"),
    ]
    rendered = render(settings, items, subscriber())
    assert len(rendered.message) < 100_000  # bodies never go into the digest; ledes are trimmed
    message = parse(rendered.message)
    html = content(message, "html")
    assert "<img" not in html
    assert "…" in content(message, "plain")
    assert message["Subject"].startswith("Nov 28: Ünïcödé Ünïcödé")
    for line in rendered.message.split(b"\r\n"):
        assert len(line) <= 998


def test_lines_end_in_crlf_and_are_short(settings):
    raw = render(settings, english_edition(), subscriber()).message
    assert b"\n" not in raw.replace(b"\r\n", b"")
    body = raw.split(b"\r\n\r\n", 1)[1]
    assert max(len(line) for line in body.split(b"\r\n")) <= 76


def test_same_edition_same_message_id_and_bytes(settings):
    first = render(settings, english_edition(), subscriber())
    again = render(settings, english_edition(), subscriber())
    assert first.message_id == again.message_id and first.message == again.message
    other = render(settings, english_edition(), subscriber(9))
    assert other.message_id != first.message_id


def test_shared_body_reused_personal_parts_differ(settings):
    renderer = DigestRenderer(settings)
    articles = english_edition()
    messages = []
    for reader in (subscriber(1), subscriber(2)):
        messages.append(
            renderer.message(select_edition(reader, articles, None, NOW, settings), reader)
        )
    assert len(renderer._prepared) == 1
    one, two = (content(parse(m.message), "html") for m in messages)
    assert one != two
    assert "reader1@example.org" in one and "reader2@example.org" in two


def test_unsubscribe_mailto_and_empty_edition(settings):
    configured = settings.model_copy(
        update={
            "digest": settings.digest.model_copy(update={"unsubscribe_mailto": "leave@example.com"})
        }
    )
    message = parse(render(configured, english_edition(), subscriber()).message)
    assert "<mailto:leave@example.com?subject=unsubscribe%20" in message["List-Unsubscribe"]
    empty = select_edition(subscriber(), [], None, NOW, settings)
    with pytest.raises(ValueError):
        DigestRenderer(settings).message(empty, subscriber())


def test_article_text_cannot_fill_personal_slots(settings):
    item = article(1, headline="SYNDICATESLOTunsubscribe_urlX", lede="SYNDICATESLOTemailX")
    message = parse(render(settings, [item], subscriber()).message)
    assert content(message, "plain").count("unsubscribe?token=") == 1
    assert content(message, "plain").count("reader7@example.org") == 1


def test_qp_chunks_join_to_the_original_text():
    import quopri

    pieces = ["a" * 75, "=", "ñ" * 30 + " ", "x" * 200 + "\n", "end"]
    joined = b"".join(qp_encode(p) for p in pieces)
    assert quopri.decodestring(joined).decode("utf-8") == "".join(pieces).replace("\n", "\r\n")
    assert all(len(line) <= 76 for line in joined.split(b"\r\n"))


def test_header_folding_and_encoding():
    folded = header("Subject", "word " * 30 + "end")
    assert all(len(line) <= 78 for line in folded.split(b"\r\n"))
    parsed = email.message_from_bytes(folded + b"\r\n", policy=email.policy.default)
    assert parsed["Subject"] == "word " * 30 + "end"
    with pytest.raises(ValueError):
        header("Subject", "a\nb")


@given(headline=st.text(min_size=1, max_size=300), lede=st.text(max_size=400))
@hypothesis_settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_any_text_gives_a_clean_message(settings, headline, lede):
    from syndicate import text

    item = article(1, headline=headline, lede=lede)
    message = parse(render(settings, [item], subscriber()).message)
    shown = text.plain(headline)
    assert message["Subject"] == text.plain(f"Nov 28: {shown}")
    if shown:
        assert shown in html_unescape(content(message, "html"))
