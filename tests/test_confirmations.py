"""Confirmation emails: a relay that is down delays them, never loses them, never doubles them."""

from __future__ import annotations

import asyncio
import random
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from syndicate import subscribers
from syndicate.clock import FixedClock
from syndicate.config import Settings
from syndicate.confirmations import CLAIM_LEASE, send_confirmations
from syndicate.db import subscribers as subscribers_table
from syndicate.senders import make_sender
from tests.cli import syndicate
from tests.delivery_helpers import delivery_config, ready_engine
from tests.smtp_server import Drop, SmtpServer


@pytest.fixture
def server():
    with SmtpServer() as smtp:
        yield smtp


@pytest.fixture
def engines():
    """Engines a test opens, disposed at its end (PostgreSQL connections included)."""
    opened: list[Engine] = []

    def open_for(settings: Settings) -> Engine:
        opened.append(ready_engine(settings))
        return opened[-1]

    yield open_for
    for engine in opened:
        engine.dispose()


def add_pending(engine: Engine, settings: Settings, clock: FixedClock, *emails: str) -> list[int]:
    ids = []
    with engine.begin() as conn:
        for email in emails:
            item = subscribers.validate(settings, email, status="pending")
            ids.append(subscribers.save(conn, item, clock.now())[0])
    return ids


def confirmation_state(engine: Engine, subscriber_id: int) -> tuple[object, int]:
    table = subscribers_table
    with engine.connect() as conn:
        row = conn.execute(
            select(table.c.confirm_due_at, table.c.confirm_attempts).where(
                table.c.id == subscriber_id
            )
        ).one()
    return row.confirm_due_at, row.confirm_attempts


def send(settings: Settings, engine: Engine, clock: FixedClock, ids=None) -> int:
    async def once() -> int:
        sender = make_sender(settings)
        try:
            return await send_confirmations(
                settings, engine, clock, ids, sender=sender, rng=random.Random(7)
            )
        finally:
            await sender.close()

    return asyncio.run(once())


def test_a_relay_that_is_down_delays_the_email_and_never_loses_it(tmp_path, clock, server, engines):
    settings = delivery_config(tmp_path, server.port, delivery={"retry_after_seconds": 60})
    engine = engines(settings)
    [reader] = add_pending(engine, settings, clock, "reader@example.net")
    server.on_rcpt = lambda rcpt, seen: "451 4.3.0 try again later" if seen <= 2 else None

    assert send(settings, engine, clock, [reader]) == 0  # the form's own try
    due, attempts = confirmation_state(engine, reader)
    assert attempts == 1 and clock.now() + timedelta(seconds=60) <= due
    assert send(settings, engine, clock) == 0  # not due yet: nothing is tried

    clock.advance(seconds=76)  # 60 s and at most 25 % jitter
    assert send(settings, engine, clock) == 0  # the relay refuses once more
    due, attempts = confirmation_state(engine, reader)
    assert attempts == 2 and clock.now() + timedelta(seconds=120) <= due

    clock.advance(seconds=151)
    assert send(settings, engine, clock) == 1
    assert [m.recipient for m in server.received] == ["reader@example.net"]
    assert b"/confirm?token=" in server.received[0].data
    assert confirmation_state(engine, reader) == (None, 3)
    clock.advance(hours=5)
    assert send(settings, engine, clock) == 0
    assert len(server.received) == 1


def test_a_dropped_connection_is_retried_too(tmp_path, clock, server, engines):
    settings = delivery_config(tmp_path, server.port, delivery={"retry_after_seconds": 30})
    engine = engines(settings)
    [reader] = add_pending(engine, settings, clock, "reader@example.net")
    server.on_data = lambda rcpt, seen: Drop() if seen == 1 else None
    assert send(settings, engine, clock, [reader]) == 0
    clock.advance(minutes=1)
    assert send(settings, engine, clock) == 1
    assert [m.recipient for m in server.received] == ["reader@example.net"]


def test_a_refused_address_is_not_tried_again(tmp_path, clock, server, engines):
    settings = delivery_config(tmp_path, server.port)
    engine = engines(settings)
    bad, good = add_pending(engine, settings, clock, "gone@example.net", "here@example.net")
    server.on_rcpt = lambda rcpt, seen: (
        "550 5.1.1 no such user" if rcpt.startswith("gone") else None
    )
    assert send(settings, engine, clock) == 1
    assert confirmation_state(engine, bad) == (None, 1)
    assert confirmation_state(engine, good) == (None, 1)
    clock.advance(days=1)
    assert send(settings, engine, clock) == 0
    assert [m.recipient for m in server.received] == ["here@example.net"]


def test_tries_stop_at_max_attempts(tmp_path, clock, server, engines):
    settings = delivery_config(
        tmp_path, server.port, delivery={"retry_after_seconds": 10, "max_attempts": 3}
    )
    engine = engines(settings)
    [reader] = add_pending(engine, settings, clock, "reader@example.net")
    server.on_rcpt = lambda rcpt, seen: "421 4.7.0 closing"
    for _ in range(6):
        send(settings, engine, clock)
        clock.advance(hours=1)
    assert confirmation_state(engine, reader) == (None, 3)
    assert server.received == []


def test_a_sender_that_died_mid_send_is_taken_over_after_the_lease(
    tmp_path, clock, server, engines
):
    settings = delivery_config(tmp_path, server.port)
    engine = engines(settings)
    [reader] = add_pending(engine, settings, clock, "reader@example.net")
    # What a claim leaves behind when its process is killed before the send is recorded.
    with engine.begin() as conn:
        conn.execute(subscribers_table.update().values(confirm_due_at=clock.now() + CLAIM_LEASE))
    assert send(settings, engine, clock) == 0
    clock.advance(seconds=CLAIM_LEASE.total_seconds())
    assert send(settings, engine, clock) == 1


def test_confirmed_and_active_subscribers_are_owed_nothing(tmp_path, clock, server, engines):
    settings = delivery_config(tmp_path, server.port)
    engine = engines(settings)
    [reader] = add_pending(engine, settings, clock, "reader@example.net")
    with engine.begin() as conn:
        item = subscribers.validate(settings, "active@example.net")
        subscribers.save(conn, item, clock.now())
        conn.execute(
            subscribers_table.update()
            .where(subscribers_table.c.id == reader)
            .values(status="active")
        )
    assert send(settings, engine, clock) == 0
    assert server.received == []


def test_two_senders_at_once_send_each_email_once(tmp_path: Path, clock, server, db_url, engines):
    settings = delivery_config(tmp_path, server.port, database_url=db_url)
    engine = engines(settings)
    emails = [f"reader{n}@example.net" for n in range(40)]
    add_pending(engine, settings, clock, *emails)
    start = threading.Barrier(2)
    counts: list[int] = []

    def sender() -> None:
        start.wait()
        counts.append(send(settings, engine, clock))

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sum(counts) == 40
    assert sorted(m.recipient for m in server.received) == sorted(emails)


def test_the_deliver_command_sends_what_is_due(tmp_path, server, engines):
    settings = delivery_config(tmp_path, server.port)
    engine = engines(settings)
    # The command runs on the real clock: the request came in a minute ago.
    a_minute_ago = FixedClock(datetime.now(UTC) - timedelta(minutes=1))
    add_pending(engine, settings, a_minute_ago, "reader@example.net")
    result = syndicate(Path(settings.source), "deliver")
    assert result.returncode == 0, result.stderr
    assert "1 confirmation email(s) sent" in result.stdout
    assert [m.recipient for m in server.received] == ["reader@example.net"]
    again = syndicate(Path(settings.source), "deliver")
    assert "confirmation" not in again.stdout
    assert len(server.received) == 1


def test_the_run_service_deliver_step_sends_them_too(tmp_path, clock, server, engines):
    from syndicate.schedule.jobs import Jobs
    from syndicate.schedule.lock import lock_for

    settings = delivery_config(tmp_path, server.port, delivery={"retry_after_seconds": 60})
    engine = engines(settings)
    [reader] = add_pending(engine, settings, clock, "reader@example.net")
    server.on_rcpt = lambda rcpt, seen: "451 4.3.0 busy" if seen == 1 else None
    assert send(settings, engine, clock, [reader]) == 0
    jobs = Jobs(engine, settings, clock, lock_for(engine))
    jobs.deliver()
    assert server.received == []  # not due yet
    clock.advance(minutes=2)
    jobs.deliver()
    assert [m.recipient for m in server.received] == ["reader@example.net"]
    jobs.stop_claiming.set()  # shutting down: nothing new is claimed
    add_pending(engine, settings, clock, "late@example.net")
    assert jobs.deliver() == 0
    assert len(server.received) == 1


def test_status_shows_the_confirmation_emails_owed(tmp_path, server, engines):
    settings = delivery_config(tmp_path, server.port, delivery={"retry_after_seconds": 3600})
    engine = engines(settings)
    a_minute_ago = FixedClock(datetime.now(UTC) - timedelta(minutes=1))
    refused, untried = add_pending(
        engine, settings, a_minute_ago, "refused@example.net", "untried@example.net"
    )
    server.on_rcpt = lambda rcpt, seen: "451 4.3.0 busy"
    assert send(settings, engine, a_minute_ago, [refused]) == 0
    due, _ = confirmation_state(engine, refused)
    result = syndicate(Path(settings.source), "status")
    assert result.returncode == 0, result.stderr
    assert (
        "confirmation emails: 1 due now, 1 waiting to be tried again "
        f"(next at {due:%Y-%m-%d %H:%M:%S} UTC)"
    ) in result.stdout
    server.on_rcpt = None
    assert send(settings, engine, FixedClock(datetime.now(UTC)), [untried]) == 1
    clear = syndicate(Path(settings.source), "status")
    assert "1 due now" not in clear.stdout and "0 due now, 1 waiting" in clear.stdout
