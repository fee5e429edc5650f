"""Under a real `syndicate run`, an alert queued by the API starts delivery at once, even
while the delivery loop is waiting for a far retry (real aiosmtpd relay)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from syndicate import config
from tests.cli import syndicate
from tests.conftest import write_config
from tests.run_process import RunningService
from tests.smtp_server import SmtpServer
from tests.test_run_alerts import ALERTS, FIRST, _messages, _post, _readers, _wait
from tests.zones import _zone_at_midday

pytestmark = pytest.mark.slow

SLOW = "slow@example.org"  # its confirmation waits for a retry ten minutes away


def test_an_alert_is_sent_at_once_while_delivery_waits_for_a_far_retry(tmp_path: Path) -> None:
    with SmtpServer() as smtp:
        smtp.on_rcpt = lambda rcpt, seen: "451 4.3.0 try again later" if rcpt == SLOW else None
        path = write_config(
            tmp_path,
            f"""
            [delivery]
            transport = "smtp"
            retry_after_seconds = 600

            [smtp]
            host = "127.0.0.1"
            port = {smtp.port}
            """,
        )
        config.load(path, env={})
        assert syndicate(path, "init").returncode == 0
        readers = _readers(tmp_path / "r.csv", _zone_at_midday(), "23:59")
        assert syndicate(path, "subscribers", "import", str(readers)).returncode == 0
        pending = tmp_path / "p.csv"
        pending.write_text(f"email,status\n{SLOW},pending\n")
        assert syndicate(path, "subscribers", "import", str(pending)).returncode == 0
        # The confirmation was tried at once and refused for now: retried in ten minutes.
        listed = syndicate(path, "outbox", "list", "--state", "retry").stdout
        assert SLOW in listed, listed
        service = RunningService(path, "--tick-seconds", "1")
        try:
            time.sleep(2)  # the delivery loop is now waiting for that retry
            posted_at = time.monotonic()
            _post(service.url, FIRST)
            _wait(lambda: _messages(smtp, ALERTS), within=30)
            assert time.monotonic() - posted_at < 30  # not the ten minutes of the wait
            assert _messages(smtp, ALERTS)[0]["Subject"] == f"Breaking: {FIRST}"
            assert [item.recipient for item in smtp.received].count(SLOW) == 0
        finally:
            service.close()
        assert "Traceback" not in service.log, service.log
