"""Subscribe, confirm, unsubscribe, preferences: GET shows, POST changes state.

Answers never reveal whether an address is known: the subscribe form says the
same thing, at about the same speed, for a new, pending or active address (the
email goes out after the response).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import update
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from syndicate import subscribers, tokens
from syndicate.addresses import BadAddress, normalise_address
from syndicate.confirmations import link, send_confirmations
from syndicate.db import subscribers as subscribers_table
from syndicate.errors import InputError
from syndicate.subscribers import Subscriber, SubscriberInput
from syndicate.web.context import Service
from syndicate.web.i18n import LANGUAGES, pick_language
from syndicate.web.pages import CSRF_FIELD, csrf_valid

log = logging.getLogger(__name__)
ONE_CLICK = "One-Click"


LOOPBACK = ("127.0.0.1", "::1")


def client_address(request: Request) -> str:
    """The reader's address: a reverse proxy on this machine names it in X-Forwarded-For.

    Only a proxy on loopback is believed, and only the entry it added (the last),
    since earlier entries come from the client and can say anything.
    """
    peer = request.client.host if request.client else "unknown"
    forwarded = request.headers.get("x-forwarded-for", "")
    if peer in LOOPBACK and forwarded:
        return forwarded.split(",")[-1].strip() or peer
    return peer


class SubscriptionPages:
    def __init__(self, svc: Service) -> None:
        self.svc = svc
        self.settings = svc.settings
        self.secret = svc.settings.secret.get_secret_value()

    # -- helpers ------------------------------------------------------------------

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

    async def _claims(self, request: Request, purpose: str, token: str) -> Subscriber | str:
        """The subscriber a token names, or the message key that explains why not."""
        try:
            claims = tokens.verify(self.secret, purpose, token, self.svc.clock.now())
        except tokens.BadToken as exc:
            return "token.expired" if "expired" in exc.message else "token.invalid"
        found = await run_in_threadpool(self._get, claims.subscriber_id)
        return found if found is not None else "token.invalid"

    def _get(self, subscriber_id: int) -> Subscriber | None:
        with self.svc.engine.connect() as conn:
            return subscribers.get(conn, subscriber_id)

    def _bad_link(self, request: Request, key: str) -> Response:
        return self._notice(
            request,
            self._lang(request),
            "token.title",
            key,
            status=400,
            action_url="/subscribe",
            action_key="token.again",
        )

    def _csrf_ok(self, request: Request, form: Any) -> bool:
        return csrf_valid(request, self.secret, str(form.get(CSRF_FIELD, "")))

    def _csrf_failed(self, request: Request) -> Response:
        return self._notice(request, self._lang(request), "csrf.title", "csrf.body", status=403)

    # -- subscribe ----------------------------------------------------------------

    async def subscribe(self, request: Request) -> Response:
        lang = self._lang(request)
        if request.method == "GET":
            return self._form(request, lang)
        form = await request.form()
        if not self._csrf_ok(request, form):
            return self._csrf_failed(request)
        chosen_lang = str(form.get("language", ""))
        lang = chosen_lang if chosen_lang in LANGUAGES else lang
        email = str(form.get("email", ""))
        chosen = [str(s) for s in form.getlist("sections")]
        client = client_address(request)
        if not self.svc.client_limit.allow(client):
            return self._limited(request, lang)
        try:
            address = normalise_address(email)
        except BadAddress:
            return self._form(request, lang, 400, email=email, chosen=chosen, error="email")
        if not self.svc.email_limit.allow(address.casefold()):
            return self._limited(request, lang)
        try:
            item = subscribers.validate(self.settings, address, chosen, None, lang, None, "pending")
        except InputError:
            return self._form(request, lang, 400, email=email, chosen=chosen, error="section")
        pending_id = await run_in_threadpool(self._store_pending, item)
        response = self._notice(request, lang, "sent.title", "sent.body")
        if pending_id is not None:
            response.background = BackgroundTask(self._send_confirmation, pending_id)
        return response

    def _form(
        self,
        request: Request,
        lang: str,
        status: int = 200,
        email: str = "",
        chosen: list[str] | None = None,
        error: str = "",
    ) -> Response:
        return self.svc.pages.render(
            request,
            "subscribe.html",
            lang,
            status,
            email=email,
            chosen=chosen or [],
            error=error,
        )

    def _limited(self, request: Request, lang: str) -> Response:
        response = self._notice(request, lang, "limited.title", "limited.body", status=429)
        response.headers["retry-after"] = str(int(self.svc.email_limit.per_seconds))
        return response

    def _store_pending(self, item: SubscriberInput) -> int | None:
        """Record the request; None when the address is already active (nothing changes)."""
        with self.svc.engine.begin() as conn:
            existing = subscribers.find(conn, item.email)
            if existing is not None and existing.status == "active":
                return None
            subscriber_id, _ = subscribers.save(conn, item, self.svc.clock.now())
            return subscriber_id

    async def _send_confirmation(self, subscriber_id: int) -> None:
        try:
            await send_confirmations(
                self.settings, self.svc.engine, self.svc.clock, [subscriber_id], self.svc.sender()
            )
        except Exception:  # the reader already has their answer; the log keeps the reason
            log.exception("confirmation email for subscriber %s failed", subscriber_id)

    # -- confirm ------------------------------------------------------------------

    async def confirm(self, request: Request) -> Response:
        found = await self._claims(request, "confirm", request.query_params.get("token", ""))
        if isinstance(found, str):
            return self._bad_link(request, found)
        lang = self._lang(request, found)
        if found.status == "pending":
            await run_in_threadpool(self._activate, found.id, self.svc.clock.now())
        elif found.status != "active":
            return self._notice(
                request,
                lang,
                "token.title",
                "confirmed.inactive",
                status=409,
                action_url="/subscribe",
                action_key="token.again",
            )
        return self._notice(
            request,
            lang,
            "confirmed.title",
            "confirmed.body",
            action_url=self._link("preferences", found.id),
            action_key="preferences.link",
        )

    def _activate(self, subscriber_id: int, now: datetime) -> None:
        with self.svc.engine.begin() as conn:
            conn.execute(
                update(subscribers_table)
                .where(subscribers_table.c.id == subscriber_id)
                .where(subscribers_table.c.status == "pending")
                .values(status="active", confirmed_at=now)
            )

    def _link(self, purpose: str, subscriber_id: int) -> str:
        return link(self.settings, purpose, purpose, subscriber_id)

    # -- unsubscribe --------------------------------------------------------------

    async def unsubscribe(self, request: Request) -> Response:
        token = request.query_params.get("token", "")
        form = await request.form() if request.method == "POST" else None
        if form is not None and not token:
            token = str(form.get("token", ""))
        found = await self._claims(request, "unsubscribe", token)
        if isinstance(found, str):
            return self._bad_link(request, found)
        lang = self._lang(request, found)
        if form is None:
            return self.svc.pages.render(
                request, "unsubscribe.html", lang, subscriber=found, token=token
            )
        # RFC 8058: the mail provider's POST carries no cookie, so no CSRF token; the
        # signed link is what authorises it. A browser's button press carries both.
        one_click = form.get("List-Unsubscribe") == ONE_CLICK
        if not one_click and not self._csrf_ok(request, form):
            return self._csrf_failed(request)
        await run_in_threadpool(self._unsubscribe, found.id, self.svc.clock.now())
        return self._notice(
            request,
            lang,
            "unsubscribed.title",
            "unsubscribed.body",
            action_url="/subscribe",
            action_key="token.again",
        )

    def _unsubscribe(self, subscriber_id: int, now: datetime) -> None:
        with self.svc.engine.begin() as conn:
            conn.execute(
                update(subscribers_table)
                .where(subscribers_table.c.id == subscriber_id)
                .where(subscribers_table.c.status != "unsubscribed")
                .values(status="unsubscribed", unsubscribed_at=now)
            )

    # -- preferences --------------------------------------------------------------

    async def preferences(self, request: Request) -> Response:
        token = request.query_params.get("token", "")
        found = await self._claims(request, "preferences", token)
        if isinstance(found, str):
            return self._bad_link(request, found)
        lang = self._lang(request, found)
        if request.method == "GET":
            return self._preferences_form(request, lang, found)
        form = await request.form()
        if not self._csrf_ok(request, form):
            return self._csrf_failed(request)
        chosen = [str(s) for s in form.getlist("sections")]
        try:
            item = subscribers.validate(
                self.settings,
                found.email,
                chosen,
                str(form.get("timezone", "")),
                str(form.get("language", "")),
                str(form.get("digest_time", "")),
                found.status,
            )
        except InputError as exc:
            field = exc.message.split(":", 1)[0]
            return self._preferences_form(request, lang, found, status=400, error=field)
        await run_in_threadpool(self._save_preferences, found.id, item)
        updated = await run_in_threadpool(self._get, found.id)
        assert updated is not None
        return self._preferences_form(request, self._lang(request, updated), updated, saved=True)

    def _preferences_form(
        self,
        request: Request,
        lang: str,
        subscriber: Subscriber,
        status: int = 200,
        error: str = "",
        saved: bool = False,
    ) -> Response:
        return self.svc.pages.render(
            request,
            "preferences.html",
            lang,
            status,
            subscriber=subscriber,
            error=error,
            saved=saved,
            timezones=self.svc.timezones,
            unsubscribe_url=self._link("unsubscribe", subscriber.id),
        )

    def _save_preferences(self, subscriber_id: int, item: SubscriberInput) -> None:
        with self.svc.engine.begin() as conn:
            conn.execute(
                update(subscribers_table)
                .where(subscribers_table.c.id == subscriber_id)
                .values(
                    timezone=item.timezone, language=item.language, digest_time=item.digest_time
                )
            )
            subscribers.set_sections(conn, subscriber_id, item.sections)
