"""Digest messages and pages: pure functions of data, settings and a given time.

Speed comes from doing each piece of work once: an article's fragment is rendered
once per language, an edition's body once per distinct content (same articles,
language, sections and date), with CSS inlined at that moment; each message then
only fills in the reader's address and signed links and joins bytes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

import jinja2
from markupsafe import Markup

from syndicate import text
from syndicate.addresses import smtp_form
from syndicate.articles import Article
from syndicate.config import Settings
from syndicate.digest import mime
from syndicate.digest.body import Body, Personal, assemble
from syndicate.digest.body import message_id as body_message_id
from syndicate.digest.selection import Edition, local_date
from syndicate.digest.template_errors import template_errors
from syndicate.digest.templates import (
    environment,
    inline_css,
    labels,
    language_of,
    long_date,
    short_date,
    subject_template,
)

if TYPE_CHECKING:
    from syndicate.digest.dkim import DkimSigner
    from syndicate.subscribers.records import Subscriber

LEDE_LIMIT = 600
PREHEADER_LIMIT = 140
SLOTS = ("email", "unsubscribe_url", "preferences_url")
# Filled per reader in an email only; a web page keeps the public edition's address.
EMAIL_SLOTS = (*SLOTS, "web_url")
_CACHE_LIMIT = 512


@dataclass(frozen=True)
class ArticleView:
    """What the partials see: one-line plain text, a lede of reasonable length."""

    headline: str
    url: str
    lede: str
    byline: str
    image_url: str
    image_alt: str
    image_caption: str
    image_credit: str


def _plain(value: str | None) -> str:
    # Article text must never look like a personal slot, or it would be filled in.
    return text.plain(value).replace(mime.SLOT_PREFIX, "SYNDICATE SLOT")


def article_view(article: Article) -> ArticleView:
    lede = _plain(article.lede)
    teaser = article.lede_is_teaser
    if len(lede) > LEDE_LIMIT:
        lede, teaser = lede[:LEDE_LIMIT].rsplit(" ", 1)[0], True
    return ArticleView(
        headline=_plain(article.headline),
        url=_plain(article.url),
        lede=text.with_ellipsis(lede, teaser),
        byline=_plain(article.byline),
        image_url=_plain(article.image_url),
        image_alt=_plain(article.image_alt),
        image_caption=_plain(article.image_caption),
        image_credit=_plain(article.image_credit),
    )


@dataclass(frozen=True)
class Fragment:
    html: Markup
    text: str


@dataclass(frozen=True)
class RenderedMessage:
    recipient: str
    message_id: str  # as in the header, with angle brackets
    subject: str
    message: bytes  # RFC 5322, CRLF line ends


def fingerprint(key: tuple[Any, ...]) -> str:
    return hashlib.sha256(repr(key).encode("utf-8")).hexdigest()[:24]


def _top_headline(edition: Edition, t: dict[str, str]) -> str:
    """The first article's headline; for an edition of corrections alone, the first one's."""
    if edition.articles:
        return _plain(edition.articles[0].headline)
    return f"{t['corrections_title']}: {_plain(edition.notices[0].article.headline)}"


class DigestRenderer:
    """Renders editions to message bytes, caching what subscribers share.

    Keep one per run (an enqueue pass, a benchmark); it holds compiled templates
    and bounded caches, never the finished messages.
    """

    def __init__(
        self,
        settings: Settings,
        signer: DkimSigner | None = None,
        env: jinja2.Environment | None = None,
    ) -> None:
        self.settings = settings
        self.env = env or environment(settings)
        self.secret = settings.secret.get_secret_value()
        self.public_url = settings.public_url
        digest = settings.digest
        self.domain = mime.domain_of(digest.from_address)
        self.from_header = mime.mailbox("From", digest.from_name, smtp_form(digest.from_address))
        self.list_id = mime.list_id(f"{settings.site.title} digest", f"digest.{self.domain}")
        mailto = digest.unsubscribe_mailto.removeprefix("mailto:")
        self.mailto = f"mailto:{smtp_form(mailto)}" if mailto else ""
        self.signer = signer
        self._fragments: dict[tuple[Any, ...], Fragment] = {}
        self._prepared: dict[tuple[Any, ...], Body] = {}

    # -- shared parts ------------------------------------------------------------
    def fragment(self, article: Article, language: str) -> Fragment:
        key = (article.id, article.updated_at, article.headline, language)
        found = self._fragments.get(key)
        if found is None:
            if len(self._fragments) >= _CACHE_LIMIT * 8:
                self._fragments.clear()
            context = {"article": article_view(article), "t": labels(language), "lang": language}
            found = Fragment(
                html=Markup(self.env.get_template("_article.html.j2").render(context)),
                text=self.env.get_template("_article.txt.j2").render(context),
            )
            self._fragments[key] = found
        return found

    def _groups(self, placed: list[tuple[str, Article]], language: str) -> list[dict[str, Any]]:
        groups: list[dict[str, Any]] = []
        for slug, article in placed:
            if not groups or groups[-1]["slug"] != slug:
                groups.append(
                    {"slug": slug, "title": self.settings.section(slug).title, "fragments": []}
                )
            groups[-1]["fragments"].append(self.fragment(article, language))
        return groups

    def page_context(
        self,
        placed: list[tuple[str, Article]],
        day: date,
        language: str,
        web: bool,
        cadence: str = "daily",
    ) -> dict[str, Any]:
        t = labels(language)
        site = self.settings.site
        weekly = cadence == "weekly"
        title = "weekly_title" if weekly else "digest_title"
        headlines = [_plain(a.headline) for _, a in placed[:3]]
        preheader = " · ".join(headlines)
        if len(preheader) > PREHEADER_LIMIT:
            preheader = preheader[:PREHEADER_LIMIT].rsplit(" ", 1)[0] + "…"
        return {
            "lang": language,
            "t": t,
            "web": web,
            "title": f"{site.title}: {long_date(day, language)}",
            "site_title": site.title,
            "site_url": site.url,
            "subtitle": f"{t[title]} · {long_date(day, language)}",
            "weekly": weekly,
            "week_intro": t["week_intro"] if weekly else "",
            "web_url": f"{self.public_url}/digests/{day.isoformat()}",
            "groups": self._groups(placed, language),
            "preheader": preheader,
            "overflow": 0,
            "overflow_text": "",
            "intro": "",
            "resumed_text": "",
            "corrections": [],
        }

    def _prepare(self, edition: Edition, subscriber: Subscriber, language: str) -> Body:
        key: tuple[Any, ...] = (
            edition.edition_date,
            language,
            tuple((a.id, a.updated_at) for a in edition.articles),
            edition.placed,
            edition.overflow,
            subscriber.sections,
        )
        if edition.resumed_from is not None:  # only then: other editions keep their boundary
            key += (edition.resumed_from,)
        if edition.cadence != "daily":  # daily keys (and their boundaries) stay as they were
            key += (edition.cadence,)
        if edition.notices:
            key += tuple((n.article.id, n.kind, n.note) for n in edition.notices)
        found = self._prepared.get(key)
        if found is not None:
            return found
        if len(self._prepared) >= _CACHE_LIMIT:
            self._prepared.clear()
        t = labels(language)
        placed = list(zip(edition.placed, edition.articles, strict=True))
        context = self.page_context(
            placed, edition.edition_date, language, web=False, cadence=edition.cadence
        )
        site = self.settings.site.title
        if edition.overflow:
            template = t["overflow_one"] if edition.overflow == 1 else t["overflow"]
            context["overflow"] = edition.overflow
            context["overflow_text"] = template.format(count=edition.overflow, site=site)
        if edition.resumed_from is not None:
            since = long_date(local_date(edition.resumed_from, subscriber.timezone), language)
            context["resumed_text"] = t["resumed"].format(date=since)
        context["corrections"] = [
            {
                "headline": _plain(n.article.headline),
                "url": _plain(n.article.url),
                "note": _plain(n.note),
                "retracted": n.kind == "retraction",
            }
            for n in edition.notices
        ]
        context["why_text"] = t["why"].format(
            email=mime.slot_marker("email"),
            sections=self._followed(subscriber, t),
            site=site,
        )
        for slot in EMAIL_SLOTS:
            context[slot] = mime.slot_marker(slot)
        html_page = inline_css(self.env.get_template("digest.html.j2").render(context))
        text_page = self.env.get_template("digest.txt.j2").render(context)
        subject = text.plain(
            subject_template(self.settings, language).render(
                date=short_date(edition.edition_date, language),
                top_headline=_top_headline(edition, t),
                more=max(edition.total - 1, 0),
                count=edition.total,
                weekly=edition.cadence == "weekly",
            )
        )
        found = self.shared_body(
            subject,
            text_page,
            html_page,
            f"=_digest_{fingerprint(key)}",
            web_path=f"/digests/{edition.edition_date.isoformat()}",
        )
        self._prepared[key] = found
        return found

    def shared_body(
        self, subject: str, text_page: str, html_page: str, boundary: str, web_path: str = ""
    ) -> Body:
        """A message body shared by every reader who gets the same content; ``web_path``:
        the edition page its "view in browser" link opens with the reader's token."""
        return Body(
            subject=subject,
            from_header=self.from_header,
            subject_header=mime.header("Subject", subject),
            list_id=self.list_id,
            boundary=boundary,
            text=mime.prepare_part("text/plain", text_page),
            html=mime.prepare_part("text/html", html_page),
            public_url=self.public_url,
            mailto=self.mailto,
            web_path=web_path,
        )

    def _followed(self, subscriber: Subscriber, t: dict[str, str]) -> str:
        if not subscriber.sections:
            return t["all_sections"]
        titles = [s.title for s in self.settings.sections if s.slug in subscriber.sections]
        return ", ".join(titles) or t["all_sections"]

    # -- per message ---------------------------------------------------------------
    def body(self, edition: Edition, subscriber: Subscriber) -> Body:
        """What this reader's digest shares with every reader of the same content."""
        if edition.is_empty:
            raise ValueError("an empty edition has no message; record it as skipped")
        language = language_of(subscriber.language, self.settings.site.language)
        with template_errors():
            return self._prepare(edition, subscriber, language)

    def message_id(self, edition: Edition, subscriber: Subscriber) -> str:
        return body_message_id(
            edition.edition_date, subscriber.id, subscriber.link_key, self.domain
        )

    def message(self, edition: Edition, subscriber: Subscriber) -> RenderedMessage:
        """The finished digest for one subscriber (the edition must not be empty)."""
        body = self.body(edition, subscriber)
        person = Personal(
            subscriber_id=subscriber.id,
            email=subscriber.email,
            link_key=subscriber.link_key,
            message_id=self.message_id(edition, subscriber),
            date=edition.window_end,
        )
        return RenderedMessage(
            recipient=subscriber.email,
            message_id=person.message_id,
            subject=body.subject,
            message=assemble(body, person, self.secret, self.signer),
        )
