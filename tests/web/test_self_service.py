"""Reader self-service over real HTTP: "send me my preferences link", pause, and the
optional reason on the unsubscribe page (stored, counted by `syndicate status`)."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

import pytest
from lxml import html

from syndicate import subscribers as subs
from syndicate.digest.edition import enqueue_editions
from syndicate.digest.selection import local_date
from syndicate.store import subscribers as subscriber_store
from syndicate.web.selfservice import SelfService
from tests.cli import syndicate
from tests.stored_articles import add_articles
from tests.web.conftest import Web
from tests.web.forms import _link, form_fields


def add_reader(web: Web, email: str, status: str = "active", **extra) -> None:
    with web.engine.begin() as conn:
        item = subs.validate(
            web.settings, email, [], "America/Lima", extra.get("language", "en"), None, status
        )
        subscriber_store.save(conn, item, web.clock.now() - timedelta(days=2))


def ask_for_link(web: Web, email: str):
    page = web.http.get("/preferences/link")
    assert page.status_code == 200
    return web.http.post("/preferences/link", data={**form_fields(page), "email": email})


@pytest.fixture
def gate(monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    """Holds every address look-up until set: an answer given while it is held was
    given before the service knew anything about the address."""
    opened = threading.Event()
    looked_up = SelfService._active

    def held(self, address):
        assert opened.wait(10)
        return looked_up(self, address)

    monkeypatch.setattr(SelfService, "_active", held)
    return opened


def test_the_link_form_answers_alike_and_mails_only_an_active_address(
    start_web, gate: threading.Event
) -> None:
    web = start_web()
    add_reader(web, "ana@example.org")
    add_reader(web, "pat@example.org", status="pending")
    add_reader(web, "gone@example.org", status="unsubscribed")
    answers = [
        ask_for_link(web, email)
        for email in (
            "ana@example.org",
            "pat@example.org",
            "gone@example.org",
            "nobody@example.org",
        )
    ]
    # Every answer came back while the look-up was still held.
    assert {a.status_code for a in answers} == {200}
    assert len({a.content for a in answers}) == 1
    assert len({tuple(sorted(k for k in a.headers if k != "date")) for a in answers}) == 1
    assert "If that address is subscribed" in answers[0].text
    gate.set()
    mails = web.mails(1)
    assert [m["To"] for m in mails] == ["ana@example.org"]
    body = mails[0].get_body(("plain",)).get_content()
    link = next(word for word in body.split() if "/preferences?token=" in word)
    page = web.http.get(link.removeprefix(web.settings.public_url))
    assert page.status_code == 200 and "ana@example.org" in page.text
    assert len(web.mails(2, timeout=1)) == 1  # nobody else got one


def test_the_link_form_is_rate_limited_like_subscribe(start_web) -> None:
    web = start_web(email_limit=(1, 3600.0))
    add_reader(web, "ana@example.org")
    assert ask_for_link(web, "ana@example.org").status_code == 200
    assert ask_for_link(web, "nobody@example.org").status_code == 200
    for email in ("ana@example.org", "nobody@example.org"):
        refused = ask_for_link(web, email)
        assert refused.status_code == 429 and refused.headers["retry-after"] == "3600"
    bad = ask_for_link(web, "not an address")
    assert bad.status_code == 400 and "Enter a valid email address" in bad.text
    page = web.http.get("/preferences/link")
    assert web.http.post("/preferences/link", data={"email": "ana@example.org"}).status_code == 403
    assert page.status_code == 200


def pause(web: Web, url: str, **data: str):
    page = web.http.get(url)
    action = html.fromstring(page.content).xpath("//form[contains(@action, 'pause')]/@action")[0]
    return web.http.post(action, data={**form_fields(page), **data})


def test_a_pause_holds_editions_and_the_next_one_starts_where_it_began(start_web) -> None:
    web = start_web()
    add_reader(web, "ana@example.org")
    url = _link(web, "preferences", "ana@example.org").removeprefix(web.url)
    today = local_date(web.clock.now(), "America/Lima")
    for bad in (today.isoformat(), (today + timedelta(days=400)).isoformat(), "soon"):
        refused = pause(web, url, until=bad, action="pause")
        assert refused.status_code == 400 and "Choose a date after today" in refused.text
    until = today + timedelta(days=3)
    paused_at = web.clock.now()
    done = pause(web, url, until=until.isoformat(), action="pause")
    assert done.status_code == 200 and until.isoformat() in done.text
    with web.engine.connect() as conn:
        reader = subscriber_store.find(conn, "ana@example.org")
    assert reader.paused_until == until and reader.paused_at == paused_at
    # Articles from before the pause and during it.
    add_articles(
        web.engine,
        web.settings,
        paused_at - timedelta(hours=1),
        {"url": "https://news.example.org/before", "headline": "Before the pause"},
    )
    web.clock.advance(hours=24)
    add_articles(
        web.engine,
        web.settings,
        web.clock.now() - timedelta(hours=1),
        {"url": "https://news.example.org/during", "headline": "During the pause"},
    )
    report = enqueue_editions(web.engine, web.settings, web.clock)
    assert (report.queued, report.skipped) == (0, 1)  # paused: recorded, nothing sent
    web.clock.advance(hours=48)  # the pause's last day has ended
    report = enqueue_editions(web.engine, web.settings, web.clock)
    assert report.queued == 1
    from syndicate.delivery import deliver_due
    from syndicate.senders import make_sender

    deliver_due(web.engine, web.settings, web.clock, make_sender)
    (mail,) = web.mails(1)
    text = mail.get_body(("plain",)).get_content()
    assert "During the pause" in text and "Before the pause" not in text
    assert "You paused your digest on" in " ".join(text.split())


def test_resume_now_clears_the_pause(start_web) -> None:
    web = start_web()
    add_reader(web, "ana@example.org")
    url = _link(web, "preferences", "ana@example.org").removeprefix(web.url)
    until = local_date(web.clock.now(), "America/Lima") + timedelta(days=5)
    pause(web, url, until=until.isoformat(), action="pause")
    resumed = pause(web, url, action="resume")
    assert resumed.status_code == 200 and "paused until" not in resumed.text
    with web.engine.connect() as conn:
        assert subscriber_store.find(conn, "ana@example.org").paused_until is None


def test_an_unsubscribe_reason_is_optional_stored_and_counted(start_web, tmp_path: Path) -> None:
    web = start_web()
    for email in ("a@example.org", "b@example.org", "c@example.org"):
        add_reader(web, email)
    answers = [
        ("a@example.org", {"reason": "too_many", "note": "  one a week\nplease "}),
        ("b@example.org", {"reason": "too_many"}),
        ("c@example.org", {}),
    ]
    for email, extra in answers:
        url = _link(web, "unsubscribe", email).removeprefix(web.url)
        page = web.http.get(url)
        doc = html.fromstring(page.content)
        assert len(doc.xpath("//input[@name='reason']")) == 4 and doc.xpath(
            "//textarea[@name='note']"
        )
        left = web.http.post(url, data={**form_fields(page), **extra})
        assert left.status_code == 200
    from sqlalchemy import select

    from syndicate.store.tables import subscribers

    with web.engine.connect() as conn:
        rows = dict(conn.execute(select(subscribers.c.email, subscribers.c.unsubscribe_note)).all())
    assert rows["a@example.org"] == "one a week please" and rows["c@example.org"] is None
    status = syndicate(Path(web.settings.source), "status")
    assert "unsubscribe reasons: 2 too_many" in status.stdout, status.stdout + status.stderr
