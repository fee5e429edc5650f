"""A real `syndicate serve` process for the HTTP tests: a free port and the command."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

from tests.web.conftest import ENV


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def syndicate(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "syndicate", "--config", str(config), *args],
        capture_output=True,
        text=True,
        env={**os.environ, **ENV},
        timeout=60,
    )
