"""Editions on the web, read from the store: ``/digests/{date}`` in its three views
and the archive's list of days."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Engine

from syndicate.config import Settings
from syndicate.digest import archive
from syndicate.digest.archive import ArchivedEdition
from syndicate.digest.edition import load_candidates
from syndicate.digest.selection import web_window
from syndicate.digest.web_edition import EditionView, render_edition_view, render_web_edition
from syndicate.store import articles
from syndicate.store import outbox as outbox_store
from syndicate.subscribers.records import Subscriber


def web_edition_page(engine: Engine, settings: Settings, day: date, now: datetime) -> str:
    """The HTML of ``GET /digests/{day}``: that day's articles, read from the store."""
    start, end = web_window(settings, day, now)
    with engine.connect() as conn:
        candidates = load_candidates(conn, start, end) if start < end else []
    return render_web_edition(settings, candidates, day, now)


def language_edition_page(
    engine: Engine, settings: Settings, day: date, language: str, now: datetime
) -> str:
    """``GET /digests/{day}?lang=``: the day's edition of the sections in ``language``."""
    sections = archive.language_sections(settings, language)
    view = EditionView(web_window(settings, day, now), sections or ("",), language)
    return _view_page(engine, settings, day, view)


def reader_edition_page(
    engine: Engine, settings: Settings, reader: Subscriber, day: date, now: datetime
) -> str:
    """The reader's own edition of ``day``: the window their email covered (the day's web
    window when none was sent), their sections, their language."""
    with engine.connect() as conn:
        window = outbox_store.edition_window(conn, reader.id, day)
    view = EditionView(window or web_window(settings, day, now), reader.sections, reader.language)
    return _view_page(engine, settings, day, view)


def _view_page(engine: Engine, settings: Settings, day: date, view: EditionView) -> str:
    start, end = view.window
    with engine.connect() as conn:
        candidates = load_candidates(conn, start, end) if start < end else []
    return render_edition_view(settings, candidates, day, view)


@dataclass(frozen=True)
class ArchivePage:
    editions: list[ArchivedEdition]
    page: int
    older: bool  # an older page exists


def archive_page(
    engine: Engine, settings: Settings, language: str, page: int, now: datetime
) -> ArchivePage:
    """One page of the days with an edition in ``language``, newest first."""
    today = archive.edition_day(settings, now, now)
    first, last = archive.page_span(today, page)
    start, end = archive.span_window(settings, first, last, now)
    with engine.connect() as conn:
        seen = articles.seen_sections_between(conn, start, end) if start < end else []
        oldest = articles.oldest_first_seen(conn)
    sections = archive.language_sections(settings, language)
    listed = archive.editions(settings, seen, sections, now)
    return ArchivePage(listed, page, oldest is not None and oldest <= start)


def editions_feed(engine: Engine, settings: Settings, language: str, now: datetime) -> bytes:
    """``/digests/feed.xml``: the newest editions of ``language`` as Atom."""
    return archive.editions_atom(
        settings, archive_page(engine, settings, language, 1, now).editions, language, now
    )
