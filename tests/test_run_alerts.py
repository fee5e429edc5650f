"""Breaking news under a real `syndicate run`, delivered to a real SMTP server (aiosmtpd)."""

from __future__ import annotations

import email
import email.policy
import time
from pathlib import Path

import httpx
import pytest

from syndicate import config
from tests.cli import syndicate
from tests.conftest import write_config
from tests.messages import content, parse
from tests.run_process import RunningService
from tests.smtp_server import SmtpServer
from tests.zones import _zone_at_midday

pytestmark = pytest.mark.slow

ALERTS = "alerts@example.org"  # world, alerts on
PLAIN = "plain@example.org"  # world, alerts off
OTHER = "other@example.org"  # politics, alerts on
FIRST = "Volcano erupts near the capital"
MORE = ["Airport closed by ash", "Schools shut for two days", "Evacuation ordered"]


def _readers(path: Path, zone: str, digest_time: str) -> Path:
    head = "email,sections,timezone,language,digest_time,status,alerts"
    rows = [
        f"{ALERTS},world,{zone},en,{digest_time},active,true",
        f"{PLAIN},world,{zone},en,{digest_time},active,false",
        f"{OTHER},politics,{zone},en,{digest_time},active,true",
    ]
    path.write_text(head + "\n" + "\n".join(rows) + "\n")
    return path


def _wait(condition, within: float = 60) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def _post(url: str, headline: str) -> None:
    slug = headline.lower().replace(" ", "-")
    answer = httpx.post(
        f"{url}/api/articles",
        json={
            "url": f"https://news.example.org/world/{slug}",
            "section": "world",
            "headline": headline,
            "lede": f"{headline}: what we know.",
            "image": {"url": f"https://images.example.org/{slug}.jpg", "alt": headline},
            "breaking": True,
        },
        headers={"authorization": "Bearer test-token"},
        timeout=30,
    )
    assert answer.status_code == 201, answer.text


def _messages(smtp: SmtpServer, recipient: str) -> list[email.message.EmailMessage]:
    return [parse(item.data) for item in smtp.received if item.recipient == recipient]


def _text(message: email.message.EmailMessage) -> str:
    return content(message, "plain")


def test_a_breaking_article_alerts_the_readers_who_asked_and_skips_their_digest(
    tmp_path: Path,
) -> None:
    with SmtpServer() as smtp:
        path = write_config(
            tmp_path,
            f"""
            [schedule]
            poll_seconds = 1

            [delivery]
            transport = "smtp"

            [smtp]
            host = "127.0.0.1"
            port = {smtp.port}
            """,
        )
        config.load(path, env={})
        assert syndicate(path, "init").returncode == 0
        zone = _zone_at_midday()
        assert (
            syndicate(
                path, "subscribers", "import", str(_readers(tmp_path / "r.csv", zone, "23:59"))
            ).returncode
            == 0
        )
        service = RunningService(path, "--tick-seconds", "1")
        try:
            posted_at = time.monotonic()
            _post(service.url, FIRST)
            _wait(lambda: _messages(smtp, ALERTS), within=60)
            assert time.monotonic() - posted_at < 60
            alert = _messages(smtp, ALERTS)[0]
            assert alert["Subject"] == f"Breaking: {FIRST}"
            assert alert["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
            assert "/unsubscribe?token=" in alert["List-Unsubscribe"]
            body = _text(alert)
            assert FIRST in body and "what we know" in body and "/preferences?token=" in body
            html = content(alert, "html")
            assert "https://images.example.org/volcano-erupts-near-the-capital.jpg" in html

            # Three more the same day: two more alerts, then the cap (3) holds the fourth.
            for headline in MORE:
                _post(service.url, headline)
            _wait(lambda: len(_messages(smtp, ALERTS)) >= 3)
            time.sleep(3)  # a fourth alert, or one to the others, would have come by now
            subjects = sorted(m["Subject"] for m in _messages(smtp, ALERTS))
            assert subjects == sorted(f"Breaking: {h}" for h in [FIRST, *MORE[:2]])
            assert _messages(smtp, PLAIN) == [] and _messages(smtp, OTHER) == []

            # The send time comes: the digests go out.
            moved = _readers(tmp_path / "r.csv", zone, "00:00")
            assert syndicate(path, "subscribers", "import", str(moved)).returncode == 0
            _wait(lambda: _messages(smtp, PLAIN) and len(_messages(smtp, ALERTS)) == 4)
            digest = _text(_messages(smtp, ALERTS)[-1])
            assert MORE[2] in digest  # the capped one waited for the digest
            for alerted in [FIRST, *MORE[:2]]:
                assert alerted not in digest  # never twice
            plain = _text(_messages(smtp, PLAIN)[0])
            for headline in [FIRST, *MORE]:
                assert headline in plain
            assert _messages(smtp, OTHER) == []  # nothing in politics: no digest either
        finally:
            service.close()
        assert "Traceback" not in service.log, service.log
