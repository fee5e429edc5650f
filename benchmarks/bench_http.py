"""Feed requests per second: `syndicate serve` next to nginx serving the same file, same load.

A real 50-item World feed (full text) is built and published, then wrk (Debian
package `wrk`) loads `GET /feeds/world/rss.xml` with gzip (answer 200) and with
a matching If-None-Match (answer 304), first against `syndicate serve`, then
against nginx (Debian package `nginx`, one worker, run here as our own process
on a free 127.0.0.1 port, serving the same file with a precompressed .gz as
`gzip_static` allows). Both run one process, so the ratio compares like with like.
Targets: 304s at >= 50 % of nginx's rate, gzip 200s at >= 25 %.
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

from syndicate import config, ingest, store
from syndicate.articles import parse_json
from syndicate.clock import FixedClock
from syndicate.feeds import publish

SECONDS = 8
CONNECTIONS = 32
ENV = {"SYNDICATE_SECRET": "bench-secret", "SYNDICATE_API_TOKEN": "bench-token"}
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


def _wrk(url: str, headers: dict[str, str]) -> float:
    args = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{SECONDS}s", "--latency"]
    for name, value in headers.items():
        args += ["-H", f"{name}: {value}"]
    output = subprocess.run(
        [*args, url], capture_output=True, text=True, check=True, timeout=SECONDS + 30
    ).stdout
    found = re.search(r"Requests/sec:\s+([\d.]+)", output)
    if not found or "Non-2xx or 3xx responses" in output:
        raise RuntimeError(f"wrk output not understood or errors seen:\n{output}")
    return float(found[1])


def _measure(url: str) -> tuple[float, float, int]:
    """(gzip 200 rate, 304 rate, gzip body size) for one server."""
    gzip_headers = {"Accept-Encoding": "gzip"}
    first = httpx.get(url, headers=gzip_headers, timeout=5)
    if first.status_code != 200 or first.headers.get("content-encoding") != "gzip":
        raise RuntimeError(f"{url}: expected a gzip 200, got {first.status_code} {first.headers}")
    etag = first.headers["etag"]
    check = httpx.get(url, headers={**gzip_headers, "If-None-Match": etag}, timeout=5)
    if check.status_code != 304:
        raise RuntimeError(f"{url}: expected 304 for a matching ETag, got {check.status_code}")
    size = int(first.headers["content-length"])
    _wrk(url, gzip_headers)  # warm up
    return (
        _wrk(url, gzip_headers),
        _wrk(url, {**gzip_headers, "If-None-Match": etag}),
        size,
    )


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
        ingest.upsert(conn, records, clock.now())
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
        settings = _publish_feed(root)
        feeds = Path(settings.feeds.output_dir)
        feed = feeds / "world" / "rss.xml"
        # nginx's gzip_static serves this file as is; same compression level as ours.
        subprocess.run(["gzip", "-9", "-k", "-n", str(feed)], check=True)
        ours_port, nginx_port = _free_port(), _free_port()
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "syndicate",
                "--config",
                str(root / "config.toml"),
                "serve",
                "--port",
                str(ours_port),
            ],
            env={**os.environ, **ENV},
            stdout=subprocess.DEVNULL,
        )
        nginx = subprocess.Popen(
            ["nginx", "-c", str(_nginx_config(root, feeds, nginx_port)), "-p", str(root)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            ours_url = f"http://127.0.0.1:{ours_port}/feeds/world/rss.xml"
            nginx_url = f"http://127.0.0.1:{nginx_port}/feeds/world/rss.xml"
            _wait(ours_url, server, "syndicate serve")
            _wait(nginx_url, nginx, "nginx")
            ours = _measure(ours_url)
            theirs = _measure(nginx_url)
        finally:
            for process in (server, nginx):
                process.send_signal(signal.SIGTERM if process is server else signal.SIGQUIT)
            for process in (server, nginx):
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
    feed_size_kb = ours[2] / 1024
    print(
        f"   GET /feeds/world/rss.xml, 50 full-text items ({feed_size_kb:.0f} KB gzipped), "
        f"wrk {CONNECTIONS} connections, {SECONDS} s each, one process each:"
    )
    for label, index, target in (("200 gzip", 0, 25), ("304     ", 1, 50)):
        ratio = 100 * ours[index] / theirs[index]
        verdict = "ok" if ratio >= target else "BELOW TARGET"
        print(
            f"   {label}: syndicate {ours[index]:>9,.0f} req/s   nginx {theirs[index]:>9,.0f} req/s"
            f"   = {ratio:4.0f} % of nginx (target >= {target} %: {verdict})"
        )
