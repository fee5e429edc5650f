"""Edition windows: every article exactly once across consecutive editions."""

from __future__ import annotations

import random
from datetime import date, timedelta

from syndicate.digest.selection import select_edition, web_window
from tests.digest_data import NOW, article, subscriber


def test_first_edition_reaches_back_24_hours(settings):
    articles = [
        article(1, first_seen_at=NOW - timedelta(hours=23)),
        article(2, first_seen_at=NOW - timedelta(hours=25)),
    ]
    edition = select_edition(subscriber(), articles, None, NOW, settings)
    assert [a.id for a in edition.articles] == [1]
    assert edition.window_start == NOW - timedelta(hours=24)
    assert edition.window_end == NOW
    assert edition.edition_date == date(2026, 11, 28)  # 07:00 in Lima


def test_edition_date_is_the_subscribers_local_date(settings):
    late = NOW.replace(hour=3)  # 22:00 the day before in Lima, 04:00 in Madrid
    assert select_edition(subscriber(), [], None, late, settings).edition_date == date(2026, 11, 27)
    madrid = subscriber(timezone="Europe/Madrid")
    assert select_edition(madrid, [], None, late, settings).edition_date == date(2026, 11, 28)


def test_consecutive_editions_never_repeat_or_miss_even_after_a_day_without_sends(settings):
    rng = random.Random(4)
    start = NOW - timedelta(days=6)
    articles = [
        article(
            i,
            (rng.choice(["world", "politics", "mundo"]),),
            first_seen_at=start + timedelta(minutes=rng.randrange(6 * 24 * 60)),
        )
        for i in range(1, 400)
    ]
    # Daily cutoffs at irregular times, with day 3 missing entirely (downtime).
    cutoffs = [start + timedelta(days=d, hours=rng.randrange(24)) for d in (1, 2, 4, 5)] + [NOW]
    seen: list[int] = []
    previous = None
    for cutoff in cutoffs:
        edition = select_edition(
            subscriber(),
            articles,
            previous,
            cutoff,
            settings.model_copy(
                update={"digest": settings.digest.model_copy(update={"max_articles": 500})}
            ),
        )
        assert edition.window_start == (previous or cutoff - timedelta(hours=24))
        seen.extend(a.id for a in edition.articles)
        previous = edition.window_end
    assert len(seen) == len(set(seen))
    expected = {a.id for a in articles if cutoffs[0] - timedelta(hours=24) < a.first_seen_at <= NOW}
    assert set(seen) == expected


def test_article_in_two_sections_appears_once_under_the_first_followed(settings):
    shared = article(1, ("politics", "world"))
    both = select_edition(subscriber(), [shared, article(2)], None, NOW, settings)
    assert [a.id for a in both.articles] == [2, 1]
    assert both.placed == ("world", "politics")
    only_world = select_edition(subscriber(sections=("world",)), [shared], None, NOW, settings)
    assert only_world.placed == ("world",)
    assert [a.id for a in only_world.articles] == [1]


def test_section_added_or_removed_between_editions(settings):
    day1 = NOW - timedelta(days=1)
    old_politics = article(1, ("politics",), first_seen_at=day1 - timedelta(hours=2))
    new_politics = article(2, ("politics",), first_seen_at=NOW - timedelta(hours=2))
    new_world = article(3, ("world",), first_seen_at=NOW - timedelta(hours=1))
    articles = [old_politics, new_politics, new_world]
    first = select_edition(subscriber(sections=("world",)), articles, None, day1, settings)
    assert first.is_empty
    # Politics added: only what arrived since the last edition, not the back catalogue.
    added = select_edition(
        subscriber(sections=("world", "politics")), articles, first.window_end, NOW, settings
    )
    assert [a.id for a in added.articles] == [3, 2]
    # World removed: its news is gone from the next edition.
    removed = select_edition(
        subscriber(sections=("politics",)), articles, first.window_end, NOW, settings
    )
    assert [a.id for a in removed.articles] == [2]


def test_updated_and_withdrawn_articles_are_not_news(settings):
    previous = NOW - timedelta(hours=12)
    updated = article(1, first_seen_at=previous - timedelta(hours=1), updated_at=NOW)
    withdrawn = article(2, withdrawn=True)
    edition = select_edition(subscriber(), [updated, withdrawn], previous, NOW, settings)
    assert edition.is_empty
    assert edition.window_start == previous


def test_section_order_then_newest_first_capped_with_overflow(settings):
    articles = [
        article(i, ("mundo" if i % 3 == 0 else "politics" if i % 2 else "world",))
        for i in range(1, 13)
    ]
    capped = settings.model_copy(
        update={"digest": settings.digest.model_copy(update={"max_articles": 5})}
    )
    edition = select_edition(subscriber(), articles, None, NOW, capped)
    assert [a.id for a in edition.articles] == [2, 4, 8, 10, 1]
    assert edition.overflow == 7 and edition.total == 12
    assert [slug for slug, _ in edition.groups()] == ["world", "politics"]


def test_web_window_is_the_day_up_to_the_default_send_time(settings):
    start, end = web_window(settings, date(2026, 11, 28), NOW)
    assert end == NOW.replace(hour=12)  # 07:00 in Lima is 12:00 UTC
    assert start == end - timedelta(hours=24)
    early_start, early_end = web_window(settings, date(2026, 11, 28), NOW.replace(hour=9))
    assert early_end == NOW.replace(hour=9) and early_start == start
