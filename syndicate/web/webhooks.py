"""POST /webhooks/bounces/{provider}: bounce and complaint events from SES, Postmark, Mailgun
and SendGrid, each authenticated the way that provider signs its requests.

A request that fails authentication is answered 401/403 and changes nothing.
Each event is recorded under its provider's event id, so a retried delivery
of the same events (providers retry until they see a 2xx) changes nothing more.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from datetime import datetime

from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response

from syndicate import metrics
from syndicate.bounces.apply import apply
from syndicate.bounces.certificates import CertificateCache, Fetch, fetch_https
from syndicate.bounces.providers import (
    PROVIDERS,
    SECRET_ENV,
    BadPayload,
    Parsed,
    Refused,
    mailgun,
    postmark,
    sendgrid,
    ses,
)
from syndicate.web.context import Service

__all__ = ["BounceWebhooks", "Fetch"]

log = logging.getLogger(__name__)


class BounceWebhooks:
    def __init__(
        self, svc: Service, environ: Mapping[str, str] | None = None, fetch: Fetch | None = None
    ) -> None:
        self.svc = svc
        env = os.environ if environ is None else environ
        self.secrets = {name: env.get(variable, "") for name, variable in SECRET_ENV.items()}
        self.fetch = fetch or fetch_https
        self.certificates = CertificateCache(self.fetch)

    def _parse(
        self, provider: str, body: bytes, headers: Mapping[str, str], now: datetime
    ) -> Parsed:
        if provider == "ses":
            topics = self.svc.settings.bounces.ses_topics
            return ses.parse(body, headers, self.certificates, now, topics)
        reader = {"mailgun": mailgun.parse, "sendgrid": sendgrid.parse, "postmark": postmark.parse}
        return reader[provider](body, headers, self.secrets[provider], now)

    async def post(self, request: Request) -> Response:
        provider = request.path_params["provider"]
        if provider not in PROVIDERS:
            return JSONResponse(
                {"error": f"unknown provider; use one of {', '.join(PROVIDERS)}"}, status_code=404
            )
        try:
            body = await request.body()
        except ClientDisconnect:
            return Response(status_code=400)
        now = self.svc.clock.now()
        try:
            parsed = self._parse(provider, body, dict(request.headers), now)
        except Refused as exc:
            log.warning("webhook %s refused: %s", provider, exc.reason)
            headers = {"www-authenticate": 'Basic realm="bounces"'} if exc.status == 401 else None
            return JSONResponse({"error": exc.reason}, status_code=exc.status, headers=headers)
        except BadPayload as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        if parsed.confirm_url:
            await run_in_threadpool(self.fetch, parsed.confirm_url)
            log.info("SNS subscription confirmed for the ses webhook")
            return JSONResponse({"confirmed": True})
        taken = 0
        for report in parsed.reports:
            applied = await run_in_threadpool(
                apply, self.svc.engine, self.svc.settings, report, provider, now
            )
            if not applied.duplicate:
                taken += 1
                metrics.BOUNCE_REPORTS.labels(kind=report.kind, source=provider).inc()
        return JSONResponse({"events": len(parsed.reports), "new": taken})
