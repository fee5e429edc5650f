"""The emails of reader self-service: the preferences link (goldens, en and es) and the
first digest after a pause, which starts where the pause began and says so."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from syndicate.digest import DigestRenderer, select_edition
from syndicate.digest.confirmation import ConfirmationRenderer
from syndicate.digest.selection import resume_from_pause
from tests.digest_data import NOW, english_edition, subscriber
from tests.golden import assert_golden
from tests.messages import content, parse

LINK = "https://feeds.example.org/preferences?token=abc"


@pytest.mark.parametrize(
    ("name", "reader", "subject"),
    [
        ("en", subscriber(5), "Your preferences link for Test News"),
        ("es", subscriber(6, language="es"), "Tu enlace de preferencias de Test News"),
    ],
)
def test_preferences_link_email(settings, name, reader, subject):
    message = parse(ConfirmationRenderer(settings).preferences_message(reader, LINK, NOW))
    assert message["Subject"] == subject
    assert message["To"] == reader.email
    assert message["Auto-Submitted"] == "auto-generated"
    assert ".link@" in message["Message-ID"]
    assert LINK in content(message, "plain")
    assert f'href="{LINK}"' in content(message, "html")
    assert_golden(f"link/{name}.txt", content(message, "plain"))
    assert_golden(f"link/{name}.html", content(message, "html"))


def test_the_first_edition_after_a_pause_starts_where_it_began(settings):
    paused_at = NOW - timedelta(hours=5)
    reader = subscriber(7, paused_until=date(2026, 11, 28), paused_at=paused_at)
    previous = NOW - timedelta(days=10)
    start = resume_from_pause(reader, previous)
    assert start == paused_at
    articles = english_edition()
    edition = select_edition(reader, articles, start, NOW, settings)
    assert edition.window_start == paused_at
    assert all(a.first_seen_at > paused_at for a in edition.articles)
    assert edition.articles and len(edition.articles) < len(articles)
    rendered = DigestRenderer(settings).message(replace(edition, resumed_from=paused_at), reader)
    message = parse(rendered.message)
    assert "You paused your digest on" in content(message, "plain")
    assert "You paused your digest on" in content(message, "html")
    # Once an edition has gone out after the pause, the next ones are ordinary.
    assert resume_from_pause(reader, NOW) is None
    assert not reader.paused_on(date(2026, 11, 28)) and reader.paused_on(date(2026, 11, 27))
