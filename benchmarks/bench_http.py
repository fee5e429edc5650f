"""Feed requests per second: `syndicate serve` next to nginx serving the same file, same load.

A real 50-item World feed (full text) is built and published, then wrk (Debian
package `wrk`) loads `GET /feeds/world/rss.xml` with gzip (answer 200) and with
a matching If-None-Match (answer 304) against three servers, one process each,
in the same run: `syndicate serve`; nginx (Debian package `nginx`, run here as
our own process from a temporary config on a free 127.0.0.1 port, serving the
same file and its precompressed .gz through `gzip_static`); and, for scale, an
empty ASGI app under the same uvicorn that answers 304 without looking at the
request (the most any ASGI app can do there; feed hits are answered before ASGI). Runs are interleaved
and the best of each is kept, since the machine is shared.
Targets: 304s at >= 50 % of nginx's rate, gzip 200s at >= 25 %.
The same URL opened by a browser (Accept: text/html) gets the section's HTML page,
cached like the feed: its 200s and 304s are measured on syndicate beside the feed's.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from syndicate import config, store
from syndicate.articles import parse_json
from syndicate.clock import FixedClock
from syndicate.feeds import publish
from syndicate.store import articles as article_store

SECONDS = 4
ROUNDS = 3
CONNECTIONS = 32
ENV = {
    "SYNDICATE_SECRET": "bench-secret-of-at-least-32-characters",
    "SYNDICATE_API_TOKEN": "bench-token",
}
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
BODY = "<p>" + ("Lorem ipsum dolor sit amet, consectetur adipiscing elit. " * 70) + "</p>"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait(url: str, process: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"{what} did not answer within 30 s")


def _wrk(url: str, headers: dict[str, str], seconds: int) -> float:
    args = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{seconds}s"]
    for name, value in headers.items():
        args += ["-H", f"{name}: {value}"]
    output = subprocess.run(
        [*args, url], capture_output=True, text=True, check=True, timeout=seconds + 30
    ).stdout
    found = re.search(r"Requests/sec:\s+([\d.]+)", output)
    if not found or "Non-2xx or 3xx responses" in output:
        raise RuntimeError(f"wrk output not understood or errors seen:\n{output}")
    return float(found[1])


def _probe(url: str) -> tuple[str, int]:
    """Check the server answers a gzip 200 and a 304; return its gzip ETag and body size."""
    gzip_headers = {"Accept-Encoding": "gzip"}
    first = httpx.get(url, headers=gzip_headers, timeout=5)
    if first.status_code != 200 or first.headers.get("content-encoding") != "gzip":
        raise RuntimeError(f"{url}: expected a gzip 200, got {first.status_code} {first.headers}")
    etag = first.headers["etag"]
    check = httpx.get(url, headers={**gzip_headers, "If-None-Match": etag}, timeout=5)
    if check.status_code != 304:
        raise RuntimeError(f"{url}: expected 304 for a matching ETag, got {check.status_code}")
    return etag, int(first.headers["content-length"])


def _probe_page(url: str) -> str:
    """Check a browser gets the HTML page, gzipped, and a 304 for it; return its ETag."""
    headers = {"Accept": BROWSER, "Accept-Encoding": "gzip"}
    first = httpx.get(url, headers=headers, timeout=5)
    if first.status_code != 200 or not first.headers["content-type"].startswith("text/html"):
        raise RuntimeError(
            f"{url}: expected the HTML page, got {first.status_code} {first.headers}"
        )
    etag = first.headers["etag"]
    check = httpx.get(url, headers={**headers, "If-None-Match": etag}, timeout=5)
    if check.status_code != 304:
        raise RuntimeError(f"{url}: expected 304 for the page's ETag, got {check.status_code}")
    return etag


def _publish_feed(root: Path) -> config.Settings:
    (root / "config.toml").write_text(
        textwrap.dedent(
            """
            [site]
            title = "Bench News"
            [[sections]]
            slug = "world"
            title = "World"
            [schedule]
            poll_seconds = 60
            """
        )
    )
    settings = config.load(root / "config.toml", env=ENV)
    engine = store.open_engine(settings.database.url)
    store.migrate(engine)
    start = datetime(2026, 11, 28, 6, 0, tzinfo=UTC)
    records = [
        parse_json(
            {
                "url": f"https://news.example.org/world/story-{n}",
                "section": "world",
                "headline": f"Headline {n} about the world",
                "lede": f"Lede {n} that stops mid",
                "body": BODY,
                "image": {"url": f"https://img.example.org/{n}.jpg", "alt": "An image"},
                "published_at": (start - timedelta(minutes=n)).isoformat(),
            },
            settings,
        )
        for n in range(50)
    ]
    clock = FixedClock(start)
    with engine.begin() as conn:
        article_store.upsert(conn, records, clock.now())
    publish(engine, settings, clock, None)
    engine.dispose()
    return settings


def _nginx_config(root: Path, feeds: Path, port: int) -> Path:
    conf = root / "nginx.conf"
    user = "user root;" if os.geteuid() == 0 else ""
    conf.write_text(
        textwrap.dedent(
            f"""
            {user}
            worker_processes 1;
            daemon off;
            pid {root}/nginx.pid;
            error_log {root}/nginx-error.log warn;
            events {{ worker_connections 1024; }}
            http {{
                access_log off;
                client_body_temp_path {root}/nginx-body;
                proxy_temp_path {root}/nginx-proxy;
                fastcgi_temp_path {root}/nginx-fastcgi;
                uwsgi_temp_path {root}/nginx-uwsgi;
                scgi_temp_path {root}/nginx-scgi;
                types {{ application/rss+xml xml; }}
                charset utf-8;
                charset_types application/rss+xml;
                sendfile on;
                tcp_nopush on;
                keepalive_requests 1000000;
                gzip_static on;
                gzip_vary on;
                server {{
                    listen 127.0.0.1:{port};
                    location /feeds/ {{
                        alias {feeds}/;
                        add_header Cache-Control "public, max-age=60";
                    }}
                }}
            }}
            """
        )
    )
    return conf


EMPTY_APP = """
async def app(scope, receive, send):
    await send({"type": "http.response.start", "status": 304, "headers": [(b"etag", b'"x"')]})
    await send({"type": "http.response.body", "body": b""})
"""


def _start(root: Path, feeds: Path) -> dict[str, tuple[str, subprocess.Popen[bytes]]]:
    ports = {name: _free_port() for name in ("syndicate", "nginx", "empty")}
    (root / "empty_asgi.py").write_text(EMPTY_APP)
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    commands = {
        "syndicate": [
            sys.executable,
            "-m",
            "syndicate",
            "--config",
            str(root / "config.toml"),
            "serve",
            "--port",
            str(ports["syndicate"]),
        ],
        "nginx": ["nginx", "-c", str(_nginx_config(root, feeds, ports["nginx"])), "-p", str(root)],
        "empty": [
            sys.executable,
            "-m",
            "uvicorn",
            "empty_asgi:app",
            "--port",
            str(ports["empty"]),
            "--no-access-log",
            "--log-level",
            "warning",
            "--no-server-header",
        ],
    }
    started: dict[str, tuple[str, subprocess.Popen[bytes]]] = {}
    for name, command in commands.items():
        process = subprocess.Popen(command, cwd=root, env={**os.environ, **ENV}, **quiet)  # type: ignore[call-overload]
        started[name] = (f"http://127.0.0.1:{ports[name]}/feeds/world/rss.xml", process)
    for name, (url, process) in started.items():
        _wait(url, process, name)
    return started


def _stop(started: dict[str, tuple[str, subprocess.Popen[bytes]]]) -> None:
    for name, (_, process) in started.items():
        process.send_signal(signal.SIGQUIT if name == "nginx" else signal.SIGTERM)
    for _, process in started.values():
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def run() -> None:
    missing = [tool for tool in ("wrk", "nginx") if shutil.which(tool) is None]
    if missing:
        print(
            f"   http: skipped, {' and '.join(missing)} not installed "
            f"(Debian: apt-get install -y {' '.join(missing)})"
        )
        return
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        os.chmod(root, 0o755)
        feeds = Path(_publish_feed(root).feeds.output_dir)
        # nginx's gzip_static serves this file as is; same compression level as ours.
        subprocess.run(["gzip", "-9", "-k", "-n", str(feeds / "world" / "rss.xml")], check=True)
        started = _start(root, feeds)
        try:
            loads: dict[str, dict[str, dict[str, str]]] = {}
            size = 0
            for name in ("syndicate", "nginx"):
                etag, size = _probe(started[name][0])
                loads[name] = {
                    "200 gzip": {"Accept-Encoding": "gzip"},
                    "304": {"Accept-Encoding": "gzip", "If-None-Match": etag},
                }
            page_etag = _probe_page(started["syndicate"][0])
            page = {"Accept": BROWSER, "Accept-Encoding": "gzip"}
            loads["syndicate"]["page 200 gzip"] = page
            loads["syndicate"]["page 304"] = {**page, "If-None-Match": page_etag}
            loads["empty"] = {"304": {}}
            best: dict[tuple[str, str], float] = {}
            for url, _ in started.values():
                _wrk(url, {}, 1)  # warm up
            for _ in range(ROUNDS):
                for load in ("200 gzip", "304", "page 200 gzip", "page 304"):
                    for name, (url, _) in started.items():
                        if load in loads[name]:
                            rate = _wrk(url, loads[name][load], SECONDS)
                            best[name, load] = max(best.get((name, load), 0.0), rate)
        finally:
            _stop(started)
    print(
        f"   GET /feeds/world/rss.xml, 50 full-text items ({size / 1024:.0f} KB gzipped), "
        f"wrk {CONNECTIONS} connections, one server process each, "
        f"best of {ROUNDS} interleaved {SECONDS} s runs:"
    )
    for load, target in (("200 gzip", 25), ("304", 50)):
        ours, nginx = best["syndicate", load], best["nginx", load]
        ratio = 100 * ours / nginx
        verdict = "ok" if ratio >= target else "BELOW TARGET"
        print(
            f"   {load:>8}: syndicate {ours:>8,.0f} req/s   nginx {nginx:>8,.0f} req/s"
            f"   = {ratio:4.0f} % of nginx (target >= {target} %: {verdict})"
        )
    for kind in ("200 gzip", "304"):
        feed, page = best["syndicate", kind], best["syndicate", f"page {kind}"]
        print(
            f"   browser page {kind:>8}: syndicate {page:>8,.0f} req/s   "
            f"(the feed's {feed:,.0f} req/s: {100 * page / feed:.0f} %)"
        )
    empty = best["empty", "304"]
    print(
        f"   for scale, an empty ASGI app under the same uvicorn answering 304: {empty:,.0f} req/s "
        f"(syndicate's 304 path runs at {100 * best['syndicate', '304'] / empty:.0f} % of it)"
    )
