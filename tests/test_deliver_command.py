"""`syndicate deliver` as an operator runs it: Maildir transport, real processes, status."""

from __future__ import annotations

import mailbox
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import update

from syndicate.db import outbox
from tests.delivery_helpers import delivery_config, outbox_states, ready_engine, run
from tests.outbox_rows import add_subscribers, enqueue
from tests.smtp_server import SmtpServer


def syndicate(config: Path, *args: str, env: dict[str, str] | None = None):
    return subprocess.run(
        [sys.executable, "-m", "syndicate", "--config", str(config), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "SYNDICATE_SECRET": "s", **(env or {})},
    )


def test_maildir_delivery_writes_one_readable_message_each(tmp_path, clock):
    settings = delivery_config(tmp_path, transport="maildir")
    engine = ready_engine(settings)
    people = add_subscribers(engine, clock.now(), 20)
    enqueue(engine, clock.now(), people)
    report = run(engine, settings, clock)
    assert report.sent == 20
    box = mailbox.Maildir(tmp_path / "mail", create=False)
    messages = [box[key] for key in box]
    assert sorted(m["To"] for m in messages) == sorted(email for _sid, email in people)
    assert len({m["Message-ID"] for m in messages}) == 20
    assert all(m.get_content_type() == "multipart/alternative" for m in messages)
    assert run(engine, settings, clock).sent == 0 and len(box.keys()) == 20


def test_deliver_command_reports_and_logs_masked_addresses(tmp_path, clock):
    settings = delivery_config(tmp_path, transport="maildir")
    engine = ready_engine(settings)
    people = add_subscribers(engine, clock.now(), 3, domain="example.com")
    enqueue(engine, clock.now(), people)
    with engine.begin() as conn:  # one row whose message went missing: failed, the rest go
        conn.execute(
            update(outbox).where(outbox.c.subscriber_id == people[0][0]).values(message=None)
        )
    before = syndicate(tmp_path / "config.toml", "status")
    assert "to deliver: 3 due now, 0 being sent, 0 waiting" in before.stdout, before.stderr
    done = syndicate(tmp_path / "config.toml", "deliver")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("2 sent, 1 failed, 0 skipped")
    assert "r***@example.com" in done.stderr and "reader1@example.com" not in done.stderr
    assert "sent edition 2026-11-28" in done.stderr
    status = syndicate(tmp_path / "config.toml", "status")
    assert status.returncode == 0, status.stderr
    assert (
        "2026-11-28: " in status.stdout
        and "2 sent" in status.stdout
        and "1 failed" in status.stdout
    )
    assert "r***@example.com: no message stored for this row" in status.stdout
    again = syndicate(tmp_path / "config.toml", "deliver", "--until-empty")
    assert again.returncode == 0 and again.stdout.startswith("0 sent, 0 failed")


def test_two_worker_processes_share_the_outbox_and_the_rate(tmp_path, clock):
    with SmtpServer() as server:
        settings = delivery_config(
            tmp_path,
            server.port,
            delivery={"workers": 2, "batch_size": 5, "connections": 2, "rate_per_second": 40},
        )
        engine = ready_engine(settings)
        people = add_subscribers(engine, clock.now(), 80)
        enqueue(engine, clock.now(), people)
        done = syndicate(tmp_path / "config.toml", "deliver", "--until-empty")
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith("80 sent, 0 failed")
        assert outbox_states(engine) == {"sent": 80}
        assert set(server.by_recipient().values()) == {1} and len(server.received) == 80
        assert "syndicate-deliver-1" in done.stderr  # the second process sent some


def test_config_check_names_a_missing_smtp_password(tmp_path):
    delivery_config(tmp_path, port=2525, smtp={"username": "news"})
    done = syndicate(tmp_path / "config.toml", "config", "check")
    assert done.returncode == 2
    assert (
        "[smtp] username is set but the environment variable SYNDICATE_SMTP_PASSWORD is empty"
        in done.stderr
    )
