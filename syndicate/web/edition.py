"""``GET /digests/{date}``: the public page of one day's edition, every section, nothing personal."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Engine

from syndicate.articles import Article
from syndicate.config import Settings
from syndicate.digest.edition import load_candidates
from syndicate.digest.render import SLOTS, DigestRenderer
from syndicate.digest.selection import arrange, web_window
from syndicate.digest.templates import labels, language_of


def render_web_edition(
    settings: Settings, articles: list[Article], edition_date: date, now: datetime
) -> str:
    """The page of one day's edition (pure). ``articles`` may be a superset: those first
    seen in the day's window count."""
    start, end = web_window(settings, edition_date, now)
    renderer = DigestRenderer(settings)
    language = language_of(settings.site.language)
    placed = arrange((a for a in articles if start < a.first_seen_at <= end), settings)
    context = renderer.page_context(placed, edition_date, language, web=True)
    t = labels(language)
    context["intro"] = t["web_intro"] if placed else t["web_empty"]
    context["why_text"] = ""
    for slot in SLOTS:
        context[slot] = ""
    return renderer.env.get_template("digest.html.j2").render(context)


def web_edition_page(engine: Engine, settings: Settings, day: date, now: datetime) -> str:
    """The HTML of ``GET /digests/{day}``: that day's articles, read from the store."""
    start, end = web_window(settings, day, now)
    with engine.connect() as conn:
        candidates = load_candidates(conn, start, end) if start < end else []
    return render_web_edition(settings, candidates, day, now)
