"""``GET /digests/{date}``: the public page of one day's edition, every section, nothing personal."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Engine

from syndicate.config import Settings
from syndicate.digest.edition import load_candidates
from syndicate.digest.selection import web_window
from syndicate.digest.web_edition import render_web_edition


def web_edition_page(engine: Engine, settings: Settings, day: date, now: datetime) -> str:
    """The HTML of ``GET /digests/{day}``: that day's articles, read from the store."""
    start, end = web_window(settings, day, now)
    with engine.connect() as conn:
        candidates = load_candidates(conn, start, end) if start < end else []
    return render_web_edition(settings, candidates, day, now)
