"""What every page reached from a subscriber's signed link shares."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from syndicate import tokens
from syndicate.confirmations import link
from syndicate.store import subscribers as subscriber_store
from syndicate.subscribers import Actor, Subscriber
from syndicate.web.context import Service
from syndicate.web.i18n import LANGUAGES, pick_language
from syndicate.web.pages import CSRF_FIELD, csrf_valid

FORM_FIELDS = 200  # a form's fields at most: a few plus one per section checkbox


class SubscriberPages:
    def __init__(self, svc: Service) -> None:
        self.svc = svc
        self.settings = svc.settings
        self.secret = svc.settings.secret.get_secret_value()

    def _lang(self, request: Request, subscriber: Subscriber | None = None) -> str:
        if subscriber is not None and "lang" not in request.query_params:
            return subscriber.language if subscriber.language in LANGUAGES else "en"
        return pick_language(request, self.settings.site.language)

    def _notice(
        self, request: Request, lang: str, title: str, body: str, status: int = 200, **extra: Any
    ) -> Response:
        return self.svc.pages.render(
            request, "notice.html", lang, status, title_key=title, body_key=body, **extra
        )

    def _limited(self, request: Request, lang: str) -> Response:
        response = self._notice(request, lang, "limited.title", "limited.body", status=429)
        response.headers["retry-after"] = str(int(self.svc.email_limit.per_seconds))
        return response

    async def _claims(self, request: Request, purpose: str, token: str) -> Subscriber | str:
        """The subscriber a token names, or the message key that explains why not."""
        try:
            claims = tokens.verify(self.secret, purpose, token, self.svc.clock.now())
        except tokens.ExpiredToken:
            return "token.expired"
        except tokens.BadToken:
            return "token.invalid"
        found = await run_in_threadpool(self._get, claims.subscriber_id)
        if found is None or not tokens.bound_to(claims, found.link_key, found.unkeyed_links):
            return "token.gone"  # made for a subscriber removed since: never act on another
        return found

    def _get(self, subscriber_id: int) -> Subscriber | None:
        with self.svc.engine.connect() as conn:
            return subscriber_store.get(conn, subscriber_id)

    def _bad_link(self, request: Request, key: str) -> Response:
        return self._notice(
            request,
            self._lang(request),
            "token.title",
            key,
            status=410 if key == "token.gone" else 400,
            action_url="/subscribe",
            action_key="token.again",
        )

    async def _read_form(self, request: Request) -> FormData:
        """The posted form; these forms take no files (one is a 400, never a spooled upload)."""
        return await request.form(max_files=0, max_fields=FORM_FIELDS)

    def _csrf_ok(self, request: Request, form: Any) -> bool:
        return csrf_valid(request, self.secret, str(form.get(CSRF_FIELD, "")))

    def _csrf_failed(self, request: Request) -> Response:
        return self._notice(request, self._lang(request), "csrf.title", "csrf.body", status=403)

    def _change(self, subscriber_id: int, status: str) -> None:
        """The person behind a signed link asks for ``status`` (a repeat changes nothing)."""
        with self.svc.engine.begin() as conn:
            subscriber_store.change_status(
                conn, subscriber_id, status, Actor.PERSON, self.svc.clock.now()
            )

    def _link(self, purpose: str, subscriber: Subscriber) -> str:
        return link(self.settings, purpose, purpose, subscriber)
