"""Corrections and withdrawals reach the readers who got the article, and only them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, update

from syndicate.clock import FixedClock
from syndicate.config import Settings
from syndicate.digest.edition import enqueue_editions
from syndicate.store.tables import outbox
from tests.cli import syndicate
from tests.lanes_helpers import add_reader, edition_text, editions, sent_dates
from tests.stored_articles import add_articles

MONDAY = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)  # 07:00 in Lima
TUESDAY = MONDAY + timedelta(days=1)
X = {"url": "https://news.example.org/world/x", "headline": "Bridge opens"}
NOTE = "An earlier version gave the wrong length of the bridge: it is 1,2 km, not 12 km."


def monday_then(engine: Engine, settings: Settings, change: dict[str, object]):
    a = add_reader(engine, settings, "a@example.org", ["world"], timezone="America/Lima")
    b = add_reader(engine, settings, "b@example.org", ["politics"], timezone="America/Lima")
    add_articles(engine, settings, MONDAY - timedelta(hours=3), X)
    add_articles(
        engine,
        settings,
        MONDAY - timedelta(hours=2),
        {"url": "https://news.example.org/politics/p", "section": "politics", "headline": "Vote"},
    )
    enqueue_editions(engine, settings, FixedClock(MONDAY))
    assert editions(engine, a)[MONDAY.date()] == ["Bridge opens"]
    assert editions(engine, b)[MONDAY.date()] == ["Vote"]
    # Tuesday morning the newsroom changes X; nothing else is published.
    add_articles(engine, settings, TUESDAY - timedelta(hours=5), X | change)
    enqueue_editions(engine, settings, FixedClock(TUESDAY))
    return a, b


def test_a_correction_reaches_the_reader_who_got_the_article_alone(
    engine: Engine, db_settings: Settings
) -> None:
    a, b = monday_then(engine, db_settings, {"correction": NOTE})
    tuesday = date(2026, 12, 1)
    assert sent_dates(engine, a) == [MONDAY.date(), tuesday]  # the correction alone makes it
    text = " ".join(edition_text(engine, db_settings, a, tuesday).split())  # the note is wrapped
    assert "CORRECTIONS" in text and NOTE in text
    assert "https://news.example.org/world/x" in text
    assert editions(engine, a)[tuesday] == ["correction:Bridge opens"]
    assert sent_dates(engine, b) == [MONDAY.date()]  # B never got X: not told
    # Told once: Wednesday brings nothing more, until the note changes again.
    enqueue_editions(engine, db_settings, FixedClock(TUESDAY + timedelta(days=1)))
    assert sent_dates(engine, a) == [MONDAY.date(), tuesday]
    add_articles(
        engine,
        db_settings,
        TUESDAY + timedelta(days=1, hours=3),
        X | {"correction": NOTE + " Sorry."},
    )
    enqueue_editions(engine, db_settings, FixedClock(TUESDAY + timedelta(days=2)))
    assert sent_dates(engine, a)[-1] == date(2026, 12, 3)
    # Once sent, `status` counts the corrections delivered (two, both to A).
    with engine.begin() as conn:
        conn.execute(update(outbox).values(state="sent"))
    shown = syndicate(Path(db_settings.source), "status")
    assert "corrections delivered: 2" in shown.stdout, shown.stdout + shown.stderr


def test_a_withdrawal_gets_a_retracted_line_for_those_who_got_it(
    engine: Engine, db_settings: Settings
) -> None:
    a, b = monday_then(engine, db_settings, {"withdrawn": True})
    tuesday = date(2026, 12, 1)
    text = edition_text(engine, db_settings, a, tuesday)
    assert "Retracted: this article has been withdrawn." in text
    assert "Bridge opens" in text
    assert sent_dates(engine, b) == [MONDAY.date()]


@pytest.mark.parametrize("language", ["es"])
def test_the_block_speaks_the_readers_language(
    engine: Engine, db_settings: Settings, language: str
) -> None:
    reader = add_reader(engine, db_settings, "c@example.org", ["world"], language=language)
    add_articles(engine, db_settings, MONDAY - timedelta(hours=3), X)
    enqueue_editions(engine, db_settings, FixedClock(MONDAY))
    add_articles(engine, db_settings, TUESDAY - timedelta(hours=5), X | {"correction": NOTE})
    enqueue_editions(engine, db_settings, FixedClock(TUESDAY))
    day = sent_dates(engine, reader)[-1]
    assert "CORRECCIONES" in edition_text(engine, db_settings, reader, day)
