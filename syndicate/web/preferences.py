"""/preferences?token=: sections, send time, timezone and language."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from syndicate import subscribers
from syndicate.errors import InputError
from syndicate.store import subscribers as subscriber_store
from syndicate.subscribers import Subscriber, SubscriberInput
from syndicate.web.subscriberpages import SubscriberPages

# The form's fields, by the name validation errors start with, and their message keys.
_FIELD_ERRORS = {
    "sections": "section",
    "timezone": "timezone",
    "language": "language",
    "digest_time": "digest_time",
    "cadence": "cadence",
    "weekday": "weekday",
    "alerts": "alerts",
}


def _field(exc: InputError) -> str:
    """The message key for the field ``exc`` names ('form' when it names none of the form's)."""
    return _FIELD_ERRORS.get(exc.field, "form")


class PreferencesPage(SubscriberPages):
    async def preferences(self, request: Request) -> Response:
        token = request.query_params.get("token", "")
        found = await self._claims(request, "preferences", token)
        if isinstance(found, str):
            return self._bad_link(request, found)
        lang = self._lang(request, found)
        if request.method == "GET":
            return self._preferences_form(request, lang, found)
        form = await self._read_form(request)
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
                str(form.get("cadence", "")),
                str(form.get("weekday", "")),
                "alerts" in form,
            )
        except InputError as exc:
            return self._preferences_form(request, lang, found, status=400, error=_field(exc))
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
            token=request.query_params.get("token", ""),
            unsubscribe_url=self._link("unsubscribe", subscriber),
        )

    def _save_preferences(self, subscriber_id: int, item: SubscriberInput) -> None:
        with self.svc.engine.begin() as conn:
            subscriber_store.set_preferences(
                conn,
                subscriber_id,
                item.sections,
                item.timezone,
                item.language,
                item.digest_time,
                lane=(item.cadence, item.weekday, item.alerts),
            )
