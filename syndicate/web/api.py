"""POST /api/articles: one article as JSON, stored and its feeds republished before answering."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response

from syndicate import metrics
from syndicate.articles import ArticleInput, ArticleRejected, FieldError, parse_json
from syndicate.digest import alerts
from syndicate.store.articles import UpsertResult, upsert
from syndicate.web.context import Service

log = logging.getLogger(__name__)
MAX_ARTICLE_BYTES = 1024 * 1024


class TooLarge(Exception):
    pass


def _errors(items: list[FieldError], status: int = 400) -> JSONResponse:
    return JSONResponse(
        {"errors": [{"field": e.field, "error": e.error} for e in items]}, status_code=status
    )


def _problem(status: int, message: str, **headers: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers or None)


class ArticlesApi:
    def __init__(self, svc: Service) -> None:
        self.svc = svc
        token = svc.settings.api_token.get_secret_value()
        # Compare fixed-length digests so neither timing nor length says how close a guess was.
        self._token_digest = hashlib.sha256(token.encode()).digest() if token else None

    def _authorised(self, request: Request) -> Response | None:
        if self._token_digest is None:
            return _problem(503, "the ingest API is off: set SYNDICATE_API_TOKEN to enable it")
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not given.strip():
            return _problem(
                401, "send Authorization: Bearer <token>", **{"www-authenticate": "Bearer"}
            )
        digest = hashlib.sha256(given.strip().encode()).digest()
        if not hmac.compare_digest(digest, self._token_digest):
            return _problem(403, "the bearer token is not valid")
        return None

    async def _body(self, request: Request) -> bytes:
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > MAX_ARTICLE_BYTES:
            raise TooLarge
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > MAX_ARTICLE_BYTES:
                raise TooLarge
            chunks.append(chunk)
        return b"".join(chunks)

    async def post(self, request: Request) -> Response:
        refused = self._authorised(request)
        if refused is not None:
            return refused
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind != "application/json" and not kind.endswith("+json"):
            return _problem(415, "send the article as Content-Type: application/json")
        try:
            raw = await self._body(request)
        except TooLarge:
            return _problem(413, f"the article is larger than {MAX_ARTICLE_BYTES} bytes")
        except ClientDisconnect:
            return Response(status_code=400)
        try:
            data: Any = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            metrics.ARTICLES_INGESTED.labels(outcome="rejected").inc()
            return _errors([FieldError("(body)", f"not valid JSON: {exc}")])
        except RecursionError:
            metrics.ARTICLES_INGESTED.labels(outcome="rejected").inc()
            return _errors([FieldError("(body)", "nested too deeply; send one flat article")])
        try:
            record = parse_json(data, self.svc.settings, self.svc.clock.now())
        except ArticleRejected as exc:
            metrics.ARTICLES_INGESTED.labels(outcome="rejected").inc()
            return _errors(exc.errors)
        result = await run_in_threadpool(self._store, record)
        outcome = result.outcome[record.guid]
        metrics.ARTICLES_INGESTED.labels(outcome=outcome).inc()
        if record.breaking and outcome != "unchanged":
            queued = await run_in_threadpool(self._alert, record.guid)
            if queued:
                self.svc.wake()  # back on the loop: the delivery loop sends them now
        if result.changed_sections:
            await self.republish(result.changed_sections)
        return JSONResponse(
            {"guid": record.guid, "status": outcome, "sections": list(record.sections)},
            status_code=201 if outcome == "new" else 200,
        )

    def _store(self, record: ArticleInput) -> UpsertResult:
        with self.svc.engine.begin() as conn:
            return upsert(conn, [record], self.svc.clock.now())

    def _alert(self, guid: str) -> int:
        """Queue a breaking article's alerts at once (the delivery loop sends them first);
        returns how many were queued."""
        try:
            report = alerts.alerts_for_guid(
                self.svc.engine, self.svc.settings, self.svc.clock, guid
            )
        except Exception:  # the article is stored; the next poll queues its alerts
            log.exception("queueing the alerts of %s failed", guid)
            return 0
        return report.queued

    async def republish(self, sections: set[str]) -> None:
        """Rebuild the changed sections' feeds now and serve the new files at once."""
        publish = self.svc.publish
        if publish is None:
            return
        async with self.svc.publish_lock:
            try:
                await run_in_threadpool(
                    publish, self.svc.engine, self.svc.settings, self.svc.clock, set(sections)
                )
            except Exception:  # the article is stored; the next poll publishes it
                log.exception("publishing feeds for %s failed", ", ".join(sorted(sections)))
            self.svc.cache.refresh()
