"""A real `syndicate run` process for tests: started on 127.0.0.1 port 0, its log read as it runs."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from tests.conftest import ROOT

SECRETS = {
    "SYNDICATE_SECRET": "test-secret-of-at-least-32-characters",
    "SYNDICATE_API_TOKEN": "test-token",
}


class RunningService:
    def __init__(self, config_path: Path, *args: str, env: dict[str, str] | None = None) -> None:
        self.lines: list[str] = []
        self._seen = threading.Condition()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "syndicate", "--config", str(config_path), "run"]
            + ["--host", "127.0.0.1", "--port", "0", *args],
            cwd=ROOT,
            env={**os.environ, **SECRETS, **(env or {})},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        found = re.search(r"listening on (http://\S+)", self.wait_for("listening on"))
        assert found is not None
        self.url = found[1]

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            with self._seen:
                self.lines.append(line.rstrip("\n"))
                self._seen.notify_all()

    def wait_for(self, text: str, timeout: float = 30, after: int = 0) -> str:
        """The first log line (from index ``after``) containing ``text``."""
        deadline = time.monotonic() + timeout
        with self._seen:
            while True:
                for line in self.lines[after:]:
                    if text in line:
                        return line
                left = deadline - time.monotonic()
                if left <= 0 or (self.proc.poll() is not None and not self._reader.is_alive()):
                    raise AssertionError(f"no {text!r} in the log:\n" + "\n".join(self.lines))
                self._seen.wait(min(left, 0.2))

    def send(self, signum: int) -> None:
        self.proc.send_signal(signum)

    def stop(self, signum: int = signal.SIGTERM, timeout: float = 30) -> int:
        """Send ``signum`` and wait for the exit; returns the exit code."""
        started = time.monotonic()
        self.proc.send_signal(signum)
        code = self.proc.wait(timeout=timeout)
        self.stop_seconds = time.monotonic() - started
        self._reader.join(timeout=5)
        return code

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self._reader.join(timeout=5)
        if self.proc.stdout is not None:
            self.proc.stdout.close()

    @property
    def log(self) -> str:
        return "\n".join(self.lines)
