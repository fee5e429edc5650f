"""The double opt-in email: a text and an HTML part carrying the confirmation link.

Pure: settings, the subscriber, the link and a time in, message bytes out (the
optional DKIM signer only adds a header).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime
from typing import TYPE_CHECKING

import jinja2

from syndicate import text
from syndicate.addresses import smtp_form
from syndicate.config import Settings
from syndicate.digest import mime
from syndicate.digest.template_errors import template_errors
from syndicate.digest.templates import environment, inline_css, labels, language_of

if TYPE_CHECKING:
    from syndicate.digest.dkim import DkimSigner
    from syndicate.subscribers import Subscriber


@dataclass(frozen=True)
class _LinkEmail:
    template: str  # the pair's name, without .html.j2 / .txt.j2
    labels: str  # the prefix of its labels (and its Message-ID's tag)


_CONFIRM = _LinkEmail("confirm", "confirm")
_PREFERENCES = _LinkEmail("preferences_link", "link")


class ConfirmationRenderer:
    """Keep one per run: it holds the compiled templates and the From header."""

    def __init__(
        self,
        settings: Settings,
        signer: DkimSigner | None = None,
        env: jinja2.Environment | None = None,
    ) -> None:
        self.settings = settings
        self.signer = signer
        self.env = env or environment(settings)
        digest = settings.digest
        self.from_header = mime.mailbox("From", digest.from_name, smtp_form(digest.from_address))
        self.domain = mime.domain_of(digest.from_address)

    def message(
        self, subscriber: Subscriber, confirm_url: str, now: datetime, serial: int = 0
    ) -> bytes:
        """``serial`` (the outbox row's id, never reused) keeps two requests' emails apart
        in their Message-ID even when rendered in the same second."""
        return self._message(subscriber, _CONFIRM, confirm_url, now, serial)

    def preferences_message(
        self, subscriber: Subscriber, url: str, now: datetime, serial: int = 0
    ) -> bytes:
        """The email a reader asks for from "send me my preferences link"."""
        return self._message(subscriber, _PREFERENCES, url, now, serial)

    def _message(
        self, subscriber: Subscriber, kind: _LinkEmail, url: str, now: datetime, serial: int
    ) -> bytes:
        settings = self.settings
        language = language_of(subscriber.language, settings.site.language)
        t = labels(language)
        site = settings.site.title
        subject = t[f"{kind.labels}_subject"].format(site=site)
        context = {
            "lang": language,
            "t": t,
            "title": subject,
            "site_title": site,
            "site_url": settings.site.url,
            "subtitle": t[f"{kind.labels}_title"],
            "intro_text": t[f"{kind.labels}_intro"].format(site=site, email=subscriber.email),
            "button_text": t[f"{kind.labels}_button"],
            "ignore_text": t[f"{kind.labels}_ignore"],
            "confirm_url": url,
            "link_url": url,
        }
        with template_errors():
            html_page = inline_css(
                self.env.get_template(f"{kind.template}.html.j2").render(context)
            )
            text_page = self.env.get_template(f"{kind.template}.txt.j2").render(context)
        stamp = int(now.timestamp())
        headers = [
            self.from_header,
            mime.recipient(smtp_form(subscriber.email)),
            mime.header("Subject", text.plain(subject)),
            f"Date: {format_datetime(now)}\r\n".encode("ascii"),
            f"Message-ID: <{stamp}.{serial}.{subscriber.id}.{subscriber.link_key}"
            f".{kind.labels}@{self.domain}>\r\n".encode("ascii"),
            b"Auto-Submitted: auto-generated\r\n",
        ]
        digest = hashlib.sha256(f"{subscriber.id}:{stamp}".encode()).hexdigest()[:24]
        parts = [
            mime.part_bytes(mime.prepare_part("text/plain", text_page), {}),
            mime.part_bytes(mime.prepare_part("text/html", html_page), {}),
        ]
        message = mime.multipart(headers, parts, f"=_{kind.labels}_{digest}")
        return self.signer.sign(message) if self.signer is not None else message


def build_confirmation_message(
    settings: Settings,
    subscriber: Subscriber,
    confirm_url: str,
    now: datetime,
    signer: DkimSigner | None = None,
    env: jinja2.Environment | None = None,
) -> bytes:
    """One confirmation email; a run that sends several keeps one ``ConfirmationRenderer``."""
    return ConfirmationRenderer(settings, signer, env).message(subscriber, confirm_url, now)
