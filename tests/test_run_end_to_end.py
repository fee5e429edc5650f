"""The whole service as operators run it: a real `syndicate run`, the ingest API, the feed,
the digest at the readers' time, delivery to a real SMTP server, and a SIGTERM mid-delivery."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from syndicate import config, store
from syndicate.store.tables import outbox
from tests.cli import syndicate
from tests.conftest import ROOT, write_config
from tests.feed_fetch import get_feed
from tests.run_process import RunningService
from tests.smtp_server import Delay, SmtpServer
from tests.zones import _zone_at_midday

pytestmark = pytest.mark.slow

READERS = [f"reader{i:02d}@example.org" for i in range(12)]
HEADLINE = "Harbour cranes restart after the overnight strike"


def _readers_csv(path: Path, zone: str, digest_time: str) -> Path:
    rows = [f"{email},world,{zone},en,{digest_time},active" for email in READERS]
    path.write_text("email,sections,timezone,language,digest_time,status\n" + "\n".join(rows))
    return path


def _wait(condition, within: float = 60, every: float = 0.1) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(every)


def _outbox_states(settings: config.Settings) -> dict[str, int]:
    engine = store.open_engine(settings.database.url)
    with engine.connect() as conn:
        rows = conn.execute(select(outbox.c.state, func.count()).group_by(outbox.c.state)).all()
    engine.dispose()
    return {state: count for state, count in rows}


def test_article_to_feed_to_digest_to_smtp_and_a_clean_stop(tmp_path: Path) -> None:
    with SmtpServer() as smtp:
        # Each message takes a moment, so the SIGTERM below lands while sending.
        smtp.on_data = lambda rcpt, seen: Delay(0.3)
        path = write_config(
            tmp_path,
            f"""
            [schedule]
            poll_seconds = 1

            [delivery]
            transport = "smtp"
            connections = 2

            [smtp]
            host = "127.0.0.1"
            port = {smtp.port}
            """,
        )
        settings = config.load(path, env={})
        assert syndicate(path, "init").returncode == 0
        zone = _zone_at_midday()
        csv = _readers_csv(tmp_path / "readers.csv", zone, "23:59")
        assert syndicate(path, "subscribers", "import", str(csv)).returncode == 0

        service = RunningService(path, "--tick-seconds", "1")
        try:
            # 1. An article through the API shows up in the World feed.
            posted = httpx.post(
                f"{service.url}/api/articles",
                json={
                    "url": "https://news.example.org/world/harbour-cranes",
                    "section": "world",
                    "headline": HEADLINE,
                    "lede": "Dockworkers went back to work at dawn.",
                    "body": "<p>The ports reopened.</p>",
                },
                headers={"authorization": "Bearer test-token"},
                timeout=30,
            )
            assert posted.status_code in (200, 201), posted.text
            _wait(lambda: HEADLINE in get_feed(f"{service.url}/feeds/world/rss.xml").text)

            # 2. Nobody is due yet; then the readers' send time comes (moved to midnight,
            #    which has passed today) and the running service sends the digest.
            time.sleep(1.5)
            assert smtp.received == []
            csv = _readers_csv(tmp_path / "readers.csv", zone, "00:00")
            assert syndicate(path, "subscribers", "import", str(csv)).returncode == 0
            _wait(lambda: len(smtp.received) >= 3)
            first = smtp.received[0]
            assert first.recipient in READERS
            assert HEADLINE.encode() in first.data.replace(b"=\r\n", b"")

            # 3. SIGTERM while sending: a clean, prompt exit.
            assert service.stop(signal.SIGTERM) == 0, service.log
            assert service.stop_seconds < 30
            assert "Traceback" not in service.log, service.log
        finally:
            service.close()

        # Nothing is left claimed: every edition is either sent or back in the queue.
        states = _outbox_states(settings)
        assert sum(states.values()) == len(READERS), states
        assert set(states) <= {"sent", "queued"}, states
        assert states.get("sent", 0) == len(smtp.received) < len(READERS), states
        assert "handed back" in service.log

        # 4. After a restart the rest goes out; nobody gets the edition twice.
        again = RunningService(path, "--tick-seconds", "1")
        try:
            _wait(lambda: len(smtp.received) >= len(READERS))
            time.sleep(1)  # a second copy would arrive now
            assert again.stop(signal.SIGTERM) == 0, again.log
        finally:
            again.close()
        assert sorted(smtp.by_recipient().items()) == [(email, 1) for email in READERS]
        assert _outbox_states(settings) == {"sent": len(READERS)}


def test_a_job_outliving_the_grace_period_exits_promptly_and_loses_nothing(
    tmp_path: Path,
) -> None:
    with SmtpServer() as smtp:
        smtp.on_data = lambda rcpt, seen: Delay(8)  # far longer than the grace period
        path = write_config(
            tmp_path,
            f"""
            [delivery]
            transport = "smtp"
            connections = 1

            [smtp]
            host = "127.0.0.1"
            port = {smtp.port}
            """,
        )
        settings = config.load(path, env={})
        assert syndicate(path, "init").returncode == 0
        assert syndicate(path, "import", str(ROOT / "examples" / "articles")).returncode == 0
        csv = _readers_csv(tmp_path / "readers.csv", "UTC", "00:00")
        assert syndicate(path, "subscribers", "import", str(csv)).returncode == 0

        service = RunningService(path, "--grace", "0.5")
        try:
            service.wait_for("digest tick: enqueued")
            _wait(lambda: smtp.connections >= 1)
            time.sleep(0.5)  # the first message is now in DATA
            assert service.stop(signal.SIGTERM) == 1
            assert service.stop_seconds < 10
            assert "still running after" in service.log, service.log
        finally:
            service.close()
        assert smtp.received == []

        # The rows the stopped process held are taken back; each reader gets one copy.
        smtp.on_data = None
        done = syndicate(path, "deliver", "--until-empty", timeout=120)
        assert done.returncode == 0, done.stderr
        assert sorted(smtp.by_recipient().items()) == [(email, 1) for email in READERS]
        assert _outbox_states(settings) == {"sent": len(READERS)}
