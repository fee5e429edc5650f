"""Subscribe -> confirmation email -> confirm -> preferences -> one-click unsubscribe, over HTTP."""

from __future__ import annotations

import re
import time
from email import message_from_bytes, policy

import httpx
import pytest
from lxml import html
from sqlalchemy import select

from syndicate import tokens
from syndicate.store import subscribers as subscriber_store
from syndicate.store.tables import subscribers as subscribers_table
from tests.smtp_server import SmtpServer
from tests.web.forms import _link, confirm_link, form_fields, press_confirm, status_of, subscribe


def test_the_whole_path(start_web, db_url: str) -> None:
    web = start_web(db_url)
    page = web.http.get("/subscribe")
    assert page.status_code == 200
    assert "Subscribe to the daily digest" in page.text
    sent = web.http.post(
        "/subscribe",
        data={
            **form_fields(page),
            "email": "Lector@Example.COM",
            "sections": ["world", "mundo"],
            "language": "es",
        },
    )
    assert sent.status_code == 200
    assert "Revisa tu correo" in sent.text
    assert status_of(web, "Lector@example.com") == "pending"

    link = confirm_link(web, "Lector@example.com")
    assert link.startswith(f"{web.url}/confirm?token=")
    shown = web.http.get(link)
    assert shown.status_code == 200 and "Confirma tu suscripción" in shown.text
    assert status_of(web, "Lector@example.com") == "pending"  # opening the link is not enough
    confirmed = press_confirm(web, link)
    assert confirmed.status_code == 200
    assert "Suscripción confirmada" in confirmed.text
    assert status_of(web, "Lector@example.com") == "active"
    again = press_confirm(web, link)  # a second click changes nothing and still says yes
    assert again.status_code == 200 and "Suscripción confirmada" in again.text

    preferences_url = html.fromstring(confirmed.content).xpath("//main//a/@href")[0]
    assert preferences_url.startswith(f"{web.url}/preferences?token=")
    form = web.http.get(preferences_url)
    assert form.status_code == 200
    tree = html.fromstring(form.content)
    assert tree.xpath('//input[@name="sections"][@checked]/@value') == ["world", "mundo"]
    saved = web.http.post(
        preferences_url,
        data={
            **form_fields(form),
            "sections": ["politics"],
            "digest_time": "06:30",
            "timezone": "Europe/Madrid",
            "language": "en",
        },
    )
    assert saved.status_code == 200
    assert "Your preferences are saved." in saved.text
    with web.engine.connect() as conn:
        person = subscriber_store.find(conn, "Lector@example.com")
    assert person is not None
    assert (person.sections, person.digest_time, person.timezone, person.language) == (
        ("politics",),
        "06:30",
        "Europe/Madrid",
        "en",
    )

    unsubscribe_url = html.fromstring(saved.content).xpath('//a[text()="Unsubscribe"]/@href')[0]
    shown = web.http.get(unsubscribe_url)
    assert shown.status_code == 200
    assert html.fromstring(shown.content).xpath("//form//button")
    assert status_of(web, "Lector@example.com") == "active"  # GET never unsubscribes

    # RFC 8058: the mail provider POSTs from its own servers, no cookie, no CSRF token.
    with httpx.Client(timeout=10) as provider:
        one_click = provider.post(
            unsubscribe_url,
            content=b"List-Unsubscribe=One-Click",
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
    assert one_click.status_code == 200
    assert status_of(web, "Lector@example.com") == "unsubscribed"


def test_confirmation_goes_through_the_smtp_relay(start_web) -> None:
    with SmtpServer() as relay:
        web = start_web(
            config_extra=f"""
            [delivery]
            transport = "smtp"
            [smtp]
            host = "{relay.host}"
            port = {relay.port}
            """
        )
        assert subscribe(web, "ana@example.com", language="es").status_code == 200
        deadline = time.monotonic() + 10
        while not relay.received and time.monotonic() < deadline:
            time.sleep(0.05)
        assert [r.recipient for r in relay.received] == ["ana@example.com"]
        mail = message_from_bytes(relay.received[0].data, policy=policy.default)
        assert mail["To"] == "ana@example.com"
        assert "Test News" in mail["Subject"]
        link = re.search(
            r"(http://\S+/confirm\?token=\S+)", mail.get_body(("plain",)).get_content()
        )
        assert link
        assert press_confirm(web, link[1]).status_code == 200
        assert status_of(web, "ana@example.com") == "active"


def test_the_unsubscribe_button(start_web) -> None:
    web = start_web()
    subscribe(web, "ana@example.com")
    press_confirm(web, confirm_link(web, "ana@example.com"))
    url = _link(web, "unsubscribe", "ana@example.com")
    page = web.http.get(url)
    without_token = web.http.post(url, data={})
    assert without_token.status_code == 403
    assert status_of(web, "ana@example.com") == "active"
    pressed = web.http.post(url, data=form_fields(page))
    assert pressed.status_code == 200
    assert "You are unsubscribed" in pressed.text
    assert status_of(web, "ana@example.com") == "unsubscribed"


@pytest.mark.parametrize("route", ["confirm", "unsubscribe", "preferences"])
def test_forged_tokens_change_nothing(start_web, route: str) -> None:
    web = start_web()
    subscribe(web, "ana@example.com")
    good = _link(web, route, "ana@example.com")
    forged = good[:-3] + ("AAA" if not good.endswith("AAA") else "BBB")
    other_purpose = _link(web, "digest", "ana@example.com")
    signed_elsewhere = (
        good.split("token=")[0] + "token=" + tokens.sign("other-secret", route, 1, link_key="k")
    )
    for url in (
        forged,
        other_purpose.replace("/digest?", f"/{route}?"),
        signed_elsewhere,
        f"{web.url}/{route}?token=",
    ):
        response = web.http.get(url)
        assert response.status_code == 400, url
        assert "This link is not valid" in response.text
        posted = web.http.post(
            url,
            content=b"List-Unsubscribe=One-Click",
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
        assert posted.status_code in (400, 405)
    assert status_of(web, "ana@example.com") == "pending"


def test_expired_confirmation(start_web) -> None:
    web = start_web()
    subscribe(web, "ana@example.com", language="es")
    link = confirm_link(web, "ana@example.com")
    web.clock.advance(days=8)
    response = press_confirm(web, link)
    assert response.status_code == 400
    assert "This link has expired." in response.text
    assert status_of(web, "ana@example.com") == "pending"
    # Asking again sends a fresh link that works.
    subscribe(web, "ana@example.com")
    fresh = confirm_link(web, "ana@example.com", count=2)
    assert fresh != link
    assert press_confirm(web, fresh).status_code == 200
    assert status_of(web, "ana@example.com") == "active"


def test_no_enumeration(start_web) -> None:
    web = start_web()
    subscribe(web, "active@example.com")
    press_confirm(web, confirm_link(web, "active@example.com"))
    subscribe(web, "pending@example.com")
    web.mails(2)
    with web.engine.connect() as conn:
        before = conn.execute(select(subscribers_table)).all()

    answers = [
        subscribe(web, address)
        for address in ("active@example.com", "pending@example.com", "new@example.com")
    ]
    assert {a.status_code for a in answers} == {200}
    bodies = {re.sub(r'value="[0-9a-f]{64}"', "", a.text) for a in answers}
    assert len(bodies) == 1
    assert {tuple(sorted(a.headers.keys())) for a in answers} == {
        tuple(sorted(answers[0].headers.keys()))
    }
    # The active subscriber is left alone and gets no mail; the others get a link.
    mails = web.mails(4)
    assert sorted(m["To"] for m in mails) == [
        "active@example.com",
        "new@example.com",
        "pending@example.com",
        "pending@example.com",
    ]
    with web.engine.connect() as conn:
        after = {r.email: r for r in conn.execute(select(subscribers_table))}
    active_before = next(r for r in before if r.email == "active@example.com")
    assert after["active@example.com"] == active_before


def test_rate_limit_per_client(start_web) -> None:
    web = start_web(subscribe_limit=(3, 600.0))
    answers = [subscribe(web, f"reader{i}@example.com").status_code for i in range(4)]
    assert answers == [200, 200, 200, 429]
    assert status_of(web, "reader3@example.com") is None
    web.clock.advance(seconds=601)
    assert subscribe(web, "reader3@example.com").status_code == 200


def test_behind_a_local_proxy_each_reader_has_their_own_limit(start_web) -> None:
    # The base config ends with its [server] table: this line lands there.
    web = start_web(subscribe_limit=(1, 600.0), config_extra='trusted_proxies = ["127.0.0.1/32"]\n')
    for n, address in enumerate(("203.0.113.7", "203.0.113.8")):
        web.http.headers["x-forwarded-for"] = f"10.0.0.1, {address}"
        assert subscribe(web, f"reader{n}@example.com").status_code == 200
    # The proxy's entry is the last one; what a client wrote before it is not trusted.
    web.http.headers["x-forwarded-for"] = "198.51.100.1, 203.0.113.8"
    assert subscribe(web, "reader9@example.com").status_code == 429


def test_rate_limit_per_address(start_web) -> None:
    web = start_web(email_limit=(2, 3600.0))
    answers = [subscribe(web, "ana@example.com").status_code for _ in range(3)]
    assert answers == [200, 200, 429]
    limited = subscribe(web, "ANA@Example.com")  # the same address, differently written
    assert limited.status_code == 429
    assert "retry-after" in limited.headers
    assert subscribe(web, "ben@example.com").status_code == 200
    assert len(web.mails(3, timeout=2)) == 3


@pytest.mark.parametrize(
    "email",
    [
        "",
        "not-an-address",
        "a@b",
        "two@@example.com",
        "x" * 65 + "@example.com",
        "a@" + "b" * 250 + ".com",
        "a b@example.com",
        "<script>@example.com",
    ],
)
def test_addresses_are_checked(start_web, email: str) -> None:
    web = start_web()
    response = subscribe(web, email)
    assert response.status_code == 400
    assert "Enter a valid email address" in response.text
    assert "<script>@" not in response.text
    with web.engine.connect() as conn:
        assert conn.execute(select(subscribers_table)).all() == []


def test_unknown_section_is_refused(start_web) -> None:
    web = start_web()
    response = subscribe(web, "ana@example.com", sections=["sports"])
    assert response.status_code == 400
    assert status_of(web, "ana@example.com") is None


def test_form_posts_need_the_csrf_token(start_web) -> None:
    web = start_web()
    no_token = web.http.post("/subscribe", data={"email": "ana@example.com"})
    assert no_token.status_code == 403
    web.http.get("/subscribe")  # the cookie alone is not enough either
    cookie_only = web.http.post("/subscribe", data={"email": "ana@example.com"})
    assert cookie_only.status_code == 403
    with httpx.Client(base_url=web.url) as stranger:  # someone else's token, no cookie
        page = web.http.get("/subscribe")
        forged = stranger.post("/subscribe", data={**form_fields(page), "email": "ana@example.com"})
    assert forged.status_code == 403
    assert status_of(web, "ana@example.com") is None

    subscribe(web, "ben@example.com")
    press_confirm(web, confirm_link(web, "ben@example.com"))
    preferences = _link(web, "preferences", "ben@example.com")
    changed = web.http.post(preferences, data={"sections": ["politics"], "timezone": "UTC"})
    assert changed.status_code == 403
    with web.engine.connect() as conn:
        ben = subscriber_store.find(conn, "ben@example.com")
    assert ben is not None and ben.timezone == "America/Lima"


def test_bad_preferences_are_named(start_web) -> None:
    web = start_web()
    subscribe(web, "ana@example.com")
    url = _link(web, "preferences", "ana@example.com")
    page = web.http.get(url)
    for field, value, message in (
        ("timezone", "Mars/Base", "Enter a timezone name"),
        ("digest_time", "25:99", "Enter a time as HH:MM"),
    ):
        data = {**form_fields(page), "timezone": "UTC", "digest_time": "07:00", field: value}
        response = web.http.post(url, data=data)
        assert response.status_code == 400
        assert message in response.text
        assert html.fromstring(response.content).xpath(f'//input[@id="{field}"]/@aria-invalid') == [
            "true"
        ]


def test_pages_speak_spanish(start_web) -> None:
    web = start_web()
    page = web.http.get("/subscribe", headers={"accept-language": "es-PE,es;q=0.9,en;q=0.5"})
    assert '<html lang="es">' in page.text
    assert "Suscríbete al resumen diario" in page.text
    assert "Test News" in page.text
    english = web.http.get("/subscribe?lang=en", headers={"accept-language": "es"})
    assert '<html lang="en">' in english.text


def test_forms_are_labelled(start_web) -> None:
    web = start_web()
    tree = html.fromstring(web.http.get("/subscribe").content)
    assert tree.xpath('//meta[@name="viewport"]')
    for field in tree.xpath('//form//input[not(@type="hidden")] | //form//select'):
        field_id = field.get("id")
        labelled = (field_id and tree.xpath(f'//label[@for="{field_id}"]')) or field.xpath(
            "ancestor::label"
        )
        assert labelled, html.tostring(field)
    assert tree.xpath("//fieldset/legend")


def test_unknown_pages(start_web) -> None:
    web = start_web()
    response = web.http.get("/nowhere")
    assert response.status_code == 404
    assert "Page not found" in response.text
    assert web.http.get("/confirm").status_code == 400


def test_confirm_after_unsubscribing_does_not_reactivate(start_web) -> None:
    web = start_web()
    subscribe(web, "ana@example.com")
    link = confirm_link(web, "ana@example.com")
    press_confirm(web, link)
    web.http.post(
        _link(web, "unsubscribe", "ana@example.com"),
        content=b"List-Unsubscribe=One-Click",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    web.clock.advance(hours=1)
    assert web.http.get(link).status_code == 409
    assert press_confirm(web, link).status_code == 409
    assert status_of(web, "ana@example.com") == "unsubscribed"
