"""Templates proven before use: every email template rendered against sample editions.

A template can compile and still fail at render (an attribute the article does
not have, an ``{% extends %}`` target that does not exist). Rendering each one,
both parts, in every language, for editions shaped like real ones (with and
without images, one section and many, a few articles over the limit) and the
confirmation email, the alert, a weekly edition and the Corrections block find
those before a digest tick does. Pure: settings in,
problem lines out; the sample data is made here, nothing is read or sent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import jinja2
from pydantic import SecretStr

from syndicate.articles import Article
from syndicate.config import Settings
from syndicate.digest.alert_message import AlertRenderer
from syndicate.digest.confirmation import ConfirmationRenderer, build_confirmation_message
from syndicate.digest.corrections import CORRECTION, RETRACTION, Notice
from syndicate.digest.render import DigestRenderer
from syndicate.digest.selection import Edition
from syndicate.digest.template_errors import TemplateFailed
from syndicate.digest.templates import LANGUAGES, check_templates, fresh_environment
from syndicate.digest.web_edition import render_web_edition
from syndicate.errors import ConfigError
from syndicate.subscribers import Subscriber

SAMPLE_DAY = date(2026, 3, 14)
SAMPLE_END = datetime(2026, 3, 14, 12, 0, tzinfo=UTC)
_PLACEHOLDER_SECRET = "sample-only-secret-for-template-proof"


def _article(number: int, section: str, with_image: bool) -> Article:
    seen = SAMPLE_END - timedelta(hours=number + 1)
    return Article(
        id=number,
        guid=f"sample-{number}",
        url=f"https://news.example.org/{section}/sample-{number}",
        sections=(section,),
        headline=f"Sample headline {number}: ñandú, Zürich, 東京",
        lede="A sample lede of a few words, long enough to wrap in a narrow column of text.",
        lede_is_teaser=number % 2 == 0,
        body="Body text.",
        first_seen_at=seen,
        updated_at=seen,
        published_at=seen,
        image_url=f"https://news.example.org/img/{number}.jpg" if with_image else None,
        image_alt="A sample photo" if with_image else None,
        image_caption="A caption" if with_image else None,
        image_credit="A photographer" if with_image else None,
        byline="By A. Reporter" if number % 2 else None,
    )


def sample_editions(settings: Settings) -> list[Edition]:
    """One section with an image; every section without; one article over the limit; many."""
    slugs = settings.section_slugs
    one = (_article(1, slugs[0], True),)
    many = tuple(_article(10 + i, slug, i % 2 == 0) for i, slug in enumerate(slugs * 2))
    bare = (_article(2, slugs[-1], False),)

    def edition(articles: tuple[Article, ...], overflow: int) -> Edition:
        return Edition(
            subscriber_id=1,
            edition_date=SAMPLE_DAY,
            window_start=SAMPLE_END - timedelta(days=1),
            window_end=SAMPLE_END,
            articles=articles,
            overflow=overflow,
            placed=tuple(a.section for a in articles),
        )

    corrected = replace(one[0], correction="A sample correction note: the name was misspelled.")
    withdrawn = replace(bare[0], withdrawn=True)
    notices = (Notice(corrected, CORRECTION), Notice(withdrawn, RETRACTION))
    return [
        edition(one, 0),
        edition(bare, 1),
        edition(many, 7),
        # A weekly edition with a Corrections block, and one of corrections alone.
        replace(edition(many, 0), cadence="weekly", notices=notices),
        replace(edition((), 0), notices=notices),
    ]


def _reader(settings: Settings, language: str, sections: tuple[str, ...]) -> Subscriber:
    return Subscriber(
        id=1,
        email="reader@example.org",
        status="active",
        sections=sections,
        timezone=settings.site.timezone,
        language=language,
        digest_time=settings.schedule.digest_time,
        link_key="sample",  # links of a reader who is on no list: they act on no one
    )


def render_problems(settings: Settings, env: jinja2.Environment) -> list[str]:
    """Render everything the service sends or serves with ``env``; one line per failure."""
    if not settings.secret.get_secret_value():
        settings = settings.model_copy(update={"secret": SecretStr(_PLACEHOLDER_SECRET)})
    problems: list[str] = []

    def attempt(step: Callable[..., object], *args: object) -> None:
        try:
            step(*args)
        except TemplateFailed as exc:
            if exc.message not in problems:
                problems.append(exc.message)

    renderer = DigestRenderer(settings, env=env)
    alerts = AlertRenderer(renderer)
    for language in LANGUAGES:
        for sections in ((), (settings.section_slugs[0],)):
            reader = _reader(settings, language, sections)
            for edition in sample_editions(settings):
                attempt(renderer.message, edition, reader)
            attempt(
                alerts.message, _article(3, settings.section_slugs[0], True), reader, SAMPLE_END
            )
        reader = _reader(settings, language, ())
        attempt(
            build_confirmation_message,
            settings,
            reader,
            f"{settings.public_url}/confirm?token=sample",
            SAMPLE_END,
            None,
            env,
        )
        attempt(
            ConfirmationRenderer(settings, None, env).preferences_message,
            reader,
            f"{settings.public_url}/preferences?token=sample",
            SAMPLE_END,
        )
    articles = list(sample_editions(settings)[-1].articles)
    attempt(render_web_edition, settings, articles, SAMPLE_DAY, SAMPLE_END, env)
    attempt(render_web_edition, settings, [], SAMPLE_DAY, SAMPLE_END, env)
    return problems


def check_languages(settings: Settings) -> list[str]:
    """The site's and each section's language must be one the templates speak."""
    known = ", ".join(repr(code) for code in LANGUAGES)
    problems = []
    places = [("[site] language", settings.site.language)]
    places += [
        (f"[[sections]] {s.slug!r} language", s.language) for s in settings.sections if s.language
    ]
    for where, value in places:
        if value is not None and value.split("-")[0].lower() not in LANGUAGES:
            problems.append(f"{where}: the email templates have no {value!r}; use one of {known}")
    return problems


def check_rendering(settings: Settings) -> list[str]:
    """For `config check`: templates compile, then render; one line per problem."""
    problems = check_templates(settings)
    if problems:
        return problems
    return render_problems(settings, fresh_environment(settings))


def prove(settings: Settings) -> jinja2.Environment:
    """A fresh environment with every template rendered once; ConfigError when one fails."""
    problems = check_templates(settings)
    env = None
    if not problems:
        env = fresh_environment(settings)
        problems = render_problems(settings, env)
    if problems or env is None:
        raise ConfigError(problems, hint="fix the templates above; nothing was sent")
    return env
