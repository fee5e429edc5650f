"""An edition through a real aiosmtpd relay with VERP on; reports mailed back to the real
`syndicate bounces receive` server and left in a Maildir read by `syndicate bounces read`."""

from __future__ import annotations

import mailbox
import os
import re
import smtplib
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from syndicate import config
from syndicate.bounces.verp import row_of
from syndicate.store.tables import bounce_reports, outbox, subscribers
from tests import bounce_mail
from tests.conftest import ROOT, write_config
from tests.delivery_helpers import ready_engine, run
from tests.outbox_rows import add_subscribers, enqueue, message_id
from tests.smtp_server import SmtpServer

SECRET = "test-secret-of-at-least-32-characters"
RETURN = "bounces@news.example.org"
ENV = {**os.environ, "SYNDICATE_SECRET": SECRET}
DAY = datetime(2026, 11, 28, 15, 0, tzinfo=UTC)


def bounce_settings(folder: Path, relay_port: int) -> config.Settings:
    extra = f"""
[delivery]
transport = "smtp"
connections = 2
timeout_seconds = 5

[smtp]
host = "127.0.0.1"
port = {relay_port}

[bounces]
return_path = "{RETURN}"
soft_limit = 3
soft_window_days = 14
"""
    path = write_config(folder, extra, database_url=f"sqlite:///{folder / 'syndicate.db'}")
    return config.load(path, env={"SYNDICATE_SECRET": SECRET})


class Receiver:
    """`syndicate bounces receive --port 0` as its own process."""

    def __init__(self, config_path: Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "syndicate", "--config", str(config_path)]
            + ["bounces", "receive", "--host", "127.0.0.1", "--port", "0"],
            cwd=ROOT,
            env=ENV,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            found = re.search(r"listening on smtp://127\.0\.0\.1:(\d+)", line)
            if found:
                self.port = int(found[1])
                return
        raise AssertionError("the receiver did not start")

    def send(self, rcpt: str, data: bytes) -> None:
        with smtplib.SMTP("127.0.0.1", self.port, timeout=10) as client:
            client.sendmail("", [rcpt], data)

    def stop(self) -> str:
        self.proc.terminate()
        out, _ = self.proc.communicate(timeout=10)
        return out


def states(engine) -> dict[str, str]:
    with engine.connect() as conn:
        return dict(conn.execute(select(subscribers.c.email, subscribers.c.status)).all())


def read_cli(config_path: Path, *paths: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "syndicate", "--config", str(config_path), "bounces", "read"]
        + [str(p) for p in paths],
        cwd=ROOT,
        env=ENV,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.slow
def test_reports_by_smtp_and_maildir_move_each_subscriber_once(tmp_path, clock) -> None:
    with SmtpServer() as relay:
        settings = bounce_settings(tmp_path, relay.port)
        engine = ready_engine(settings)
        names = ["hard", "soft", "complains", "quoted", "qmail", "away", "fine"]
        people = add_subscribers(engine, clock.now(), len(names))
        who = dict(zip(names, people, strict=True))
        enqueue(engine, clock.now(), people)
        report = run(engine, settings, clock)
        assert report.sent == len(names)
        verp = {item.recipient: item.sender for item in relay.received}
    with engine.connect() as conn:
        row_ids = dict(conn.execute(select(outbox.c.recipient, outbox.c.id)).all())
    for email, sender in verp.items():
        assert sender.startswith("bounces+") and sender.endswith("@news.example.org")
        assert row_of(sender, RETURN, SECRET) == row_ids[email]
    assert all(b"From: Test News <news@example.org>" in item.data for item in relay.received)

    def to(name: str) -> str:
        return verp[who[name][1]]

    def mid(name: str) -> str:
        return message_id(clock.now().date(), who[name][0])

    receiver = Receiver(tmp_path / "config.toml")
    try:
        hard_email = who["hard"][1]
        receiver.send(
            to("hard"), bounce_mail.dsn(to("hard"), hard_email, mid("hard"), "5.1.1", when=DAY)
        )
        for serial in (1, 2):
            when = DAY + timedelta(days=serial)
            receiver.send(
                to("soft"),
                bounce_mail.dsn(
                    to("soft"), who["soft"][1], mid("soft"), "4.2.2", when=when, serial=serial
                ),
            )
        receiver.send(
            to("complains"),
            bounce_mail.arf(to("complains"), who["complains"][1], mid("complains"), when=DAY),
        )
        receiver.send(to("away"), bounce_mail.vacation(to("away"), who["away"][1]))
        receiver.send(to("fine"), bounce_mail.junk(to("fine")))
        # Refused: this server takes mail for the return-path domain only.
        with pytest.raises(smtplib.SMTPRecipientsRefused):
            receiver.send("someone@elsewhere.example", bounce_mail.junk("x@y.example"))
    finally:
        log = receiver.stop()
    middle = states(engine)
    assert middle[who["hard"][1]] == "bounced", log
    assert middle[who["complains"][1]] == "complained"
    assert middle[who["soft"][1]] == "active"  # two soft bounces: not yet

    box = mailbox.Maildir(tmp_path / "bounces", create=True)
    box.add(
        bounce_mail.dsn(
            RETURN,
            "alias@forwarded.example",
            mid("quoted"),
            "5.1.1",
            quote_recipient=False,
            when=DAY,
        )
    )
    box.add(bounce_mail.qmail_bounce(RETURN, who["qmail"][1]))
    box.add(
        bounce_mail.dsn(
            to("soft"), who["soft"][1], mid("soft"), "4.2.2", when=DAY + timedelta(days=3), serial=3
        )
    )
    box.add(bounce_mail.junk(RETURN))
    done = read_cli(tmp_path / "config.toml", tmp_path / "bounces")
    assert done.returncode == 0, done.stderr
    final = states(engine)
    assert final == {
        who["hard"][1]: "bounced",
        who["soft"][1]: "bounced",
        who["complains"][1]: "complained",
        who["quoted"][1]: "bounced",
        who["qmail"][1]: "bounced",
        who["away"][1]: "active",
        who["fine"][1]: "active",
    }
    with engine.connect() as conn:
        kinds = sorted(conn.execute(select(bounce_reports.c.kind)).scalars())
        reasons = dict(
            conn.execute(select(subscribers.c.email, subscribers.c.suppressed_reason)).all()
        )
        kept = conn.execute(
            select(bounce_reports.c.raw).where(bounce_reports.c.kind == "unparsed")
        ).scalars()
        assert all(b"Cheap watches" in raw for raw in kept)
        dated = conn.execute(
            select(subscribers.c.suppressed_at).where(subscribers.c.email == who["hard"][1])
        ).scalar()
    assert kinds == sorted(
        [
            "hard",
            "soft",
            "soft",
            "soft",
            "complaint",
            "auto_reply",
            "unparsed",
            "unparsed",
            "hard",
            "hard",
        ]
    )
    assert "5.1.1" in reasons[who["hard"][1]] and "complaint" in reasons[who["complains"][1]]
    assert reasons[who["away"][1]] is None
    assert dated == DAY
    # The same mailbox read again: every report is on record already, nothing moves.
    again = read_cli(tmp_path / "config.toml", tmp_path / "bounces")
    assert "4 already on record" in again.stdout, again.stdout
    with engine.connect() as conn:
        assert len(conn.execute(select(bounce_reports.c.id)).all()) == len(kinds)
    assert states(engine) == final


def test_read_names_a_missing_path_without_a_traceback(tmp_path) -> None:
    settings = bounce_settings(tmp_path, 25)
    ready_engine(settings).dispose()
    done = read_cli(tmp_path / "config.toml", tmp_path / "nowhere")
    assert done.returncode == 2
    assert "nowhere: no such file or folder" in done.stderr and "Traceback" not in done.stderr


def test_read_takes_an_mbox_and_eml_files(tmp_path, clock) -> None:
    settings = bounce_settings(tmp_path, 25)
    engine = ready_engine(settings)
    people = add_subscribers(engine, clock.now(), 2)
    box = mailbox.mbox(tmp_path / "bounces.mbox")
    box.add(bounce_mail.dsn(RETURN, people[0][1], "<none@x>", "5.1.1", when=DAY))
    box.close()
    (tmp_path / "one.eml").write_bytes(bounce_mail.arf(RETURN, people[1][1], "<none@y>"))
    done = read_cli(tmp_path / "config.toml", tmp_path / "bounces.mbox", tmp_path / "one.eml")
    assert done.returncode == 0, done.stderr
    assert "1 complaint, 1 hard; 1 now bounced, 1 now complained" in done.stdout
    assert set(states(engine).values()) == {"bounced", "complained"}
    engine.dispose()
