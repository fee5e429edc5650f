"""The web pages of one day's edition (pure).

The public page has every section and nothing personal; a language's page has
that language's sections, in it; a reader's own page (reached from the "view in
browser" link of their email) has their sections, their language and the window
their email covered.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import jinja2

from syndicate.articles import Article
from syndicate.config import Settings
from syndicate.digest.render import SLOTS, DigestRenderer
from syndicate.digest.selection import arrange, web_window
from syndicate.digest.template_errors import template_errors
from syndicate.digest.templates import labels, language_of


@dataclass(frozen=True)
class EditionView:
    """Which edition of a day to show: the window, the sections (empty: all), the language."""

    window: tuple[datetime, datetime]
    sections: tuple[str, ...] = ()
    language: str | None = None  # None: the site's


def render_web_edition(
    settings: Settings,
    articles: list[Article],
    edition_date: date,
    now: datetime,
    env: jinja2.Environment | None = None,
) -> str:
    """The public page of one day's edition. ``articles`` may be a superset: those first
    seen in the day's window count."""
    view = EditionView(web_window(settings, edition_date, now))
    return render_edition_view(settings, articles, edition_date, view, env)


def render_edition_view(
    settings: Settings,
    articles: list[Article],
    edition_date: date,
    view: EditionView,
    env: jinja2.Environment | None = None,
) -> str:
    """The page of ``view`` of one day's edition, from ``articles`` (a superset is fine)."""
    start, end = view.window
    renderer = DigestRenderer(settings, env=env)
    language = language_of(view.language or settings.site.language)
    placed = arrange(
        (a for a in articles if start < a.first_seen_at <= end), settings, view.sections
    )
    with template_errors():
        context = renderer.page_context(placed, edition_date, language, web=True)
        t = labels(language)
        if not placed:
            context["intro"] = t["web_empty"]
        elif view.sections and set(view.sections) != set(settings.section_slugs):
            titles = [s.title for s in settings.sections if s.slug in view.sections]
            context["intro"] = t["web_sections"].format(sections=", ".join(titles))
        else:
            context["intro"] = t["web_intro"]
        context["why_text"] = ""
        for slot in SLOTS:
            context[slot] = ""
        return renderer.env.get_template("digest.html.j2").render(context)
