"""Weekly and daily readers over two weeks of ticks with a controlled clock (real databases)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine

from syndicate.clock import FixedClock
from syndicate.config import Settings
from syndicate.digest.slots import slot_instant
from syndicate.schedule.tick import digest_tick
from syndicate.store import subscribers as subscriber_store
from tests.lanes_helpers import add_reader, edition_text, editions, sent_dates
from tests.schedule_helpers import record_editions
from tests.stored_articles import add_articles
from tests.test_schedule_due import sent_at

START = datetime(2026, 12, 3, 0, 0, tzinfo=UTC)  # a Thursday
END = datetime(2026, 12, 16, 13, 0, tzinfo=UTC)  # the second Wednesday after, 08:00 in Lima
WEDNESDAYS = [date(2026, 12, 9), date(2026, 12, 16)]


def story(day: date) -> dict[str, str]:
    return {"url": f"https://news.example.org/world/{day.isoformat()}", "headline": f"News {day}"}


def two_weeks(engine: Engine, settings: Settings, switches=()) -> list[str]:
    """Tick every 20 minutes; one article a day at 06:00 UTC (01:00 in Lima); apply
    ``switches`` (instant, action) on the way. Returns the headlines published."""
    clock = FixedClock(START)
    published: list[str] = []
    pending = sorted(switches, key=lambda item: item[0])
    while clock.now() < END:
        now = clock.now()
        if now.hour == 6 and now.minute == 0:
            add_articles(engine, settings, now, story(now.date()))
            published.append(f"News {now.date()}")
        while pending and pending[0][0] <= now:
            pending.pop(0)[1]()
        digest_tick(engine, settings, clock)
        clock.advance(minutes=20)
    return published


def set_lane(engine: Engine, reader: int, cadence: str, weekday: str = "") -> None:
    with engine.begin() as conn:
        me = subscriber_store.get(conn, reader)
        assert me is not None
        subscriber_store.set_preferences(
            conn,
            reader,
            me.sections,
            me.timezone,
            me.language,
            me.digest_time,
            lane=(cadence, weekday, me.alerts),
        )


def test_a_weekly_reader_gets_two_editions_holding_every_article_once(
    engine: Engine, db_settings: Settings
) -> None:
    weekly = add_reader(
        engine,
        db_settings,
        "weekly@example.org",
        timezone="America/Lima",
        digest_time="07:00",
        cadence="weekly",
        weekday="wed",
    )
    published = two_weeks(engine, db_settings)
    assert len(published) == 14
    assert sent_dates(engine, weekly) == WEDNESDAYS
    carried = editions(engine, weekly)
    assert sorted(carried) == WEDNESDAYS
    got = [headline for day in WEDNESDAYS for headline in carried[day]]
    assert Counter(got) == Counter(published)  # every article, each once
    # The first week's edition holds that week; the second, the one after.
    assert "News 2026-12-09" in carried[WEDNESDAYS[0]]
    assert "News 2026-12-10" in carried[WEDNESDAYS[1]]
    text = edition_text(engine, db_settings, weekly, WEDNESDAYS[1])
    assert "This week's stories" in text and "Your weekly digest" in text
    assert "WORLD" in text  # listed by section


def test_switching_between_daily_and_weekly_misses_nothing_and_repeats_nothing(
    engine: Engine, db_settings: Settings
) -> None:
    reader = add_reader(
        engine, db_settings, "switch@example.org", timezone="America/Lima", digest_time="07:00"
    )
    daily = add_reader(
        engine, db_settings, "daily@example.org", timezone="America/Lima", digest_time="07:00"
    )
    published = two_weeks(
        engine,
        db_settings,
        switches=[
            # Saturday evening: weekly from now on, on Wednesdays...
            (
                datetime(2026, 12, 5, 18, 0, tzinfo=UTC),
                lambda: set_lane(engine, reader, "weekly", "wed"),
            ),
            # ...and daily again on the Sunday after the first weekly edition.
            (datetime(2026, 12, 13, 18, 0, tzinfo=UTC), lambda: set_lane(engine, reader, "daily")),
        ],
    )
    dates = sent_dates(engine, reader)
    assert dates == [
        date(2026, 12, 3),
        date(2026, 12, 4),
        date(2026, 12, 5),
        date(2026, 12, 9),  # the weekly one: Sunday to Wednesday in one edition
        date(2026, 12, 14),  # daily again: Thursday to Monday
        date(2026, 12, 15),
        date(2026, 12, 16),
    ]
    carried = editions(engine, reader)
    got = [headline for day in dates for headline in carried[day]]
    assert Counter(got) == Counter(published)
    assert carried[date(2026, 12, 9)] == [f"News 2026-12-0{d}" for d in (6, 7, 8, 9)]
    # The reader who stayed daily had one edition a day throughout.
    assert len(sent_dates(engine, daily)) == 14


@pytest.mark.parametrize(
    ("start", "zone", "hhmm", "sunday"),
    [
        (datetime(2026, 3, 28, 12, 0, tzinfo=UTC), "Europe/Madrid", "02:30", date(2026, 3, 29)),
        (datetime(2026, 10, 24, 12, 0, tzinfo=UTC), "Europe/Madrid", "02:30", date(2026, 10, 25)),
        (datetime(2026, 10, 31, 12, 0, tzinfo=UTC), "America/New_York", "01:30", date(2026, 11, 1)),
    ],
)
def test_a_weekly_reader_on_a_dst_sunday_gets_it_once(
    engine: Engine, db_settings: Settings, start: datetime, zone: str, hhmm: str, sunday: date
) -> None:
    """The skipped or repeated hour falls on the weekly reader's day: one edition, that day."""
    add_reader(
        engine,
        db_settings,
        "sunday@example.org",
        timezone=zone,
        digest_time=hhmm,
        cadence="weekly",
        weekday="sun",
    )
    clock = FixedClock(start)
    while clock.now() < start + timedelta(days=3):
        digest_tick(engine, db_settings, clock, record_editions)
        clock.advance(minutes=10)
    at = {
        day: when for (email, day), when in sent_at(engine).items() if email == "sunday@example.org"
    }
    assert list(at) == [sunday]
    slot = slot_instant(sunday, hhmm, zone)
    assert slot <= at[sunday] < slot + timedelta(minutes=10)
