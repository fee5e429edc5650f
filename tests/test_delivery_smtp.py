"""Delivery through the SMTP pool to a real aiosmtpd server whose answers are scripted."""

from __future__ import annotations

import asyncio
import subprocess
import threading
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from syndicate import metrics
from syndicate.db import outbox, subscribers
from tests.delivery_helpers import delivery_config, outbox_states, ready_engine, run
from tests.outbox_rows import add_subscribers, enqueue, message_id
from tests.smtp_server import Delay, Drop, SmtpServer, self_signed_tls


@pytest.fixture
def server():
    with SmtpServer() as smtp:
        yield smtp


def setup(tmp_path, clock, port, count, **config):
    settings = delivery_config(tmp_path, port, **config)
    engine = ready_engine(settings)
    people = add_subscribers(engine, clock.now(), count)
    enqueue(engine, clock.now(), people)
    return settings, engine, people


def test_500_subscribers_get_one_message_each_and_a_rerun_sends_nothing(tmp_path, clock, server):
    settings, engine, people = setup(tmp_path, clock, server.port, 500)
    counted = metrics.DIGESTS.labels(event="sent")._value.get()
    report = run(engine, settings, clock)
    assert metrics.DIGESTS.labels(event="sent")._value.get() == counted + 500
    assert (report.sent, report.failed, report.retrying, report.waiting) == (500, 0, 0, 0)
    got = server.by_recipient()
    assert set(got) == {email for _sid, email in people} and set(got.values()) == {1}
    ids = {item.recipient: item.message_id for item in server.received}
    assert all(ids[email] == message_id(clock.now().date(), sid) for sid, email in people)
    assert server.connections == settings.delivery.connections  # kept open and reused
    assert outbox_states(engine) == {"sent": 500}
    again = run(engine, settings, clock)
    assert again.sent == 0 and len(server.received) == 500


def test_temporary_failures_drops_and_timeouts_are_retried_until_each_arrives_once(
    tmp_path, clock, server
):
    settings, engine, people = setup(
        tmp_path, clock, server.port, 40, delivery={"timeout_seconds": 0.3, "connections": 3}
    )
    emails = [email for _sid, email in people]
    busy, slow, dropped, closing = set(emails[0:8]), emails[8], set(emails[10:16]), emails[20]

    def on_rcpt(rcpt: str, seen: int):
        if rcpt in busy and seen <= 2:
            return "451 4.3.0 try again later"
        if rcpt == closing and seen == 1:
            return "421 4.3.2 shutting down"
        return None

    def on_data(rcpt: str, seen: int):
        if rcpt in dropped and seen == 1:
            return Drop()
        if rcpt == slow and seen == 1:
            return Delay(1.0)  # beyond the 0.3 s timeout: the client gives up first
        return None

    server.on_rcpt, server.on_data = on_rcpt, on_data
    report = run(engine, settings, clock, until_empty=True)
    assert report.sent == 40 and report.failed == 0 and report.waiting == 0
    assert report.retrying == 8 * 2 + 1 + 6 + 1
    assert server.by_recipient() == Counter({email: 1 for email in emails})
    with engine.connect() as conn:
        attempts = dict(conn.execute(select(outbox.c.recipient, outbox.c.attempts)).all())
    assert attempts[emails[0]] == 3 and attempts[slow] == 2 and attempts[emails[30]] == 1


def test_relay_down_at_first_then_up(tmp_path, clock):
    with SmtpServer(listen=False) as server:
        settings, engine, people = setup(tmp_path, clock, server.port, 10)
        first = run(engine, settings, clock)
        assert first.sent == 0 and first.retrying == 10 and first.waiting == 10
        with engine.connect() as conn:
            replies = set(conn.execute(select(outbox.c.last_reply)).scalars())
        assert all(reply.startswith("connect:") for reply in replies)
        server.listen()
        second = run(engine, settings, clock, until_empty=True)
        assert second.sent == 10 and second.waiting == 0
        assert set(server.by_recipient().values()) == {1} and len(server.received) == 10


def test_550_fails_only_that_recipient_and_the_connection_goes_on(tmp_path, clock, server):
    settings, engine, people = setup(tmp_path, clock, server.port, 12, delivery={"connections": 1})
    bad_id, bad = people[3]
    server.on_rcpt = lambda rcpt, seen: "550 5.1.1 no such user" if rcpt == bad else None
    report = run(engine, settings, clock, until_empty=True)
    assert (report.sent, report.failed, report.retrying) == (11, 1, 0)
    assert set(server.by_recipient()) == {email for _sid, email in people} - {bad}
    assert server.connections == 1 and server.resets >= 1  # RSET, then the next message
    with engine.connect() as conn:
        state, reply = conn.execute(
            select(outbox.c.state, outbox.c.last_reply).where(outbox.c.subscriber_id == bad_id)
        ).one()
        bounces = conn.execute(
            select(subscribers.c.hard_bounces).where(subscribers.c.id == bad_id)
        ).scalar_one()
    assert state == "failed" and reply == "RCPT: 550 5.1.1 no such user" and bounces == 1


def test_a_refused_message_body_fails_without_counting_a_bounce(tmp_path, clock, server):
    settings, engine, people = setup(tmp_path, clock, server.port, 3, delivery={"connections": 1})
    bad_id, bad = people[0]
    server.on_data = lambda rcpt, seen: "554 5.7.1 looks like spam" if rcpt == bad else None
    report = run(engine, settings, clock)
    assert (report.sent, report.failed) == (2, 1)
    with engine.connect() as conn:
        bounces = conn.execute(
            select(subscribers.c.hard_bounces).where(subscribers.c.id == bad_id)
        ).scalar_one()
    assert bounces == 0


def test_unsubscribed_between_enqueue_and_send_gets_nothing(tmp_path, clock, server):
    settings, engine, people = setup(tmp_path, clock, server.port, 5)
    gone_id, gone = people[2]
    with engine.begin() as conn:
        conn.execute(
            update(subscribers).where(subscribers.c.id == gone_id).values(status="unsubscribed")
        )
    report = run(engine, settings, clock)
    assert report.sent == 4 and report.skipped == 1
    assert gone not in server.by_recipient()
    assert outbox_states(engine) == {"sent": 4, "skipped": 1}


def test_a_connection_the_server_closed_while_idle_is_reopened(tmp_path, clock, server):
    settings, engine, people = setup(tmp_path, clock, server.port, 2, delivery={"connections": 1})
    later = people[1][0]
    with engine.begin() as conn:
        conn.execute(
            update(outbox)
            .where(outbox.c.subscriber_id == later)
            .values(next_attempt_at=clock.now() + timedelta(seconds=30))
        )

    async def idle(seconds: float) -> None:
        # While the run waits for the second row, the relay hangs up (an idle timeout).
        server.close_clients()
        await asyncio.sleep(0.2)
        clock.advance(seconds=seconds)

    report = run(engine, settings, clock, until_empty=True, sleep=idle)
    assert report.sent == 2 and report.retrying == 0
    assert server.connections == 2 and len(server.received) == 2


@pytest.fixture
def tls_relay(tmp_path):
    """A relay that offers STARTTLS (a throw-away certificate) and wants AUTH news/s3cret."""
    try:
        context, cert = self_signed_tls(tmp_path)
    except (OSError, subprocess.CalledProcessError) as exc:  # no openssl command
        pytest.skip(f"cannot make a test certificate: {exc}")
    with SmtpServer(tls_context=context, logins={"news": "s3cret"}) as server:
        yield server, {"starttls": True, "username": "news", "ca_file": cert}


def test_starttls_and_auth(tmp_path, clock, tls_relay):
    server, smtp = tls_relay
    settings, engine, people = setup(
        tmp_path, clock, server.port, 3, smtp=smtp, env={"SYNDICATE_SMTP_PASSWORD": "s3cret"}
    )
    report = run(engine, settings, clock)
    assert report.sent == 3
    assert server.logins and set(server.logins) == {"news"}
    assert len(server.received) == 3


def test_wrong_password_is_retried_not_failed(tmp_path, clock, tls_relay):
    server, smtp = tls_relay
    settings, engine, people = setup(
        tmp_path, clock, server.port, 2, smtp=smtp, env={"SYNDICATE_SMTP_PASSWORD": "wrong"}
    )
    report = run(engine, settings, clock)
    assert report.sent == 0 and report.failed == 0 and report.retrying == 2
    assert server.received == []
    with engine.connect() as conn:
        bounces = conn.execute(select(subscribers.c.hard_bounces)).scalars().all()
    assert set(bounces) == {0}


# (100, 20): every due row is claimed at once and the stop comes after the last claim.
@pytest.mark.parametrize(("batch_size", "stop_after"), [(20, 5), (100, 20)])
def test_stop_hands_back_what_was_not_sent(tmp_path, clock, server, batch_size, stop_after):
    settings, engine, people = setup(
        tmp_path, clock, server.port, 60, delivery={"connections": 1, "batch_size": batch_size}
    )
    stop = threading.Event()

    def on_data(rcpt: str, seen: int):
        if len(server.received) >= stop_after:
            stop.set()
        return None

    server.on_data = on_data
    first = run(engine, settings, clock, stop_event=stop)
    assert first.stopped and stop_after <= first.sent < 60 and first.released > 0
    assert outbox_states(engine).get("sending", 0) == 0
    second = run(engine, settings, clock)
    assert first.sent + second.sent == 60
    assert set(server.by_recipient().values()) == {1} and len(server.received) == 60
