"""Retries by time: a relay outage longer than any count of tries loses nothing; past the
give-up time rows fail, the command says so, and `outbox retry` sends them once."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from syndicate.clock import FixedClock
from syndicate.store.tables import outbox, subscribers
from tests.cli import ROOT, syndicate
from tests.delivery_helpers import delivery_config, outbox_states, ready_engine, run
from tests.outbox_rows import add_subscribers, enqueue
from tests.smtp_server import SmtpServer

pytestmark = pytest.mark.slow


def _rows(engine):
    with engine.connect() as conn:
        return conn.execute(
            select(outbox.c.recipient, outbox.c.message_id, outbox.c.attempts, outbox.c.state)
        ).all()


def test_a_relay_outage_longer_than_the_old_attempt_window_loses_nothing(tmp_path):
    with SmtpServer(listen=False) as server:  # bound, not listening: connections refused
        settings = delivery_config(
            tmp_path,
            server.port,
            delivery={
                "retry_after_seconds": 0.2,
                "max_retry_interval_seconds": 0.5,
                "give_up_after_seconds": 600,
                "timeout_seconds": 2,
            },
        )
        engine = ready_engine(settings)
        now = FixedClock(datetime.now(UTC))
        people = add_subscribers(engine, now.now(), 3)
        enqueue(engine, now.now(), people)
        queued = {recipient: mid for recipient, mid, _, _ in _rows(engine)}
        config_path = tmp_path / "config.toml"
        deliver = subprocess.Popen(
            [sys.executable, "-m", "syndicate", "--config", str(config_path)]
            + ["deliver", "--until-empty"],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "SYNDICATE_SECRET": "test-secret"},
        )
        try:
            # Down until every row has had more tries than the old count allowed (eight).
            deadline = time.monotonic() + 90
            seen_alarm = None
            while time.monotonic() < deadline:
                if seen_alarm is None:
                    status = syndicate(config_path, "status")
                    if "relay failing since" in status.stdout:
                        seen_alarm = status
                if seen_alarm and all(attempts > 8 for _, _, attempts, _ in _rows(engine)):
                    break
                time.sleep(0.3)
            assert seen_alarm is not None, "status never showed the relay alarm"
            assert seen_alarm.returncode == 1
            assert seen_alarm.stdout.startswith("alarms:\n")
            assert all(attempts > 8 for _, _, attempts, _ in _rows(engine)), _rows(engine)
            assert deliver.poll() is None  # still trying, nothing given up
            assert server.received == []
            server.listen()
            out, err = deliver.communicate(timeout=60)
        finally:
            if deliver.poll() is None:
                deliver.kill()
                deliver.wait()
        assert deliver.returncode == 0, err
        assert out.startswith("3 sent, 0 failed"), out
        assert "relay failing since" in err and "relay accepts messages again" in err
        assert sorted(server.by_recipient().values()) == [1, 1, 1]
        for message in server.received:
            assert f"Message-ID: {queued[message.recipient]}".encode() in message.data
        assert outbox_states(engine) == {"sent": 3}
        after = syndicate(config_path, "status")
        assert "relay failing since" not in after.stdout, after.stdout
        engine.dispose()


def test_rows_tried_until_the_give_up_time_then_failed(tmp_path, db_url):
    with SmtpServer(listen=False) as server:
        settings = delivery_config(
            tmp_path,
            server.port,
            database_url=db_url,
            delivery={
                "retry_after_seconds": 60,
                "max_retry_interval_seconds": 600,
                "give_up_after_seconds": 7200,
            },
        )
        engine = ready_engine(settings)
        clock = FixedClock(datetime(2026, 11, 28, 12, 0, tzinfo=UTC))
        enqueue(engine, clock.now(), add_subscribers(engine, clock.now(), 2))
        report = run(engine, settings, clock, until_empty=True)
        assert report.failed == 2 and report.sent == 0
        rows = _rows(engine)
        assert {state for _, _, _, state in rows} == {"failed"}
        # 60 + 120 + 240 + 480, then every 600 s: about sixteen tries in two hours.
        assert all(12 <= attempts <= 20 for _, _, attempts, _ in rows), rows
        assert clock.now() - datetime(2026, 11, 28, 12, 0, tzinfo=UTC) <= timedelta(hours=2)
        assert report.reasons.most_common(1)[0][0].startswith("gave up: connect: 127.0.0.1")
        engine.dispose()


def test_given_up_rows_fail_the_command_and_outbox_retry_sends_each_once(tmp_path, db_url):
    with SmtpServer(listen=False) as server:
        settings = delivery_config(
            tmp_path,
            server.port,
            database_url=db_url,
            delivery={"retry_after_seconds": 60, "give_up_after_seconds": 3600},
        )
        engine = ready_engine(settings)
        # Queued just under an hour ago: the next try would fall after the give-up time.
        long_ago = FixedClock(datetime.now(UTC) - timedelta(seconds=3590))
        people = add_subscribers(engine, long_ago.now(), 3)
        enqueue(engine, long_ago.now(), people)
        queued = {recipient: mid for recipient, mid, _, _ in _rows(engine)}
        config_path = tmp_path / "config.toml"

        done = syndicate(config_path, "deliver")
        assert done.returncode == 1, done.stderr
        assert done.stdout.startswith("0 sent, 3 failed"), done.stdout
        assert "3 message(s) failed; see `syndicate outbox list --state failed`" in done.stderr
        assert f"  3 × gave up: connect: 127.0.0.1:{server.port}" in done.stderr
        assert outbox_states(engine) == {"failed": 3}

        listed = syndicate(config_path, "outbox", "list", "--state", "failed", "--csv")
        assert listed.returncode == 0, listed.stderr
        lines = listed.stdout.splitlines()
        assert lines[0].startswith("id,kind,edition_date,recipient,state,attempts")
        assert len(lines) == 4 and all(",failed,1," in line for line in lines[1:])

        with engine.begin() as conn:
            conn.execute(
                update(subscribers)
                .where(subscribers.c.id == people[0][0])
                .values(status="unsubscribed")
            )
        server.listen()
        again = syndicate(config_path, "outbox", "retry", "--date", "2026-11-28")
        assert again.returncode == 0, again.stderr
        assert "2 failed message(s) back in the queue, 1 left failed" in again.stdout
        assert f"to {people[0][1]}: subscriber is unsubscribed" in again.stderr
        assert sorted(server.by_recipient().items()) == [(people[1][1], 1), (people[2][1], 1)]
        for message in server.received:
            assert f"Message-ID: {queued[message.recipient]}".encode() in message.data

        twice = syndicate(config_path, "outbox", "retry")
        assert "0 failed message(s) back in the queue, 1 left failed" in twice.stdout
        assert len(server.received) == 2
        assert outbox_states(engine) == {"sent": 2, "failed": 1}
        engine.dispose()
