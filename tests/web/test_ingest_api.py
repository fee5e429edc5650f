"""POST /api/articles over HTTP: auth, media type, size, field errors, upsert, feed refresh."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from syndicate.store.articles import get as get_article
from syndicate.web.api import MAX_ARTICLE_BYTES
from tests.conftest import article_json
from tests.web.conftest import Web

AUTH = {"authorization": "Bearer test-token"}


def post(web: Web, body: object, headers: dict[str, str] | None = None) -> httpx.Response:
    return web.http.post(
        "/api/articles",
        content=json.dumps(body).encode() if not isinstance(body, bytes) else body,
        headers={"content-type": "application/json", **AUTH, **(headers or {})},
    )


@pytest.fixture
def web(start_web) -> Web:
    return start_web()


def test_needs_the_bearer_token(web: Web) -> None:
    body = json.dumps(article_json()).encode()
    missing = web.http.post(
        "/api/articles", content=body, headers={"content-type": "application/json"}
    )
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"] == "Bearer"
    basic = post(web, article_json(), {"authorization": "Basic dGVzdDp0ZXN0"})
    assert basic.status_code == 401
    for wrong in ("Bearer test-toke", "Bearer test-tokenX", "Bearer " + "x" * 500):
        assert post(web, article_json(), {"authorization": wrong}).status_code == 403
    with web.engine.connect() as conn:
        assert get_article(conn, article_json()["url"]) is None
    assert web.http.get("/api/articles").status_code == 405


def test_new_updated_unchanged(web: Web) -> None:
    created = post(web, article_json(headline="First"))
    assert created.status_code == 201
    assert created.json() == {
        "guid": "https://news.example.org/world/story-1",
        "status": "new",
        "sections": ["world"],
    }
    same = post(web, article_json(headline="First"))
    assert same.status_code == 200 and same.json()["status"] == "unchanged"
    changed = post(web, article_json(headline="Second", sections=["politics", "world"]))
    assert changed.status_code == 200 and changed.json()["status"] == "updated"
    with web.engine.connect() as conn:
        stored = get_article(conn, "https://news.example.org/world/story-1")
    assert stored is not None
    assert (stored.headline, stored.sections) == ("Second", ("politics", "world"))


def test_field_errors_are_listed(web: Web) -> None:
    response = post(
        web,
        {"url": "ftp://x", "section": "sports", "headline": "", "published_at": "yesterday"},
    )
    assert response.status_code == 400
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"url", "section", "headline", "published_at"}
    assert all(e["error"] for e in response.json()["errors"])
    not_object = post(web, [article_json()])
    assert not_object.status_code == 400
    assert not_object.json()["errors"][0]["field"] == "(record)"
    broken = post(web, b'{"url": ')
    assert broken.status_code == 400
    assert broken.json()["errors"][0]["error"].startswith("not valid JSON")


def test_media_type_and_size(web: Web) -> None:
    as_form = web.http.post("/api/articles", data={"url": "x"}, headers=AUTH)
    assert as_form.status_code == 415
    plain = post(web, article_json(), {"content-type": "text/plain"})
    assert plain.status_code == 415
    charset = post(web, article_json(), {"content-type": "application/json; charset=utf-8"})
    assert charset.status_code == 201
    big = article_json(body="x" * (MAX_ARTICLE_BYTES + 1))
    assert post(web, big).status_code == 413

    def chunks():  # no Content-Length: the limit holds while streaming too
        yield b'{"body": "'
        for _ in range(MAX_ARTICLE_BYTES // 65536 + 2):
            yield b"x" * 65536
        yield b'"}'

    streamed = web.http.post(
        "/api/articles",
        content=chunks(),
        headers={"content-type": "application/json", **AUTH},
    )
    assert streamed.status_code == 413


def test_new_article_is_in_its_feed_within_a_second(start_web) -> None:
    web = start_web(publish=True, feed_check_seconds=3600)
    before = samples(web.http.get("/metrics").text).get("syndicate_feeds_built_total", 0.0)
    started = time.monotonic()
    response = post(web, article_json(headline="Fresh off the press"))
    assert response.status_code == 201
    rss = web.http.get("/feeds/world/rss.xml")
    elapsed = time.monotonic() - started
    assert rss.status_code == 200
    assert "Fresh off the press" in rss.text
    assert elapsed < 1.0
    assert "Fresh off the press" in web.http.get("/feeds/all/feed.json").text
    assert web.http.get("/feeds/politics/rss.xml").status_code == 404  # never built: not touched
    after = samples(web.http.get("/metrics").text)["syndicate_feeds_built_total"]
    assert after - before == 2  # world and all

    etag = rss.headers["etag"]
    assert post(web, article_json(headline="Fresh off the press")).status_code == 200
    assert web.http.get("/feeds/world/rss.xml", headers={"if-none-match": etag}).status_code == 304
    assert post(web, article_json(headline="Corrected headline")).status_code == 200
    updated = web.http.get("/feeds/world/rss.xml", headers={"if-none-match": etag})
    assert updated.status_code == 200
    assert "Corrected headline" in updated.text


def samples(text: str) -> dict[str, float]:
    return {
        line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line and not line.startswith("#")
    }


def test_metrics(web: Web) -> None:
    before = samples(web.http.get("/metrics").text)
    post(web, article_json())
    post(web, {"url": "nope"})
    web.http.get("/feeds/world/rss.xml")
    response = web.http.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    after = samples(response.text)
    for name in (
        'syndicate_articles_ingested_total{outcome="new"}',
        'syndicate_articles_ingested_total{outcome="rejected"}',
        'syndicate_feed_requests_total{code="404"}',
    ):
        assert after[name] - before.get(name, 0.0) == 1, name
    assert after['syndicate_outbox_messages{state="queued"}'] == 0
    assert after['syndicate_alert_messages{state="queued"}'] == 0
    assert after["syndicate_corrections_delivered"] == 0
    assert after['syndicate_subscribers{status="active"}'] == 0
    assert after["syndicate_store_up"] == 1
    assert "syndicate_feeds_built_total" in after
    assert 'syndicate_feed_requests_total{code="304"}' in after


def test_web_edition_of_a_day(web: Web) -> None:
    # The test clock stands at 2026-11-28 07:00 in Lima, the default send time.
    assert post(web, article_json(headline="Morning story")).status_code == 201
    web.clock.advance(hours=1)
    late = article_json(url="https://news.example.org/world/late", headline="Later story")
    assert post(web, late).status_code == 201
    today = web.http.get("/digests/2026-11-28")
    assert today.status_code == 200
    assert today.headers["content-type"] == "text/html; charset=utf-8"
    assert "Morning story" in today.text
    assert "Later story" not in today.text  # belongs to the next edition
    tomorrow = web.http.get("/digests/2026-11-29")
    assert tomorrow.status_code == 200
    assert "Later story" in tomorrow.text and "Morning story" not in tomorrow.text
    empty = web.http.get("/digests/2026-01-05")
    assert empty.status_code == 200
    assert "Morning story" not in empty.text
    for missing in (
        "/digests/2026-12-25",
        "/digests/2026-13-01",
        "/digests/yesterday",
        "/digests/20261128",
    ):
        assert web.http.get(missing).status_code == 404, missing
