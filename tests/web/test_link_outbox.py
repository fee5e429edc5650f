"""The preferences-link email goes through the outbox: a relay outage at the moment of
the request loses nothing, asking again within the hour adds nothing, and the
operator's views show the kind."""

from __future__ import annotations

import time

from sqlalchemy import select

from syndicate.store import subscribers as subscriber_store
from syndicate.store.tables import outbox
from syndicate.subscribers.lifecycle import Actor
from tests.cli import syndicate
from tests.delivery_helpers import run
from tests.messages import content, parse
from tests.smtp_server import SmtpServer
from tests.web.conftest import Web
from tests.web.test_self_service import add_reader, ask_for_link


def _relay(port: int) -> str:
    return f"""
    [delivery]
    transport = "smtp"
    retry_after_seconds = 60

    [smtp]
    host = "127.0.0.1"
    port = {port}
    """


def _links(web: Web) -> list[tuple[str, str, str]]:
    with web.engine.connect() as conn:
        query = select(outbox.c.key, outbox.c.state, outbox.c.recipient).where(
            outbox.c.kind == "link"
        )
        return [tuple(row) for row in conn.execute(query.order_by(outbox.c.id))]


def _wait_for(condition, within: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_a_relay_outage_at_the_request_delays_the_link_email_but_never_loses_it(
    start_web, tmp_path
) -> None:
    with SmtpServer(listen=False) as relay:
        web = start_web(config_extra=_relay(relay.port))
        add_reader(web, "ana@example.org")
        add_reader(web, "pat@example.org", status="pending")
        answer = ask_for_link(web, "ana@example.org")
        assert answer.status_code == 200 and "If that address is subscribed" in answer.text
        # Tried at once, refused by the closed port: waiting in the outbox, not lost.
        _wait_for(lambda: [state for _, state, _ in _links(web)] == ["retry"])
        assert ask_for_link(web, "pat@example.org").status_code == 200
        assert ask_for_link(web, "ana@example.org").status_code == 200  # again, same hour
        time.sleep(0.5)  # a second row, or one for the pending address, would be here by now
        rows = _links(web)
        assert [(state, to) for _, state, to in rows] == [("retry", "ana@example.org")]
        assert relay.received == []

        relay.listen()
        report = run(web.engine, web.settings, web.clock, until_empty=True)
        # pat's confirmation (owed since pat was added as pending) goes too; no link for pat.
        assert (report.sent, report.confirmations, report.waiting) == (2, 1, 0)
        got = [parse(item.data) for item in relay.received]
        assert sorted(m["To"] for m in got) == ["ana@example.org", "pat@example.org"]
        message = next(m for m in got if m["To"] == "ana@example.org")
        assert ".link@" in message["Message-ID"]
        link = next(w for w in content(message, "plain").split() if "/preferences?token=" in w)
        page = web.http.get(link.removeprefix(web.settings.public_url))
        assert page.status_code == 200 and "ana@example.org" in page.text
        assert [state for _, state, _ in _links(web)] == ["sent"]

        # An hour on, asking again is a new email, sent at once.
        web.clock.advance(hours=1)
        assert ask_for_link(web, "ana@example.org").status_code == 200
        _wait_for(lambda: len(relay.received) == 3)
        assert [state for _, state, _ in _links(web)] == ["sent", "sent"]

    config = tmp_path / "config.toml"
    status = syndicate(config, "status", env={"SYNDICATE_API_TOKEN": "test-token"})
    assert "link: 2 sent" in status.stdout, status.stdout + status.stderr
    listed = syndicate(config, "outbox", "list")
    lines = [line for line in listed.stdout.splitlines() if "ana@example.org" in line]
    assert len(lines) == 2 and all(line.split()[1] == "link" for line in lines), listed.stdout


def test_an_address_that_left_before_the_send_gets_no_link(start_web) -> None:
    with SmtpServer(listen=False) as relay:
        web = start_web(config_extra=_relay(relay.port))
        add_reader(web, "ana@example.org")
        assert ask_for_link(web, "ana@example.org").status_code == 200
        _wait_for(lambda: [state for _, state, _ in _links(web)] == ["retry"])
        assert unsubscribe(web) == 0
        relay.listen()
        web.clock.advance(minutes=5)
        report = run(web.engine, web.settings, web.clock, until_empty=True)
        assert report.sent == 0 and report.skipped == 1
        assert relay.received == []
        assert [state for _, state, _ in _links(web)] == ["skipped"]


def unsubscribe(web: Web) -> int:
    with web.engine.begin() as conn:
        found = subscriber_store.find(conn, "ana@example.org")
        assert found is not None
        moved = subscriber_store.change_status(
            conn, found.id, "unsubscribed", Actor.PERSON, web.clock.now()
        )
    return 0 if moved else 1
