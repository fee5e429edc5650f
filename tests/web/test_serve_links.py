"""`serve --port` with an empty public_url: links name the address actually served."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import write_config
from tests.web.conftest import ENV
from tests.web.processes import free_port, syndicate


@pytest.mark.parametrize("workers", [1, 2])
def test_links_follow_the_port_given(tmp_path: Path, workers: int) -> None:
    config = write_config(tmp_path)
    config.write_text(
        config.read_text().replace('public_url = "https://feeds.example.org"', 'public_url = ""')
    )
    assert syndicate(config, "init").returncode == 0
    port = free_port()
    args = ["serve", "--port", str(port), "--workers", str(workers)]
    process = subprocess.Popen(
        [sys.executable, "-m", "syndicate", "--config", str(config), *args],
        env={**os.environ, **ENV},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                page = httpx.get(f"http://127.0.0.1:{port}/feeds/world/", timeout=2)
                break
            except httpx.TransportError:
                assert process.poll() is None, process.communicate()
                assert time.monotonic() < deadline, "serve did not answer within 30 s"
                time.sleep(0.2)
        assert page.status_code == 200
        assert f"http://127.0.0.1:{port}/feeds/world/rss.xml" in page.text
        assert "127.0.0.1:8080" not in page.text
    finally:
        process.terminate()
        out, _ = process.communicate(timeout=15)
    assert f"(public URL http://127.0.0.1:{port})" in out
