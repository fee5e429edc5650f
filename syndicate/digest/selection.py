"""Which articles one subscriber's edition holds: a pure function of data and two instants.

An edition covers the articles first seen in ``(window_start, window_end]``.
``window_start`` is where the subscriber's previous edition ended, so consecutive
editions tile time with no gap and no overlap whatever the send schedule was;
``first_seen_at`` never moves when an article is updated, so an edit is not news.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from syndicate.articles import Article
from syndicate.config import Settings
from syndicate.digest.corrections import Notice
from syndicate.subscribers.cadence import first_reach

if TYPE_CHECKING:
    from syndicate.subscribers import Subscriber

FIRST_EDITION_REACH = timedelta(hours=24)


@dataclass(frozen=True)
class Edition:
    """One subscriber's digest for one local date; empty when nothing is new."""

    subscriber_id: int
    edition_date: date
    window_start: datetime
    window_end: datetime
    articles: tuple[Article, ...] = ()
    # Articles in the window beyond [digest] max_articles: counted, linked, not shown.
    overflow: int = 0
    # The section each shown article is listed under (its first one the reader follows).
    placed: tuple[str, ...] = field(default=(), compare=False)
    # The first edition after a pause starts where the pause began, and says so.
    resumed_from: datetime | None = None
    cadence: str = "daily"  # "weekly": the email speaks of this week
    # Corrections and retractions of articles this reader got before (digest.corrections).
    notices: tuple[Notice, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not self.articles and not self.notices

    @property
    def total(self) -> int:
        return len(self.articles) + self.overflow

    def groups(self) -> list[tuple[str, list[Article]]]:
        """(section slug, articles) in display order."""
        out: list[tuple[str, list[Article]]] = []
        for slug, article in zip(self.placed, self.articles, strict=True):
            if not out or out[-1][0] != slug:
                out.append((slug, []))
            out[-1][1].append(article)
        return out


def local_date(moment: datetime, timezone: str) -> date:
    return moment.astimezone(ZoneInfo(timezone)).date()


def window_start(
    previous_cutoff: datetime | None, cutoff: datetime, reach: timedelta = FIRST_EDITION_REACH
) -> datetime:
    """Where the previous edition ended; a first edition reaches back ``reach``."""
    return previous_cutoff if previous_cutoff is not None else cutoff - reach


def resume_from_pause(subscriber: Subscriber, start: datetime) -> datetime | None:
    """Where the first edition after a pause starts (when the pause began), or None when
    this edition is not the first after one: what came before the pause is not sent."""
    paused_at = subscriber.paused_at
    return paused_at if paused_at is not None and start <= paused_at else None


def web_window(settings: Settings, day: date, now: datetime) -> tuple[datetime, datetime]:
    """The window of the public web edition of ``day``: the 24 hours up to that day's
    default send time in the site's timezone (or up to ``now`` while the day is young).
    """
    hour, minute = (int(part) for part in settings.schedule.digest_time.split(":"))
    zone = ZoneInfo(settings.site.timezone)
    cutoff = datetime.combine(day, time(hour, minute), tzinfo=zone).astimezone(UTC)
    return cutoff - FIRST_EDITION_REACH, min(cutoff, now)


def arrange(
    articles: Iterable[Article], settings: Settings, follows: tuple[str, ...] = ()
) -> list[tuple[str, Article]]:
    """Each article once, under its first followed section; section order, then newest first.

    ``follows`` empty means every section.
    """
    order = {slug: i for i, slug in enumerate(settings.section_slugs)}
    seen: set[int] = set()
    placed: list[tuple[int, float, int, str, Article]] = []
    for article in articles:
        if article.id in seen or article.withdrawn:
            continue
        home = next(
            (
                slug
                for slug in article.sections
                if slug in order and (not follows or slug in follows)
            ),
            None,
        )
        if home is None:
            continue
        seen.add(article.id)
        placed.append((order[home], -article.sort_time.timestamp(), -article.id, home, article))
    placed.sort(key=lambda item: item[:3])
    return [(home, article) for _, _, _, home, article in placed]


def select_edition(
    subscriber: Subscriber,
    candidates: Iterable[Article],
    previous_cutoff: datetime | None,
    cutoff: datetime,
    settings: Settings,
    edition_date: date | None = None,
    already: Collection[int] = (),
    notices: Sequence[Notice] = (),
) -> Edition:
    """The edition ``subscriber`` gets at ``cutoff``; ``previous_cutoff`` None reaches back
    one period (a day, or a week for a weekly reader).

    ``already``: ids of articles this reader already got (as an alert): not repeated.
    ``notices``: the corrections and retractions owed to this reader.
    """
    start = window_start(previous_cutoff, cutoff, first_reach(subscriber.cadence))
    day = edition_date or local_date(cutoff, subscriber.timezone)
    in_window = (a for a in candidates if start < a.first_seen_at <= cutoff and a.id not in already)
    ordered = arrange(in_window, settings, subscriber.sections)
    limit = settings.digest.max_articles
    shown = ordered[:limit]
    return Edition(
        subscriber_id=subscriber.id,
        edition_date=day,
        window_start=start,
        window_end=cutoff,
        articles=tuple(article for _, article in shown),
        overflow=len(ordered) - len(shown),
        placed=tuple(home for home, _ in shown),
        cadence=subscriber.cadence,
        notices=tuple(notices),
    )
