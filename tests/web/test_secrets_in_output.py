"""Secrets never reach the screen or the log: config check --show, and the -v access log."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from syndicate import tokens
from tests.cli import syndicate
from tests.conftest import write_config
from tests.web.feedfiles import RSS, publish
from tests.web.served import serve

PASSWORD = "s3cr3t-Pa55"


@pytest.mark.parametrize(
    "url",
    [
        f"postgresql+psycopg://news:{PASSWORD}@127.0.0.1:5432/news",
        f"postgresql+psycopg://news:{PASSWORD}@127.0.0.1/news?sslmode=require",
        f"postgresql://news@127.0.0.1/news?password={PASSWORD}",
        f"postgresql+psycopg://news:p%40{PASSWORD}/x@db.example/news",
    ],
)
def test_config_check_show_masks_database_passwords(tmp_path: Path, url: str) -> None:
    path = write_config(tmp_path, database_url=url)
    text = path.read_text().replace(
        "[server]",
        '[feeds]\nwebsub_hub = "https://hub:hub-' + PASSWORD + '@hub.example/"\n[server]',
    )
    path.write_text(text, encoding="utf-8")
    for args in (("config", "check"), ("config", "check", "--show")):
        shown = syndicate(path, *args, env={"SYNDICATE_API_TOKEN": "api-" + PASSWORD})
        assert shown.returncode == 0, shown.stderr
        assert PASSWORD not in shown.stdout + shown.stderr
        assert "news" in shown.stdout
    assert "***" in shown.stdout
    assert '"SYNDICATE_API_TOKEN": "set (hidden)"' in shown.stdout


@pytest.mark.slow
def test_the_verbose_access_log_never_records_tokens(tmp_path: Path) -> None:
    publish(tmp_path / "var" / "public" / "feeds", "world", "rss.xml", RSS)
    token = tokens.sign("test-secret", "preferences", 1, link_key="k1")
    with serve(write_config(tmp_path), "-v") as served:
        targets = [
            f"/preferences?token={token}",
            f"/unsubscribe?lang=es&token={token}",
            f"/confirm?token={token}&lang=en",
            f"/feeds/world/rss.xml?token={token}",
            f"/nowhere?%74oken={token}",
            f"/subscribe?TOKEN={token}",
            f"/subscribe/?token={token}",
        ]
        for target in targets:
            httpx.get(served.url + target, timeout=10)
        httpx.post(f"{served.url}/unsubscribe?token={token}", data={"token": token}, timeout=10)
        deadline = time.monotonic() + 10
        while served.log().count('"GET ') < len(targets) and time.monotonic() < deadline:
            time.sleep(0.1)
        log = served.log()
    assert log.count('"GET ') >= len(targets), log
    assert token not in log
    assert token.split(".")[0] not in log
    assert "/preferences?token=*** HTTP/1.1" in log
    assert "/unsubscribe?lang=es&token=*** HTTP/1.1" in log
    assert "/confirm?token=***&lang=en HTTP/1.1" in log


def test_the_cli_log_masks_url_passwords(tmp_path: Path) -> None:
    path = write_config(tmp_path, database_url=f"sqlite:///{tmp_path / 'x.db'}")
    text = path.read_text().replace(
        "[server]", f'[feeds]\nwebsub_hub = "http://hub:{PASSWORD}@127.0.0.1:9/"\n[server]'
    )
    path.write_text(text, encoding="utf-8")
    assert syndicate(path, "init").returncode == 0
    built = syndicate(path, "feeds", "build")
    assert "websub" in built.stderr, built.stderr
    assert PASSWORD not in built.stdout + built.stderr
    assert "hub:***@127.0.0.1" in built.stderr
