"""``/digests/``: the archive of editions, one edition's page, and a feed of editions.

``/digests/{date}`` shows the public edition (every section, the site's language);
``?lang=`` that language's sections; ``?token=`` (the "view in browser" link of an
email, signed for that purpose only) the reader's own edition. A reader's page is
personal, so it is never stored by shared caches.
"""

from __future__ import annotations

import re
from datetime import date
from functools import partial

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from syndicate.digest.selection import web_window
from syndicate.digest.templates import long_date
from syndicate.web.edition import (
    archive_page,
    editions_feed,
    language_edition_page,
    reader_edition_page,
    web_edition_page,
)
from syndicate.web.i18n import LANGUAGES
from syndicate.web.subscriberpages import SubscriberPages

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
MAX_PAGE = 10_000  # about 800 years of daily editions
PUBLIC = "public, max-age=300"


class ArchivePages(SubscriberPages):
    async def edition(self, request: Request) -> Response:
        day = _day(request.path_params["date"])
        now = self.svc.clock.now()
        # No page for a day whose edition has not begun.
        if web_window(self.settings, day, now)[0] >= now:
            raise HTTPException(404)
        token = request.query_params.get("token", "")
        if token:
            found = await self._claims(request, "digest", token)
            if isinstance(found, str):
                return self._bad_link(request, found)
            page = await run_in_threadpool(
                reader_edition_page, self.svc.engine, self.settings, found, day, now
            )
            return HTMLResponse(page, headers={"cache-control": "private, no-store"})
        asked = request.query_params.get("lang", "")
        if asked in LANGUAGES:
            page = await run_in_threadpool(
                language_edition_page, self.svc.engine, self.settings, day, asked, now
            )
        else:
            page = await run_in_threadpool(
                web_edition_page, self.svc.engine, self.settings, day, now
            )
        return HTMLResponse(page, headers={"cache-control": PUBLIC})

    async def index(self, request: Request) -> Response:
        lang = self._lang(request)
        raw = request.query_params.get("page", "1")
        if not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE:
            raise HTTPException(404)
        page = int(raw)
        listed = await run_in_threadpool(
            archive_page, self.svc.engine, self.settings, lang, page, self.svc.clock.now()
        )
        response = self.svc.pages.render(
            request, "digests.html", lang, archive=listed, day_name=partial(_long_date, lang)
        )
        response.headers["cache-control"] = PUBLIC
        return response

    async def feed(self, request: Request) -> Response:
        lang = self._lang(request)
        body = await run_in_threadpool(
            editions_feed, self.svc.engine, self.settings, lang, self.svc.clock.now()
        )
        return Response(
            body,
            media_type="application/atom+xml; charset=utf-8",
            headers={"cache-control": PUBLIC},
        )


def _long_date(language: str, day: date) -> str:
    return long_date(day, language)


def _day(raw: str) -> date:
    if not _ISO_DATE.fullmatch(raw):
        raise HTTPException(404)
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise HTTPException(404) from None
    # No edition before articles can be dated, nor where time zone arithmetic overflows.
    if not date(1970, 1, 1) <= day <= date(9998, 12, 31):
        raise HTTPException(404)
    return day
