"""The breaking-news alert: one short email per (reader, article), pure like the digest.

Headline, image, lede and link (the digest's own article partial), then the
unsubscribe and preferences links and the RFC 8058 one-click headers: the body
is a digest ``Body`` and the reader's part is put in by the same ``assemble``,
so alerts and digests always carry the same headers and links.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from syndicate import text
from syndicate.articles import Article
from syndicate.digest import mime
from syndicate.digest.body import Body, Personal, assemble
from syndicate.digest.render import SLOTS, DigestRenderer, RenderedMessage, _plain, fingerprint
from syndicate.digest.template_errors import template_errors
from syndicate.digest.templates import inline_css, labels, language_of

if TYPE_CHECKING:
    from syndicate.subscribers.records import Subscriber


class AlertRenderer:
    """Alert messages; the body of one article in one language is rendered once."""

    def __init__(self, digest: DigestRenderer) -> None:
        self.digest = digest
        self._bodies: dict[tuple[Any, ...], Body] = {}

    def _body(self, article: Article, subscriber: Subscriber, language: str) -> Body:
        key = (article.id, article.updated_at, language, subscriber.sections)
        found = self._bodies.get(key)
        if found is not None:
            return found
        if len(self._bodies) >= 64:
            self._bodies.clear()
        t = labels(language)
        site = self.digest.settings.site
        context = {
            "lang": language,
            "t": t,
            "web": False,
            "title": f"{site.title}: {t['alert_title']}",
            "site_title": site.title,
            "site_url": site.url,
            "subtitle": t["alert_title"],
            "preheader": _plain(article.lede)[:140],
            "fragment": self.digest.fragment(article, language),
            "why_text": t["alert_why"].format(
                email=mime.slot_marker("email"),
                sections=self.digest._followed(subscriber, t),
                site=site.title,
            ),
        }
        for slot in SLOTS:
            context[slot] = mime.slot_marker(slot)
        env = self.digest.env
        html_page = inline_css(env.get_template("alert.html.j2").render(context))
        text_page = env.get_template("alert.txt.j2").render(context)
        subject = text.plain(t["alert_subject"].format(headline=_plain(article.headline)))
        found = self.digest.shared_body(
            subject, text_page, html_page, f"=_alert_{fingerprint(key)}"
        )
        self._bodies[key] = found
        return found

    def message(self, article: Article, subscriber: Subscriber, now: datetime) -> RenderedMessage:
        language = language_of(subscriber.language, self.digest.settings.site.language)
        with template_errors():
            body = self._body(article, subscriber, language)
        person = Personal(
            subscriber_id=subscriber.id,
            email=subscriber.email,
            link_key=subscriber.link_key,
            message_id=f"<alert.{article.id}.{subscriber.id}.{subscriber.link_key}"
            f"@{self.digest.domain}>",
            date=now,
        )
        return RenderedMessage(
            recipient=subscriber.email,
            message_id=person.message_id,
            subject=body.subject,
            message=assemble(body, person, self.digest.secret, self.digest.signer),
        )
