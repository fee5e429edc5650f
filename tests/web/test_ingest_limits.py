"""POST /api/articles past every limit answers 400 naming the field, on SQLite and PostgreSQL."""

from __future__ import annotations

import json

import httpx
import pytest

from syndicate.store.articles import get as get_article
from tests.conftest import article_json
from tests.web.conftest import Web

AUTH = {"authorization": "Bearer test-token", "content-type": "application/json"}
LONG = "https://news.example.org/" + "a" * 2100


def post(web: Web, body: bytes | object) -> httpx.Response:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return web.http.post("/api/articles", content=content, headers=AUTH)


@pytest.fixture
def web(start_web, db_url: str) -> Web:
    return start_web(db_url)


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        ({"published_at": "9999-12-31T23:59:59-23:59"}, "published_at", "out of range"),
        ({"updated_at": "0001-01-01T00:30:00+01:00"}, "updated_at", "out of range"),
        ({"published_at": "2026-11-29T12:00:01Z"}, "published_at", "in the future"),
        ({"published_at": "1900-01-01T00:00:00Z"}, "published_at", "before 1970"),
        ({"url": LONG}, "url", "longer than 2048"),
        ({"url": "https://news.example.org/" + "é" * 400}, "url", "percent-encoded"),
        ({"guid": "x" * 2049}, "guid", "longer than 2048"),
        ({"image": {"url": LONG}}, "image.url", "longer than 2048"),
        ({"url": "https://news.example.org/a\u0000"}, "url", "control character"),
        ({"url": "https://news.example.org/\tb"}, "url", "control character"),
        ({"image": "https://img.example.org/\u0000.png"}, "image.url", "control character"),
        ({"url": "https://bad host.example/x"}, "url", "spaces"),
        ({"url": "https://[::zz]/x"}, "url", "not an absolute"),
        ({"url": "https://news.example.org:99x/"}, "url", "valid host"),
    ],
)
def test_each_limit_is_a_400_naming_the_field(
    web: Web, overrides: dict[str, object], field: str, words: str
) -> None:
    response = post(web, article_json(**overrides))
    assert response.status_code == 400, response.text
    errors = response.json()["errors"]
    assert any(e["field"] == field and words in e["error"] for e in errors), errors
    # Nothing was stored, and the service goes on.
    assert post(web, article_json()).status_code == 201


@pytest.mark.parametrize("depth", [1000, 5000, 100_000])
def test_deeply_nested_json_is_a_400(web: Web, depth: int) -> None:
    body = ('{"url": ' + "[" * depth + "]" * depth + "}").encode()
    response = post(web, body)
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["field"] == "(body)" and "nested too deeply" in error["error"]
    assert post(web, article_json()).status_code == 201


def test_separators_inside_strings_are_text(web: Web) -> None:
    response = post(web, article_json(headline="Uno\u2028dos\u2029tres\u0085cuatro"))
    assert response.status_code == 201
    with web.engine.connect() as conn:
        stored = get_article(conn, article_json()["url"])
    assert stored is not None and stored.headline == "Uno dos tres cuatro"


@pytest.mark.parametrize(
    "day", ["0001-01-01", "1969-12-31", "9999-12-31", "0999-06-15", "9999-01-01"]
)
def test_out_of_range_digest_dates_are_404(start_web, day: str) -> None:
    web = start_web()
    response = web.http.get(f"/digests/{day}")
    assert response.status_code == 404
