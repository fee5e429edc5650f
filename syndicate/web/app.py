"""The HTTP service: one Starlette app, one route table. See ``create_app``."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from syndicate import alarms, metrics
from syndicate.clock import Clock
from syndicate.config import ALL_SLUG, Settings
from syndicate.errors import InputError
from syndicate.mail.sender import Sender
from syndicate.store.engine import ping
from syndicate.timezones import offered_timezones
from syndicate.web.api import ArticlesApi
from syndicate.web.archive import ArchivePages
from syndicate.web.clients import Clients
from syndicate.web.context import Publisher, Service
from syndicate.web.feedcache import FeedCache
from syndicate.web.feedindex import feeds_index
from syndicate.web.feedpage import FeedPages, feed_link_headers, page_headers
from syndicate.web.feedserve import FeedFiles
from syndicate.web.i18n import pick_language
from syndicate.web.limits import bounded_body
from syndicate.web.links import feed_links, feed_name, snippet
from syndicate.web.pages import Pages
from syndicate.web.ratelimit import RateLimit
from syndicate.web.selfservice import SelfService
from syndicate.web.slashes import redirect_slashes
from syndicate.web.subscription import SubscriptionPages
from syndicate.web.webhooks import BounceWebhooks, Fetch

log = logging.getLogger(__name__)


def default_publisher() -> Publisher:
    from syndicate.feeds import publish

    return publish


class _Site:
    """Routes that are neither feeds files, subscriber pages nor the API."""

    def __init__(self, svc: Service, registry: Any) -> None:
        self.svc = svc
        self.registry = registry

    async def home(self, request: Request) -> Response:
        return RedirectResponse("/subscribe", status_code=303)

    async def healthz(self, request: Request) -> Response:
        try:
            await run_in_threadpool(self._ping)
        except SQLAlchemyError as exc:
            log.warning("health check: database unreachable: %s", exc.__class__.__name__)
            return PlainTextResponse("database unreachable\n", status_code=503)
        return PlainTextResponse("ok\n", headers={"cache-control": "no-store"})

    def _ping(self) -> None:
        ping(self.svc.engine)

    async def metrics(self, request: Request) -> Response:
        body = await run_in_threadpool(generate_latest, self.registry)
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    async def feed_links(self, request: Request) -> Response:
        section = request.path_params["section"]
        settings = self.svc.settings
        name = feed_name(settings, section)
        if name is None:
            raise HTTPException(404)
        links = feed_links(settings, section, name)
        lang = pick_language(request, settings.site.language)
        return self.svc.pages.render(
            request,
            "feed_links.html",
            lang,
            section_name=name,
            links=links,
            snippet=snippet(links),
        )

    async def not_found(self, request: Request, exc: Exception) -> Response:
        status = getattr(exc, "status_code", 404)
        if status != 404:
            return PlainTextResponse(getattr(exc, "detail", "error"), status_code=status)
        lang = pick_language(request, self.svc.settings.site.language)
        return self.svc.pages.render(
            request, "notice.html", lang, 404, title_key="notfound.title", body_key="notfound.body"
        )


class ServiceApp(Starlette):
    """Starlette, with feed files dispatched straight to their endpoint.

    Polls are most of the traffic; skipping the middleware stack and the route
    scan for them roughly doubles the rate. The route table still lists
    ``/feeds/{path:path}``, which serves whatever the shortcut does not take.
    """

    feed_files: FeedFiles

    @property
    def feed_cache(self) -> FeedCache:
        """Where ``FeedProtocol`` answers feed polls from, ahead of this app."""
        return self.feed_files.cache

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            receive = await bounded_body(scope, receive, send)
            if receive is None:
                return
        if scope["type"] == "http" and not scope.get("root_path"):
            path: str = scope["path"]
            if path.startswith("/feeds/") and not path.endswith("/"):
                scope["app"] = self
                scope["path_params"] = {"path": path[7:]}
                await self.feed_files(scope, receive, send)
                return
        await super().__call__(scope, receive, send)


def create_app(
    settings: Settings,
    engine: Engine,
    clock: Clock,
    *,
    sender: Callable[[], Sender],
    publish: Publisher | None | bool = True,
    subscribe_limit: tuple[int, float] = (10, 600.0),
    email_limit: tuple[int, float] = (3, 3600.0),
    feed_check_seconds: float = 1.0,
    certificate_fetch: Fetch | None = None,
    wake: Callable[[], None] | None = None,
) -> Starlette:
    """The whole HTTP service as one ASGI app.

    ``sender`` opens a Sender for confirmation emails (the app closes each one it
    opened). ``publish=True`` uses the feeds area's publish step after an ingest;
    pass a callable to replace it or ``None`` to skip.
    Limits are (attempts, per seconds): per client address and per email address.
    ``certificate_fetch`` gets SNS signing certificates (default: over https; tests
    hand in their own certificate, checked by the same code). ``wake`` is called on the
    event loop after a request queued messages for the delivery loop (``syndicate run``).
    """
    if not settings.secret.get_secret_value():
        raise InputError(
            "SYNDICATE_SECRET is not set; subscriber links cannot be signed",
            hint="export SYNDICATE_SECRET to a long random value (e.g. `openssl rand -hex 32`)",
        )
    cache = FeedCache(
        settings.feeds.output_dir,
        [*settings.section_slugs, ALL_SLUG],
        cache_control=f"public, max-age={settings.schedule.poll_seconds}",
        check_seconds=feed_check_seconds,
        feed_headers=feed_link_headers(settings),
        page=FeedPages(settings),
        page_headers=page_headers(settings),
    )
    svc = Service(
        settings=settings,
        engine=engine,
        clock=clock,
        pages=Pages(settings),
        cache=cache,
        sender=sender,
        publish=default_publisher() if publish is True else (publish or None),
        client_limit=RateLimit(clock, *subscribe_limit),
        email_limit=RateLimit(clock, *email_limit),
        timezones=offered_timezones(),
        clients=Clients(settings.server.trusted_proxies),
    )
    if wake is not None:
        svc.wake = wake
    site = _Site(
        svc, metrics.registry_for(engine, lambda: alarms.read(engine, settings, clock.now()))
    )
    forms = SubscriptionPages(svc)
    preferences = SelfService(svc)
    editions = ArchivePages(svc)
    api = ArticlesApi(svc)
    feed_files = FeedFiles(cache)
    hooks = BounceWebhooks(svc, fetch=certificate_fetch)
    routes = [
        Route("/", site.home, methods=["GET"]),
        Route("/healthz", site.healthz, methods=["GET"]),
        Route("/metrics", site.metrics, methods=["GET"]),
        Route("/feeds/", partial(feeds_index, svc), methods=["GET"]),
        Route("/feeds/{section}/", site.feed_links, methods=["GET"]),
        Route("/feeds/{path:path}", feed_files),
        Route("/subscribe", forms.subscribe, methods=["GET", "POST"]),
        Route("/confirm", forms.confirm, methods=["GET", "POST"]),
        Route("/unsubscribe", forms.unsubscribe, methods=["GET", "POST"]),
        Route("/preferences", preferences.preferences, methods=["GET", "POST"]),
        Route("/preferences/link", preferences.send_link, methods=["GET", "POST"]),
        Route("/preferences/pause", preferences.pause, methods=["POST"]),
        Route("/digests/", editions.index, methods=["GET"]),
        Route("/digests/feed.xml", editions.feed, methods=["GET"]),
        Route("/digests/{date}", editions.edition, methods=["GET"]),
        Route("/api/articles", api.post, methods=["POST"]),
        Route("/webhooks/bounces/{provider}", hooks.post, methods=["POST"]),
    ]
    app = ServiceApp(routes=routes, exception_handlers={HTTPException: site.not_found})
    redirect_slashes(app.router)  # Starlette's own redirects name the Host header
    app.feed_files = feed_files
    app.state.service = svc
    app.state.feeds = cache
    app.state.republish = api.republish
    return app
