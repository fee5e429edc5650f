"""A breaking article to 10,000 alerts readers: from the API's answer to the relay's last 250.

A real `syndicate run` (SQLite, one process) with 10,000 active readers of World who
asked for alerts; `POST /api/articles` with "breaking": true; the minimal SMTP sink
(in its own process) prints the time of every 1,000th accepted message. Target: the
last one within 60 s of the API's answer on this machine.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlalchemy import insert

from syndicate import config, store
from syndicate.store.tables import new_link_key, subscribers
from tests.run_process import RunningService

READERS = 10_000
TARGET_SECONDS = 60


def _config(folder: Path, port: int) -> Path:
    path = folder / "config.toml"
    path.write_text(
        f'[database]\nurl = "sqlite:///{folder / "bench.db"}"\n'
        '[[sections]]\nslug = "world"\ntitle = "World"\n'
        '[[sections]]\nslug = "politics"\ntitle = "Politics"\n'
        '[digest]\nfrom = "News <news@example.org>"\n'
        '[feeds]\noutput_dir = "feeds"\n'
        '[schedule]\npoll_seconds = 60\ndigest_time = "23:59"\n'
        '[delivery]\ntransport = "smtp"\nconnections = 16\n'
        f'[smtp]\nhost = "127.0.0.1"\nport = {port}\n'
    )
    return path


def _readers(path: Path) -> None:
    settings = config.load(path, env={"SYNDICATE_SECRET": "x" * 40})
    engine = store.open_engine(settings.database.url)
    store.migrate(engine)
    now = datetime.now(UTC)
    rows = [
        {
            "email": f"r{i}@example.net",
            "status": "active",
            "all_sections": True,
            "timezone": "UTC",
            "language": "en",
            "digest_time": "23:59",
            "alerts": True,
            "created_at": now,
            "link_key": new_link_key(),
        }
        for i in range(READERS)
    ]
    with engine.begin() as conn:
        for start in range(0, READERS, 2000):
            conn.execute(insert(subscribers), rows[start : start + 2000])
    engine.dispose()


def run() -> None:
    sink = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.smtp_sinks", "minimal-report"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert sink.stdout is not None
        port = int(sink.stdout.readline())
        with tempfile.TemporaryDirectory() as folder:
            path = _config(Path(folder), port)
            _readers(path)
            service = RunningService(path)
            try:
                posted = time.time()
                answer = httpx.post(
                    f"{service.url}/api/articles",
                    json={
                        "url": "https://news.example.org/world/breaking",
                        "section": "world",
                        "headline": "Breaking: a benchmark",
                        "lede": "What we know so far, in one short paragraph.",
                        "image": {"url": "https://img.example.org/b.jpg", "alt": "A photo"},
                        "breaking": True,
                    },
                    headers={"authorization": "Bearer test-token"},
                    timeout=120,
                )
                answered = time.time()
                assert answer.status_code == 201, answer.text
                last = 0.0
                while True:
                    count, at = sink.stdout.readline().split()
                    last = float(at)
                    if int(count) >= READERS:
                        break
            finally:
                service.close()
    finally:
        sink.terminate()
        sink.wait(10)
    after = last - answered
    print(
        f"   {READERS:,} alerts: API answered in {answered - posted:.1f} s (alerts queued), "
        f"last 250 {after:.1f} s after the answer (target <= {TARGET_SECONDS} s), "
        f"{READERS / max(after, 1e-9):,.0f} msg/s"
    )
