"""Running the real `syndicate` command in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def syndicate(
    config_path: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run `python -m syndicate --config PATH ARGS...` and capture its output."""
    environ = dict(os.environ)
    environ.setdefault("SYNDICATE_SECRET", "test-secret-of-at-least-32-characters")
    environ.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "syndicate", "--config", str(config_path), *args],
        capture_output=True,
        text=True,
        env=environ,
        cwd=ROOT,
        timeout=timeout,
    )
