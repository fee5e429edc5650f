"""`syndicate serve` as an operator runs it, and the CLI's confirmation emails."""

from __future__ import annotations

import mailbox
import os
import subprocess
import sys
import time
from email import message_from_bytes, policy
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from syndicate.cli import _register, cli
from tests.conftest import write_config
from tests.web.conftest import ENV
from tests.web.processes import free_port, syndicate


@pytest.mark.parametrize("workers", [1, 2])
def test_serve_answers_until_stopped(tmp_path: Path, workers: int) -> None:
    config = write_config(tmp_path)
    assert syndicate(config, "init").returncode == 0
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "syndicate",
            "--config",
            str(config),
            "serve",
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        env={**os.environ, **ENV},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
                break
            except httpx.TransportError:
                assert process.poll() is None, process.communicate()
                assert time.monotonic() < deadline, "serve did not answer within 30 s"
                time.sleep(0.2)
        assert response.status_code == 200
        page = httpx.get(f"http://127.0.0.1:{port}/subscribe", timeout=5)
        assert "Test News" in page.text
    finally:
        process.terminate()
        out, err = process.communicate(timeout=15)
    assert f"serving on http://127.0.0.1:{port}" in out


def test_serve_without_secret_says_what_to_set(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    env = {k: v for k, v in os.environ.items() if k != "SYNDICATE_SECRET"}
    subprocess.run(
        [sys.executable, "-m", "syndicate", "--config", str(config), "init"],
        env=env,
        check=True,
        capture_output=True,
    )
    result = subprocess.run(
        [sys.executable, "-m", "syndicate", "--config", str(config), "serve", "--port", "1"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert result.returncode == 2
    assert "SYNDICATE_SECRET is not set" in result.stderr
    assert "Traceback" not in result.stderr


def _mails(folder: Path) -> list:
    box = mailbox.Maildir(folder, create=True)
    return [message_from_bytes(box.get_bytes(k), policy=policy.default) for k in box.iterkeys()]


def test_cli_pending_subscribers_get_a_confirmation(tmp_path: Path, monkeypatch) -> None:
    config = write_config(tmp_path)
    for key, value in ENV.items():
        monkeypatch.setenv(key, value)
    _register()
    runner = CliRunner()
    assert runner.invoke(cli, ["--config", str(config), "init"]).exit_code == 0
    added = runner.invoke(cli, ["--config", str(config), "subscribers", "add", "ana@example.com"])
    assert added.exit_code == 0, added.output
    assert "1 confirmation email(s) sent" in added.output
    confirmed = runner.invoke(
        cli, ["--config", str(config), "subscribers", "add", "ben@example.com", "--confirmed"]
    )
    assert confirmed.exit_code == 0
    csv = tmp_path / "people.csv"
    csv.write_text("email,status\ncarla@example.com,pending\ndan@example.com,active\n")
    imported = runner.invoke(cli, ["--config", str(config), "subscribers", "import", str(csv)])
    assert imported.exit_code == 0, imported.output
    mails = _mails(tmp_path / "var" / "outbox")
    assert sorted(m["To"] for m in mails) == ["ana@example.com", "carla@example.com"]
    body = mails[0].get_body(("plain",)).get_content()
    assert "https://feeds.example.org/confirm?token=" in body


def test_feeds_links_prints_the_autodiscovery_tags(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    _register()
    runner = CliRunner()
    result = runner.invoke(cli, ["--config", str(config), "feeds", "links", "world"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        '<link rel="alternate" type="application/rss+xml" title="Test News: World (RSS)" '
        'href="https://feeds.example.org/feeds/world/rss.xml">',
        '<link rel="alternate" type="application/atom+xml" title="Test News: World (Atom)" '
        'href="https://feeds.example.org/feeds/world/atom.xml">',
        '<link rel="alternate" type="application/feed+json" title="Test News: World (JSON Feed)" '
        'href="https://feeds.example.org/feeds/world/feed.json">',
    ]
    every = runner.invoke(cli, ["--config", str(config), "feeds", "links"])
    assert "https://feeds.example.org/feeds/all/feed.json" in every.output
    unknown = subprocess.run(
        [sys.executable, "-m", "syndicate", "--config", str(config), "feeds", "links", "sports"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert unknown.returncode == 2
    assert "sports: no such section" in unknown.stderr
