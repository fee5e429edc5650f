"""`syndicate deliver` as an operator runs it: Maildir transport, real processes, status."""

from __future__ import annotations

import mailbox

from sqlalchemy import update

from syndicate.store.tables import outbox
from tests.cli import ROOT, syndicate
from tests.delivery_helpers import delivery_config, outbox_states, ready_engine, run
from tests.outbox_rows import add_subscribers, enqueue
from tests.smtp_server import SmtpServer


def test_maildir_delivery_writes_one_readable_message_each(tmp_path, clock):
    settings = delivery_config(tmp_path, transport="maildir")
    engine = ready_engine(settings)
    people = add_subscribers(engine, clock.now(), 20)
    enqueue(engine, clock.now(), people)
    report = run(engine, settings, clock)
    assert report.sent == 20
    box = mailbox.Maildir(tmp_path / "mail", create=False)
    messages = list(box.values())
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
    assert done.returncode == 1, done.stderr  # something failed: the exit code says so
    assert done.stdout.startswith("2 sent, 1 failed, 0 skipped")
    assert "1 message(s) failed; see `syndicate outbox list --state failed`" in done.stderr
    assert "  1 × no message stored for this row" in done.stderr
    assert "r***@example.com" in done.stderr and "reader1@example.com" not in done.stderr
    assert "sent edition 2026-11-28" in done.stderr
    status = syndicate(tmp_path / "config.toml", "status")
    assert status.returncode == 1, status.stderr
    # Other alarms may come first (by the real clock these readers' send time may have
    # passed today with no edition): the failed one is among them.
    assert status.stdout.startswith("alarms:\n")
    assert "\n  1 digest(s) of 2026-11-28 failed; " in status.stdout
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


def test_digest_send_500_subscribers_then_again_sends_nothing(tmp_path):
    with SmtpServer() as server:
        settings = delivery_config(tmp_path, server.port, delivery={"connections": 4})
        config = tmp_path / "config.toml"
        assert syndicate(config, "init").returncode == 0
        assert syndicate(config, "import", str(ROOT / "examples" / "articles")).returncode == 0
        people = tmp_path / "people.csv"
        people.write_text(
            "email,sections\n" + "".join(f"reader{i}@example.net,world\n" for i in range(500))
        )
        added = syndicate(config, "subscribers", "import", str(people))
        assert added.returncode == 0, added.stderr
        sent = syndicate(config, "digest", "send")
        assert sent.returncode == 0, sent.stderr
        assert sent.stdout.splitlines()[0].startswith("500 queued")
        assert sent.stdout.splitlines()[1].startswith("500 sent, 0 failed")
        got = server.by_recipient()
        assert len(got) == 500 and set(got.values()) == {1}
        assert len({item.message_id for item in server.received}) == 500
        assert all(
            b"Dockworkers" in item.data or b"Ports" in item.data for item in server.received[:3]
        )
        again = syndicate(config, "digest", "send")
        assert again.returncode == 0, again.stderr
        assert again.stdout.splitlines()[0].startswith("0 queued")
        assert again.stdout.splitlines()[1].startswith("0 sent")
        assert len(server.received) == 500
        engine = ready_engine(settings)
        assert outbox_states(engine) == {"sent": 500}
