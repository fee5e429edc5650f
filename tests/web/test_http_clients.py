"""Who the client is (X-Forwarded-For only from trusted proxies) and where redirects point."""

from __future__ import annotations

import pytest
from starlette.requests import Request

from syndicate.web.clients import Clients
from tests.web.conftest import Web
from tests.web.forms import subscribe
from tests.web.rawhttp import connect, header, read_reply, send_all

TRUST_LOCAL = 'trusted_proxies = ["127.0.0.1/32", "10.0.0.0/8"]\n'  # into the base [server]


def request(peer: str, *forwarded: str) -> Request:
    headers = [(b"x-forwarded-for", line.encode()) for line in forwarded]
    return Request({"type": "http", "client": (peer, 1234), "headers": headers})


@pytest.mark.parametrize(
    "peer, forwarded, expected",
    [
        ("203.0.113.5", ["198.51.100.1"], "203.0.113.5"),  # not a proxy: its header is ignored
        ("127.0.0.1", [], "127.0.0.1"),
        ("127.0.0.1", ["203.0.113.7"], "203.0.113.7"),
        ("127.0.0.1", ["198.51.100.1, 203.0.113.7"], "203.0.113.7"),
        ("127.0.0.1", ["198.51.100.1", "203.0.113.7"], "203.0.113.7"),  # two header lines
        ("127.0.0.1", ["203.0.113.7", "10.1.2.3"], "203.0.113.7"),  # through two proxies
        ("127.0.0.1", ["203.0.113.7, 10.1.2.3, 10.9.9.9"], "203.0.113.7"),
        ("127.0.0.1", ["10.1.2.3"], "10.1.2.3"),  # only proxies: the first one
        ("127.0.0.1", ["1.2.3.4, not-an-ip"], "127.0.0.1"),  # garbage: trust stops there
        ("127.0.0.1", ["203.0.113.7:5555"], "203.0.113.7"),
        ("127.0.0.1", ["[2001:db8::1]:443"], "2001:db8::/64"),
        ("127.0.0.1", ["2001:db8::1"], "2001:db8::/64"),
        ("127.0.0.1", ["2001:db8:0:0:ffff::9"], "2001:db8::/64"),  # same /64: same client
        ("127.0.0.1", ["::ffff:203.0.113.7"], "203.0.113.7"),
        ("127.0.0.1", [" , ,203.0.113.7 , "], "203.0.113.7"),
        ("::ffff:127.0.0.1", ["203.0.113.7"], "203.0.113.7"),
    ],
)
def test_the_client_is_the_right_most_untrusted_hop(peer, forwarded, expected) -> None:
    assert Clients(["127.0.0.1/32", "10.0.0.0/8"]).address(request(peer, *forwarded)) == expected


def test_nobody_is_trusted_by_default() -> None:
    assert Clients([]).address(request("127.0.0.1", "203.0.113.7")) == "127.0.0.1"


def test_without_trusted_proxies_the_header_changes_nothing(start_web) -> None:
    web = start_web(subscribe_limit=(1, 600.0))
    web.http.headers["x-forwarded-for"] = "203.0.113.1"
    assert subscribe(web, "one@example.com").status_code == 200
    for spoofed in ("203.0.113.2", "203.0.113.3, 203.0.113.4"):
        web.http.headers["x-forwarded-for"] = spoofed
        assert subscribe(web, "two@example.com").status_code == 429


def test_a_second_header_line_does_not_buy_a_new_limit(start_web) -> None:
    web = start_web(subscribe_limit=(1, 600.0), config_extra=TRUST_LOCAL)
    page = web.http.get("/subscribe")
    from tests.web.forms import form_fields

    def post(*lines: str) -> int:
        headers = [("x-forwarded-for", line) for line in lines]
        data = {**form_fields(page), "email": "ana@example.com"}
        return web.http.post("/subscribe", data=data, headers=headers).status_code

    assert post("203.0.113.7") == 200
    assert post("198.51.100.9", "203.0.113.7") == 429  # the proxy's entry is the last line's
    assert post("203.0.113.7, 198.51.100.9, 10.0.0.5") == 200  # a different client
    assert post("203.0.113.7", "198.51.100.9", "10.0.0.5") == 429


def raw_get(web: Web, target: str, host: str = "evil.example", extra: str = "") -> bytes:
    with connect(web.url) as conn:
        send_all(
            conn,
            f"GET {target} HTTP/1.1\r\nHost: {host}\r\n{extra}Connection: close\r\n\r\n".encode(),
        )
        return read_reply(conn, until_closed=True)[1]


@pytest.mark.parametrize(
    "target, location",
    [
        ("/subscribe/", "/subscribe"),
        ("/subscribe/?lang=es", "/subscribe?lang=es"),
        ("//subscribe/", "/subscribe"),
        ("/healthz/", "/healthz"),
        ("/feeds/world", "/feeds/world/"),
        ("http://evil.example/subscribe/", "/subscribe"),
        ("/", "/subscribe"),
    ],
)
def test_redirects_never_name_the_host_header(start_web, target: str, location: str) -> None:
    web = start_web()
    for extra in ("", "X-Forwarded-Host: evil.example\r\nX-Forwarded-Proto: https\r\n"):
        data = raw_get(web, target, extra=extra)
        assert data.split(b" ")[1] in (b"301", b"303", b"307"), data[:200]
        assert header(data, "location") == location
        assert b"evil" not in data


@pytest.mark.parametrize(
    "target", ["/nowhere/", "/\\evil.example/", "//evil.example/", "/%2fevil.example/"]
)
def test_paths_nothing_answers_are_not_redirected(start_web, target: str) -> None:
    web = start_web()
    data = raw_get(web, target)
    assert data.startswith(b"HTTP/1.1 404"), data[:200]
    assert header(data, "location") is None


def test_a_post_to_the_wrong_slash_is_not_redirected(start_web) -> None:
    web = start_web()
    assert web.http.post("/subscribe/", data={}).status_code == 404
