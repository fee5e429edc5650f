"""Confirming takes a button press; the preferences form names every bad field (never a 500)."""

from __future__ import annotations

import httpx
import pytest
from lxml import html

from tests.web.conftest import Web
from tests.web.forms import (
    _link,
    confirm_link,
    form_fields,
    press_confirm,
    status_of,
    subscribe,
)


def pending(start_web) -> tuple[Web, str]:
    web = start_web()
    assert subscribe(web, "ana@example.com").status_code == 200
    return web, confirm_link(web, "ana@example.com")


def test_following_the_link_only_shows_a_button(start_web) -> None:
    web, link = pending(start_web)
    with httpx.Client(timeout=10) as scanner:  # a mail scanner: no cookie, every method
        for _ in range(3):
            assert scanner.get(link).status_code == 200
            assert scanner.head(link).status_code == 200
        assert scanner.get(link + "&lang=es").status_code == 200
        assert scanner.options(link).status_code == 405
    page = web.http.get(link)
    tree = html.fromstring(page.content)
    assert tree.xpath("//main//form[@method='post']//button")
    assert tree.xpath("//main//form/@action") == [link.removeprefix(web.url)]
    assert status_of(web, "ana@example.com") == "pending"


def test_the_button_needs_its_csrf_token(start_web) -> None:
    web, link = pending(start_web)
    page = web.http.get(link)
    assert web.http.post(link, data={}).status_code == 403
    with httpx.Client(timeout=10) as stranger:  # the page's token without its cookie
        assert stranger.post(link, data=form_fields(page)).status_code == 403
    assert status_of(web, "ana@example.com") == "pending"
    pressed = web.http.post(link, data=form_fields(page))
    assert pressed.status_code == 200 and "You are subscribed" in pressed.text
    assert status_of(web, "ana@example.com") == "active"


def test_the_token_may_come_in_the_form(start_web) -> None:
    web, link = pending(start_web)
    page = web.http.get(link)
    token = link.split("token=", 1)[1]
    pressed = web.http.post("/confirm", data={**form_fields(page), "token": token})
    assert pressed.status_code == 200
    assert status_of(web, "ana@example.com") == "active"


def test_once_confirmed_the_link_says_so_without_a_button(start_web) -> None:
    web, link = pending(start_web)
    assert press_confirm(web, link).status_code == 200
    again = web.http.get(link)
    assert again.status_code == 200 and "You are subscribed" in again.text
    assert not html.fromstring(again.content).xpath("//main//form")


def test_a_bad_or_expired_token_is_refused_on_post_too(start_web) -> None:
    web, link = pending(start_web)
    page = web.http.get(link)
    assert web.http.post(link[:-4] + "AAAA", data=form_fields(page)).status_code == 400
    web.clock.advance(days=8)
    assert web.http.post(link, data=form_fields(page)).status_code == 400
    assert status_of(web, "ana@example.com") == "pending"


@pytest.fixture
def preferences(start_web) -> tuple[Web, str, dict[str, str]]:
    web = start_web()
    subscribe(web, "ana@example.com")
    url = _link(web, "preferences", "ana@example.com")
    return web, url, form_fields(web.http.get(url))


GOOD = {"timezone": "UTC", "digest_time": "07:00", "language": "en"}


@pytest.mark.parametrize(
    "changes, message, invalid",
    [
        ({"sections": ["sports"]}, "Choose sections from the list", "//fieldset"),
        ({"sections": ["world", "../../etc"]}, "Choose sections from the list", "//fieldset"),
        ({"language": "xx"}, "Choose a language from the list", '//*[@id="language"]'),
        ({"language": "\u202eer"}, "Choose a language from the list", '//*[@id="language"]'),
        ({"timezone": "Mars/Base"}, "Enter a timezone name", '//*[@id="timezone"]'),
        ({"digest_time": "7:00\x00"}, "Enter a time as HH:MM", '//*[@id="digest_time"]'),
    ],
)
def test_bad_fields_are_named(preferences, changes, message: str, invalid: str) -> None:
    web, url, fields = preferences
    response = web.http.post(url, data={**fields, **GOOD, **changes})
    assert response.status_code == 400, response.text[:300]
    assert message in response.text
    assert html.fromstring(response.content).xpath(f"{invalid}/@aria-invalid") == ["true"]


@pytest.mark.parametrize(
    "zone",
    [
        "localtime",
        "Factory",
        "posixrules",
        "right/UTC",
        "posix/Europe/Madrid",
        "Etc/GMT0",
        "US/Eastern",
        "EST5EDT",
        "CET",
        "/etc/localtime",
        "../zoneinfo/UTC",
        "Europe/",
        "zone.tab",
        "Europe/Madrid\x00",
    ],
)
def test_non_geographic_timezones_are_refused(preferences, zone: str) -> None:
    web, url, fields = preferences
    response = web.http.post(url, data={**fields, **GOOD, "timezone": zone})
    assert response.status_code == 400
    assert "Enter a timezone name" in response.text
    page = html.fromstring(web.http.get(url).content)
    assert zone not in page.xpath('//datalist[@id="timezones"]/option/@value')


def test_the_offered_timezones_are_places(preferences) -> None:
    web, url, _ = preferences
    offered = html.fromstring(web.http.get(url).content).xpath("//datalist/option/@value")
    assert "America/Lima" in offered and "UTC" in offered
    assert all(zone == "UTC" or "/" in zone for zone in offered)
    assert "Etc/GMT+5" in offered and "Etc/GMT0" not in offered
    assert not {"localtime", "Factory", "posixrules", "EST"} & set(offered)


def test_a_timezone_in_other_case_is_stored_as_spelled_in_the_database(preferences) -> None:
    web, url, fields = preferences
    response = web.http.post(url, data={**fields, **GOOD, "timezone": "europe/madrid"})
    assert response.status_code == 200
    assert 'value="Europe/Madrid"' in response.text


@pytest.mark.parametrize(
    "data",
    [
        {"sections": "x" * 5000},
        {"timezone": "", "digest_time": "", "language": ""},
        {"sections": ["world"] * 300},
    ],
)
def test_odd_forms_never_give_500(preferences, data) -> None:
    web, url, fields = preferences
    response = web.http.post(url, data={**fields, **data})
    assert response.status_code in (200, 400, 413), response.text[:300]


def test_the_forms_take_no_files(preferences) -> None:
    web, url, fields = preferences
    upload = {"sections": ("s.txt", b"politics", "text/plain")}
    response = web.http.post(url, data={**fields, **GOOD}, files=upload)
    assert response.status_code == 400
    subscribed = web.http.post(
        "/subscribe", data={**fields, "email": "b@example.com"}, files=upload
    )
    assert subscribed.status_code == 400
    assert status_of(web, "b@example.com") is None
    with web.engine.connect() as conn:
        from syndicate.store import subscribers

        ana = subscribers.find(conn, "ana@example.com")
    assert ana is not None and ana.sections == ()


ODD_BODIES = [
    ("application/x-www-form-urlencoded", b"\xff\xfe\x00"),
    ("application/x-www-form-urlencoded", b"%"),
    ("application/x-www-form-urlencoded", b"sections=%zz&timezone=%00&language=%ff"),
    ("application/x-www-form-urlencoded", b"&&&==&=&"),
    ("multipart/form-data", b"--x\r\n\r\n"),
    ("multipart/form-data; boundary=x", b"--x\r\nContent-Disposition: form-data\r\n\r\nv\r\n--x--"),
    ("multipart/form-data; boundary=x", b"garbage"),
    ("text/plain", b"email=a@example.com"),
    ("application/json", b'{"sections": ["world"]}'),
]


@pytest.mark.parametrize("kind, body", ODD_BODIES)
def test_odd_bodies_on_every_form_never_give_500(preferences, kind: str, body: bytes) -> None:
    web, url, fields = preferences
    confirm = _link(web, "confirm", "ana@example.com")
    unsubscribe = _link(web, "unsubscribe", "ana@example.com")
    for target in ("/subscribe", url, confirm, unsubscribe):
        response = web.http.post(target, content=body, headers={"content-type": kind})
        assert response.status_code < 500, (target, response.text[:300])
    assert status_of(web, "ana@example.com") == "pending"
