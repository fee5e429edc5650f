"""The public web page of one day's edition: every section, nothing personal (pure)."""

from __future__ import annotations

from datetime import date, datetime

import jinja2

from syndicate.articles import Article
from syndicate.config import Settings
from syndicate.digest.render import SLOTS, DigestRenderer
from syndicate.digest.selection import arrange, web_window
from syndicate.digest.template_errors import template_errors
from syndicate.digest.templates import labels, language_of


def render_web_edition(
    settings: Settings,
    articles: list[Article],
    edition_date: date,
    now: datetime,
    env: jinja2.Environment | None = None,
) -> str:
    """The page of one day's edition. ``articles`` may be a superset: those first seen
    in the day's window count."""
    start, end = web_window(settings, edition_date, now)
    renderer = DigestRenderer(settings, env=env)
    language = language_of(settings.site.language)
    placed = arrange((a for a in articles if start < a.first_seen_at <= end), settings)
    with template_errors():
        context = renderer.page_context(placed, edition_date, language, web=True)
        t = labels(language)
        context["intro"] = t["web_intro"] if placed else t["web_empty"]
        context["why_text"] = ""
        for slot in SLOTS:
            context[slot] = ""
        return renderer.env.get_template("digest.html.j2").render(context)
