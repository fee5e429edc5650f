"""Under a real `syndicate run`, a digest tick that fails at render time is not silent:
`/metrics` and `status` show the failed tick and the overdue send slot."""

from __future__ import annotations

import re
import signal
import time
from pathlib import Path

import httpx
import pytest

from tests.cli import syndicate
from tests.conftest import ROOT, write_config
from tests.run_process import RunningService
from tests.zones import _zone_at_midday

pytestmark = pytest.mark.slow

TRAP = "Kicker trap"


def _broken_templates(folder: Path) -> Path:
    """An override of the article block that fails only for an article headed TRAP, so a
    start-up proof of the templates on sample data passes and the real edition fails."""
    folder.mkdir()
    builtin = (ROOT / "templates" / "email" / "_article.html.j2").read_text(encoding="utf-8")
    trap = f'{{% if "{TRAP}" in article.headline %}}{{{{ article.kicker }}}}{{% endif %}}\n'
    (folder / "_article.html.j2").write_text(trap + builtin, encoding="utf-8")
    return folder


def _gauge(text: str, name: str) -> float:
    found = re.search(rf"^{name} (\S+)$", text, re.MULTILINE)
    assert found is not None, f"no {name} in /metrics"
    return float(found[1])


def test_a_tick_failing_at_render_shows_in_metrics_and_status(tmp_path: Path) -> None:
    _broken_templates(tmp_path / "tpl")
    path = write_config(
        tmp_path,
        """
        [schedule]
        poll_seconds = 1

        [digest]
        templates_dir = "tpl"
        """,
    )
    assert syndicate(path, "init").returncode == 0
    service = RunningService(path, "--tick-seconds", "1")
    try:
        posted = httpx.post(
            f"{service.url}/api/articles",
            json={
                "url": "https://news.example.org/world/kicker",
                "section": "world",
                "headline": f"{TRAP}: the harbour reopens",
                "lede": "Dockworkers went back to work at dawn.",
            },
            headers={"authorization": "Bearer test-token"},
            timeout=30,
        )
        assert posted.status_code in (200, 201), posted.text
        # Readers whose send time (midnight, local) passed hours ago.
        csv = tmp_path / "readers.csv"
        csv.write_text(
            "email,sections,timezone,language,digest_time,status\n"
            f"ana@example.org,world,{_zone_at_midday()},en,00:00,active\n",
            encoding="utf-8",
        )
        assert syndicate(path, "subscribers", "import", str(csv)).returncode == 0
        mark = len(service.lines)
        failed = service.wait_for("digest tick failed", after=mark)
        assert "_article.html.j2:1" in failed and "kicker" in failed

        # The mark is written before the failure is logged: no wait needed.
        scrape = httpx.get(f"{service.url}/metrics", timeout=10).text
        assert _gauge(scrape, "syndicate_digest_tick_failing") == 1
        assert _gauge(scrape, "syndicate_digest_tick_last_failure_timestamp_seconds") > 0
        assert _gauge(scrape, "syndicate_send_slots_overdue_subscribers") == 1
        assert _gauge(scrape, "syndicate_relay_failing_since_timestamp_seconds") == 0
        assert re.search(r'^syndicate_digest_ticks_total\{outcome="failed"\} [1-9]', scrape, re.M)

        status = syndicate(path, "status")
        assert status.returncode == 1, status.stderr
        assert status.stdout.startswith("alarms:\n  digest tick failing since ")
        assert "_article.html.j2:1" in status.stdout
        assert "  1 subscriber(s) past their send time with no edition" in status.stdout
        assert "last failed digest tick: " in status.stdout
        # And the log says so once, when each alarm starts (maybe before ``mark``: the tick
        # may see the new reader before the import command has exited).
        service.wait_for("alarm: digest tick failing since")
        service.wait_for("alarm: 1 subscriber(s) past their send time")
        assert sum("alarm: digest tick failing" in line for line in service.lines) == 1
        assert service.stop(signal.SIGTERM) == 0, service.log
    finally:
        service.close()

    # Fixed, the next tick sends the edition and the alarms clear.
    (tmp_path / "tpl" / "_article.html.j2").unlink()
    again = RunningService(path, "--tick-seconds", "1")
    try:
        deadline = time.monotonic() + 60
        while True:
            status = syndicate(path, "status")
            if status.returncode == 0 or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert status.returncode == 0, status.stdout
        assert "alarms:" not in status.stdout
        scrape = httpx.get(f"{again.url}/metrics", timeout=10).text
        assert _gauge(scrape, "syndicate_digest_tick_failing") == 0
        assert _gauge(scrape, "syndicate_send_slots_overdue_subscribers") == 0
        assert again.stop(signal.SIGTERM) == 0, again.log
    finally:
        again.close()
