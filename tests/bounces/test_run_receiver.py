"""`syndicate run` starts the bounce receiver when [bounces] listen is set."""

from __future__ import annotations

import smtplib
import socket

from sqlalchemy import select

from syndicate import store
from syndicate.store.tables import subscribers
from tests import bounce_mail
from tests.cli import syndicate
from tests.conftest import write_config
from tests.run_process import RunningService


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_run_takes_reports_by_smtp_when_listen_is_set(tmp_path) -> None:
    port = free_port()
    path = write_config(
        tmp_path,
        f'\n[bounces]\nreturn_path = "bounces@news.example.org"\nlisten = "127.0.0.1:{port}"\n',
    )
    assert syndicate(path, "init").returncode == 0
    assert syndicate(path, "subscribers", "add", "gone@example.net", "--confirmed").returncode == 0
    running = RunningService(path)
    try:
        running.wait_for(f"bounce receiver listening on smtp://127.0.0.1:{port}")
        report = bounce_mail.dsn(
            "bounces@news.example.org", "gone@example.net", "<unknown@x>", "5.1.1"
        )
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
            client.sendmail("", ["bounces@news.example.org"], report)
        running.wait_for("is now bounced")
        assert running.stop() == 0, running.log
    finally:
        running.close()
    engine = store.open_engine(f"sqlite:///{tmp_path / 'var' / 'syndicate.db'}")
    with engine.connect() as conn:
        status = conn.execute(
            select(subscribers.c.status).where(subscribers.c.email == "gone@example.net")
        ).scalar()
    engine.dispose()
    assert status == "bounced"
