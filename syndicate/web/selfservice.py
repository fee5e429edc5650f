"""Readers helping themselves: "send me my preferences link", a pause, why they left.

``POST /preferences/link`` answers the same for every address, at the same speed:
the look-up and the email happen after the response, and only an active address
gets one. The email is an outbox row of kind ``link`` (one per subscriber per
hour, see ``store.outbox.link_key``), tried at once and, when the relay is down,
again by the delivery loop like every other message. The rate limits are the
subscribe form's (per client, per address).
"""

from __future__ import annotations

import logging
from datetime import date, timedelta

from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from syndicate.addresses import BadAddress, normalise_address
from syndicate.delivery import deliver_due_async
from syndicate.digest.selection import local_date
from syndicate.store import outbox, selfservice
from syndicate.store import subscribers as subscriber_store
from syndicate.subscribers import Subscriber
from syndicate.web.preferences import PreferencesPage

log = logging.getLogger(__name__)
LONGEST_PAUSE = timedelta(days=366)


class SelfService(PreferencesPage):
    # -- send me my link ------------------------------------------------------------

    async def send_link(self, request: Request) -> Response:
        lang = self._lang(request)
        if request.method != "POST":
            return self.svc.pages.render(request, "link.html", lang, email="", error="")
        form = await self._read_form(request)
        if not self._csrf_ok(request, form):
            return self._csrf_failed(request)
        email = str(form.get("email", ""))
        if not self.svc.client_limit.allow(self.svc.clients.address(request)):
            return self._limited(request, lang)
        try:
            address = normalise_address(email)
        except BadAddress:
            return self.svc.pages.render(
                request, "link.html", lang, 400, email=email, error="email"
            )
        if not self.svc.email_limit.allow(f"link:{address.casefold()}"):
            return self._limited(request, lang)
        response = self._notice(request, lang, "link.sent.title", "link.sent.body")
        response.background = BackgroundTask(self._send_link, address)
        return response

    def _active(self, address: str) -> Subscriber | None:
        with self.svc.engine.connect() as conn:
            found = subscriber_store.find(conn, address)
        return found if found is not None and found.status == "active" else None

    def _enqueue_link(self, found: Subscriber) -> int | None:
        with self.svc.engine.begin() as conn:
            return outbox.enqueue_link(conn, found.id, found.email, self.svc.clock.now())

    async def _send_link(self, address: str) -> None:
        try:
            found = await run_in_threadpool(self._active, address)
            if found is None:
                return
            row_id = await run_in_threadpool(self._enqueue_link, found)
            if row_id is None:  # asked again within the hour: that email is on its way
                return
            sender = self.svc.sender()
            try:
                await deliver_due_async(
                    self.svc.engine, self.settings, self.svc.clock, sender, only=[row_id]
                )
            finally:
                await sender.close()
                # Not sent (the relay is down)? A delivery loop waiting for a later retry
                # looks again, so this row's retry time counts.
                self.svc.wake()
        except Exception:  # the reader has their answer; a queued row is retried by delivery
            log.exception("preferences link email failed")

    # -- pause ----------------------------------------------------------------------

    async def pause(self, request: Request) -> Response:
        """POST /preferences/pause?token=: pause until a date, or resume now."""
        token = request.query_params.get("token", "")
        found = await self._claims(request, "preferences", token)
        if isinstance(found, str):
            return self._bad_link(request, found)
        lang = self._lang(request, found)
        form = await self._read_form(request)
        if not self._csrf_ok(request, form):
            return self._csrf_failed(request)
        until: date | None = None
        if form.get("action") != "resume":
            today = local_date(self.svc.clock.now(), found.timezone)
            try:
                until = date.fromisoformat(str(form.get("until", "")))
            except ValueError:
                until = None
            if until is None or not today < until <= today + LONGEST_PAUSE:
                return self._preferences_form(request, lang, found, status=400, error="pause")
        await run_in_threadpool(self._save_pause, found.id, until)
        updated = await run_in_threadpool(self._get, found.id)
        assert updated is not None
        return self._preferences_form(request, lang, updated, saved=True)

    def _save_pause(self, subscriber_id: int, until: date | None) -> None:
        with self.svc.engine.begin() as conn:
            selfservice.set_pause(conn, subscriber_id, until, self.svc.clock.now())
