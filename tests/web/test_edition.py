"""The public page of one day's edition: rendered from plain data, and read from the store."""

from __future__ import annotations

from datetime import date, timedelta

from syndicate.web.edition import render_web_edition, web_edition_page
from tests.digest_data import NOW, article, english_edition, spanish_edition
from tests.stored_articles import add_articles


def test_web_edition_has_every_section_and_nothing_personal(settings):
    articles = (
        english_edition() + spanish_edition() + [article(99, first_seen_at=NOW - timedelta(days=3))]
    )
    page = render_web_edition(settings, articles, NOW.date(), NOW)
    assert page.startswith("<!DOCTYPE html>")
    for title in ("World", "Politics", "Mundo"):
        assert f">{title}</h2>" in page
    assert "story-99" not in page
    assert "unsubscribe" not in page and "token=" not in page


def test_web_edition_page_reads_the_days_articles(engine, db_settings):
    add_articles(
        engine,
        db_settings,
        NOW - timedelta(hours=2),
        {"url": "https://news.example.org/a", "headline": "Fresh story"},
    )
    add_articles(
        engine,
        db_settings,
        NOW - timedelta(days=2),
        {"url": "https://news.example.org/b", "headline": "Old story"},
    )
    page = web_edition_page(engine, db_settings, date(2026, 11, 28), NOW)
    assert "Fresh story" in page and "Old story" not in page
    assert "Nothing was published" in web_edition_page(engine, db_settings, date(2026, 12, 5), NOW)
