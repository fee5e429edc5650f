"""Subscribe, confirm, unsubscribe: GET (and HEAD) shows, POST changes state.

Answers never reveal whether an address is known: the subscribe form says the
same thing, at about the same speed, for a new, pending or active address (the
email goes out after the response).
"""

from __future__ import annotations

import logging

from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from syndicate import subscribers
from syndicate.addresses import BadAddress, normalise_address
from syndicate.delivery import send_confirmations
from syndicate.errors import InputError
from syndicate.store import selfservice
from syndicate.store import subscribers as subscriber_store
from syndicate.subscribers import Actor, SubscriberInput
from syndicate.web.i18n import LANGUAGES
from syndicate.web.subscriberpages import SubscriberPages

log = logging.getLogger(__name__)
ONE_CLICK = "One-Click"
# The reasons the unsubscribe page offers (all optional), and how much free text it keeps.
UNSUBSCRIBE_REASONS = ("too_many", "not_relevant", "never_asked", "other")
NOTE_LIMIT = 500


def unsubscribe_reason(form: FormData) -> tuple[str, str]:
    """The optional reason and note of an unsubscribe form ("" when not given)."""
    reason = str(form.get("reason", "") or "")
    note = " ".join(str(form.get("note", "") or "").split())[:NOTE_LIMIT]
    return (reason if reason in UNSUBSCRIBE_REASONS else ""), note


class SubscriptionPages(SubscriberPages):
    # -- subscribe ----------------------------------------------------------------

    async def subscribe(self, request: Request) -> Response:
        lang = self._lang(request)
        if request.method == "GET":
            # A feed page's form asks for this page with the address and section filled in.
            query = request.query_params
            known = set(self.settings.section_slugs)
            chosen = [s for s in query.getlist("sections") if s in known]
            return self._form(request, lang, email=query.get("email", "")[:254], chosen=chosen)
        form = await self._read_form(request)
        if not self._csrf_ok(request, form):
            return self._csrf_failed(request)
        chosen_lang = str(form.get("language", ""))
        lang = chosen_lang if chosen_lang in LANGUAGES else lang
        email = str(form.get("email", ""))
        chosen = [str(s) for s in form.getlist("sections")]
        client = self.svc.clients.address(request)
        if not self.svc.client_limit.allow(client):
            return self._limited(request, lang)
        try:
            address = normalise_address(email)
        except BadAddress:
            return self._form(request, lang, 400, email=email, chosen=chosen, error="email")
        if not self.svc.email_limit.allow(address.casefold()):
            return self._limited(request, lang)
        try:
            item = subscribers.validate(
                self.settings,
                address,
                chosen,
                None,
                lang,
                None,
                "pending",
                str(form.get("cadence", "")),
                str(form.get("weekday", "")),
                "alerts" in form,
            )
        except InputError as exc:
            error = exc.field if exc.field in ("cadence", "weekday") else "section"
            return self._form(request, lang, 400, email=email, chosen=chosen, error=error)
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
            current_cadence="daily",
            current_weekday="mon",
            current_alerts=False,
        )

    def _store_pending(self, item: SubscriberInput) -> int | None:
        """Record the request; None when no confirmation is owed (an active address: nothing
        changes)."""
        with self.svc.engine.begin() as conn:
            existing = subscriber_store.find(conn, item.email)
            if existing is not None and existing.status == "active":
                return None
            saved = subscriber_store.save(conn, item, self.svc.clock.now(), Actor.PERSON)
            return saved.id if saved.decision.owes_confirmation else None

    async def _send_confirmation(self, subscriber_id: int) -> None:
        try:
            sender = self.svc.sender()
            try:
                await send_confirmations(
                    self.settings, self.svc.engine, self.svc.clock, [subscriber_id], sender=sender
                )
            finally:
                await sender.close()
        except Exception:  # the reader already has their answer; the log keeps the reason
            log.exception("confirmation email for subscriber %s failed", subscriber_id)

    # -- confirm ------------------------------------------------------------------

    async def confirm(self, request: Request) -> Response:
        """GET (and HEAD) only shows a button: mail scanners follow links, people press."""
        token = request.query_params.get("token", "")
        form = await self._read_form(request) if request.method == "POST" else None
        if form is not None and not token:
            token = str(form.get("token", ""))
        found = await self._claims(request, "confirm", token)
        if isinstance(found, str):
            return self._bad_link(request, found)
        lang = self._lang(request, found)
        if form is None and found.status == "pending":
            return self.svc.pages.render(
                request, "confirm.html", lang, subscriber=found, token=token
            )
        if form is not None and not self._csrf_ok(request, form):
            return self._csrf_failed(request)
        if found.status == "pending":
            await run_in_threadpool(self._change, found.id, "active")
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
            action_url=self._link("preferences", found),
            action_key="preferences.link",
        )

    # -- unsubscribe --------------------------------------------------------------

    async def unsubscribe(self, request: Request) -> Response:
        token = request.query_params.get("token", "")
        form = await self._read_form(request) if request.method == "POST" else None
        if form is not None and not token:
            token = str(form.get("token", ""))
        found = await self._claims(request, "unsubscribe", token)
        if isinstance(found, str):
            return self._bad_link(request, found)
        lang = self._lang(request, found)
        if form is None:
            return self.svc.pages.render(
                request,
                "unsubscribe.html",
                lang,
                subscriber=found,
                token=token,
                reasons=UNSUBSCRIBE_REASONS,
            )
        # RFC 8058: the mail provider's POST carries no cookie, so no CSRF token; the
        # signed link is what authorises it. A browser's button press carries both.
        one_click = form.get("List-Unsubscribe") == ONE_CLICK
        if not one_click and not self._csrf_ok(request, form):
            return self._csrf_failed(request)
        await run_in_threadpool(self._change, found.id, "unsubscribed")
        reason, note = unsubscribe_reason(form)
        if reason or note:
            await run_in_threadpool(self._save_reason, found.id, reason, note)
        return self._notice(
            request,
            lang,
            "unsubscribed.title",
            "unsubscribed.body",
            action_url="/subscribe",
            action_key="token.again",
        )

    def _save_reason(self, subscriber_id: int, reason: str, note: str) -> None:
        with self.svc.engine.begin() as conn:
            selfservice.set_unsubscribe_reason(conn, subscriber_id, reason, note)
