"""A real `syndicate serve` process on a free port, with its log collected as it runs."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.conftest import ROOT
from tests.web.conftest import ENV
from tests.web.processes import free_port, syndicate


@dataclass
class Served:
    url: str
    process: subprocess.Popen[str]
    lines: list[str] = field(default_factory=list)

    def rss_kib(self) -> int:
        """Resident memory of the server process (VmRSS in /proc/PID/status)."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise AssertionError("no VmRSS line")

    def log(self) -> str:
        return "\n".join(self.lines)


@contextmanager
def serve(config: Path, *global_options: str) -> Iterator[Served]:
    """Run `syndicate [global_options] serve` on the config (initialised here) until the end."""
    assert syndicate(config, "init").returncode == 0
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "syndicate", *global_options, "--config", str(config)]
        + ["serve", "--port", str(port)],
        cwd=ROOT,
        env={**os.environ, **ENV},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    served = Served(f"http://127.0.0.1:{port}", process)

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            served.lines.append(line.rstrip("\n"))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{served.url}/healthz", timeout=2)
                break
            except httpx.TransportError:
                assert process.poll() is None, served.log()
                assert time.monotonic() < deadline, "serve did not answer within 30 s"
                time.sleep(0.2)
        yield served
    finally:
        process.terminate()
        process.wait(15)
        reader.join(5)
        if process.stdout is not None:
            process.stdout.close()
