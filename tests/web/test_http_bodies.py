"""Request bodies are capped per route before any handler spools, checks or parses them."""

from __future__ import annotations

import json

import httpx
import pytest
from sqlalchemy import select

from syndicate.store.tables import subscribers as subscribers_table
from syndicate.web import limits
from syndicate.web.limits import API_BYTES, FORM_BYTES
from tests.web.conftest import Web
from tests.web.forms import form_fields
from tests.web.rawhttp import connect, read_reply, send_all

FORMS = ["/subscribe", "/unsubscribe?token=x", "/preferences?token=x", "/confirm?token=x"]


def nobody_subscribed(web: Web) -> bool:
    with web.engine.connect() as conn:
        return conn.execute(select(subscribers_table)).all() == []


def post_head(path: str, framing: str, kind: str = "application/x-www-form-urlencoded") -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: {kind}\r\n{framing}\r\n\r\n"
    ).encode()


@pytest.mark.parametrize("path", [*FORMS, "/api/articles", "/nowhere", "/feeds/world/rss.xml"])
def test_a_declared_huge_body_is_refused_before_it_is_sent(start_web, path: str) -> None:
    web = start_web()
    with connect(web.url) as conn:
        send_all(conn, post_head(path, f"Content-Length: {300 * 1024 * 1024}"))
        status, data, closed = read_reply(conn, until_closed=True)
    assert status == 413, data[:300]
    assert closed
    assert nobody_subscribed(web)


def test_a_large_multipart_subscribe_is_refused_even_with_a_good_csrf_token(start_web) -> None:
    web = start_web()
    page = web.http.get("/subscribe")
    sent = web.http.post(
        "/subscribe",
        data={**form_fields(page), "email": "ana@example.com"},
        files={"upload": ("big.bin", b"\0" * (FORM_BYTES * 4), "application/octet-stream")},
    )
    assert sent.status_code == 413
    assert nobody_subscribed(web)
    small = web.http.post("/subscribe", data={**form_fields(page), "email": "ana@example.com"})
    assert small.status_code == 200


@pytest.mark.parametrize("path", ["/subscribe", "/api/articles"])
def test_a_chunked_body_is_counted_as_it_streams(start_web, path: str) -> None:
    web = start_web()
    limit = limits.body_limit(path)
    chunk = b"a" * 4096
    with connect(web.url) as conn:
        sent = send_all(conn, post_head(path, "Transfer-Encoding: chunked", "application/json"))
        for _ in range(limit // len(chunk) + 2):
            sent = sent and send_all(conn, b"%x\r\n%s\r\n" % (len(chunk), chunk))
        status, data, closed = read_reply(conn, until_closed=True)
    assert status == 413, data[:300]
    assert closed


def test_articles_up_to_a_mebibyte_are_read(start_web) -> None:
    web = start_web()
    article = {"url": "https://news.example.org/a", "title": "T", "section": "world"}
    article["body"] = "<p>" + "x" * (API_BYTES - 1000) + "</p>"
    raw = json.dumps(article).encode()
    assert len(raw) <= API_BYTES
    headers = {"authorization": "Bearer test-token", "content-type": "application/json"}
    response = web.http.post("/api/articles", content=raw, headers=headers)
    assert response.status_code != 413, response.text
    over = web.http.post("/api/articles", content=raw + b" " * 2000, headers=headers)
    assert over.status_code == 413


def test_a_slow_body_times_out(start_web, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "BODY_SECONDS", 1.0)
    web = start_web()
    with connect(web.url) as conn:
        send_all(conn, post_head("/subscribe", "Content-Length: 100") + b"email=")
        status, data, closed = read_reply(conn, timeout=5, until_closed=True)
    assert status == 408, data[:300]
    assert closed
    assert web.http.get("/healthz").status_code == 200


def test_expect_100_continue_gets_413_without_the_body(start_web) -> None:
    web = start_web()
    with connect(web.url) as conn:
        send_all(
            conn,
            post_head("/subscribe", f"Content-Length: {FORM_BYTES + 1}\r\nExpect: 100-continue"),
        )
        status, data, _ = read_reply(conn)
    assert status == 413
    assert b"100 Continue" not in data


def test_small_bodies_still_reach_their_handlers(start_web) -> None:
    web = start_web()
    with httpx.Client(base_url=web.url) as client:
        assert client.post("/subscribe", data={"email": "a@example.com"}).status_code == 403
        assert client.post("/healthz", content=b"x").status_code == 405
