"""`make screenshots` (web part): the subscribe and preferences pages, the World feed as a
browser gets it (its HTML page) and the archive of editions, at a phone's width.

Runs the real app on 127.0.0.1 (ephemeral port) with the example config and a
throwaway database, and photographs it with headless Chromium. Nothing leaves
the machine: every other host name resolves to nothing.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import uvicorn

from syndicate import config, store, subscribers, tokens
from syndicate.clock import SystemClock
from syndicate.senders import make_sender
from syndicate.store import subscribers as subscriber_store
from syndicate.web import create_app

ROOT = Path(__file__).resolve().parent.parent
# File name -> (path, window height).
PAGES = {
    "web-subscribe.png": ("/subscribe", 1000),
    "web-preferences.png": ("/preferences?token={token}", 1000),
    "feed-page.png": ("/feeds/world/rss.xml", 1500),
    "digests.png": ("/digests/?lang=en", 800),
}


def main() -> int:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        print("chromium not found; install it (Debian: apt-get install chromium)", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        shutil.copy(ROOT / "config.example.toml", work / "config.toml")
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        env = {"SYNDICATE_SECRET": "screenshot-secret"}
        settings = config.load(work / "config.toml", env=env)
        settings = settings.model_copy(
            update={"server": settings.server.model_copy(update={"public_url": url})}
        )
        engine = store.open_engine(settings.database.url)
        store.migrate(engine)
        # The sample articles and their feeds, through the commands an operator runs.
        command = [sys.executable, "-m", "syndicate", "--config", str(work / "config.toml")]
        for step in (["import", str(ROOT / "examples" / "articles")], ["feeds", "build"]):
            subprocess.run(
                [*command, *step], check=True, capture_output=True, env={**os.environ, **env}
            )
        clock = SystemClock()
        with engine.begin() as conn:
            reader = subscribers.validate(settings, "lectora@example.com", ["world", "mundo"])
            reader_id = subscriber_store.save(conn, reader, clock.now()).id
            person = subscriber_store.get(conn, reader_id or 0)
        assert person is not None
        token = tokens.sign("screenshot-secret", "preferences", person.id, link_key=person.link_key)
        server = uvicorn.Server(
            uvicorn.Config(
                create_app(
                    settings, engine, clock, sender=lambda: make_sender(settings), publish=None
                ),
                log_level="warning",
            )
        )
        thread = threading.Thread(target=lambda: asyncio.run(server.serve([sock])), daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.05)
        try:
            for name, (path, height) in PAGES.items():
                subprocess.run(
                    [
                        chromium,
                        "--headless",
                        "--no-sandbox",
                        "--disable-gpu",
                        "--disable-background-networking",
                        "--disable-component-update",
                        "--disable-sync",
                        "--hide-scrollbars",
                        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
                        f"--user-data-dir={work / 'profile'}",
                        f"--window-size=390,{height}",
                        f"--screenshot={ROOT / 'docs' / name}",
                        url + path.format(token=token),
                    ],
                    check=True,
                    capture_output=True,
                    timeout=120,
                )
                print(f"wrote docs/{name}")
        finally:
            server.should_exit = True
            thread.join(10)
            engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
