"""deploy/ checked with the real tools: nginx in front of `syndicate serve`, systemd-analyze, promtool.

Each test is skipped, saying which Debian package brings the tool, when it is
missing; `.ci/run` installs nginx and prometheus (for promtool).
"""

from __future__ import annotations

import gzip
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from syndicate import config, store
from syndicate.clock import FixedClock
from syndicate.senders import make_sender
from syndicate.web import create_app
from tests.conftest import ROOT, write_config
from tests.web.server import bound_socket, running

DEPLOY = ROOT / "deploy"
SITE = DEPLOY / "nginx" / "syndicate.conf"
UNIT = DEPLOY / "systemd" / "syndicate.service"
RULES = DEPLOY / "prometheus" / "syndicate-alerts.yml"
RULE_TESTS = DEPLOY / "prometheus" / "syndicate-alerts.test.yml"
ENV = {
    "SYNDICATE_SECRET": "test-secret-of-at-least-32-characters",
    "SYNDICATE_API_TOKEN": "test-token",
}
# Not local to the site's `allow 127.0.0.1`: a second loopback address stands for the world.
OUTSIDE = "127.0.0.2"


def tool(name: str, package: str) -> str:
    found = shutil.which(name, path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin")
    if found is None:
        pytest.skip(f"{name} not installed: apt-get install {package} (.ci/run does)")
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_answering(url: str, process: subprocess.Popen[str], what: str) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.get(url, timeout=2)
            return
        except httpx.TransportError:
            if process.poll() is not None:
                raise AssertionError(f"{what} exited: {process.communicate()}") from None
            assert time.monotonic() < deadline, f"{what} did not answer within 30 s"
            time.sleep(0.1)


# -- nginx ---------------------------------------------------------------------------


def replaced(text: str, old: str, new: str) -> str:
    assert old in text, f"deploy/nginx/syndicate.conf no longer has {old!r}"
    return text.replace(old, new)


def nginx_config(folder: Path, port: int, app_port: int, public: Path) -> Path:
    """The shipped site with only its addresses and root changed, in a minimal nginx.conf."""
    site = SITE.read_text(encoding="utf-8")
    site = replaced(
        site, "    listen 80;\n", f"    listen 127.0.0.1:{port};\n    listen {OUTSIDE}:{port};\n"
    )
    site = replaced(site, "    listen [::]:80;\n", "")
    site = replaced(site, "server 127.0.0.1:8080;", f"server 127.0.0.1:{app_port};")
    site = replaced(site, "root /srv/syndicate/var/public;", f"root {public};")
    (folder / "site.conf").write_text(site, encoding="utf-8")
    mime = Path("/etc/nginx/mime.types")
    temp = "\n".join(
        f"    {kind}_temp_path {folder / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    conf = folder / "nginx.conf"
    conf.write_text(
        f"""daemon off;
master_process off;
pid {folder / "nginx.pid"};
error_log {folder / "error.log"} warn;
events {{ worker_connections 64; }}
http {{
    access_log off;
{temp}
    {f"include {mime};" if mime.is_file() else ""}
    default_type application/octet-stream;
    include {folder / "site.conf"};
}}
""",
        encoding="utf-8",
    )
    return conf


def test_nginx_site_passes_nginx_t(tmp_path: Path) -> None:
    nginx = tool("nginx", "nginx")
    conf = nginx_config(tmp_path, free_port(), free_port(), tmp_path)
    result = subprocess.run(
        [nginx, "-t", "-p", str(tmp_path), "-c", str(conf), "-e", str(tmp_path / "error.log")],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    assert "syntax is ok" in result.stderr and "test is successful" in result.stderr


@dataclass
class Proxied:
    url: str  # nginx, from this machine
    outside_url: str  # nginx, on the address that stands for the rest of the world
    feeds: Path


@pytest.fixture(scope="module")
def proxied(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proxied]:
    nginx = tool("nginx", "nginx")
    folder = tmp_path_factory.mktemp("nginx")
    path = write_config(folder)
    settings = config.load(path, env=ENV)

    def syndicate(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "syndicate", "--config", str(path), *args]
        env = {**os.environ, **ENV}
        return subprocess.run(command, capture_output=True, text=True, env=env, timeout=60)

    for step in (["init"], ["import", str(ROOT / "examples" / "articles")], ["feeds", "build"]):
        done = syndicate(*step)
        assert done.returncode == 0, done.stderr
    app_port, port = free_port(), free_port()
    serve = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "syndicate",
            "--config",
            str(path),
            "serve",
            "--port",
            str(app_port),
        ],
        env={**os.environ, **ENV},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    feeds = Path(settings.feeds.output_dir)
    conf = nginx_config(folder, port, app_port, feeds.parent)
    front = subprocess.Popen(
        [nginx, "-p", str(folder), "-c", str(conf), "-e", str(folder / "error.log")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_until_answering(f"http://127.0.0.1:{app_port}/healthz", serve, "syndicate serve")
        wait_until_answering(f"http://127.0.0.1:{port}/healthz", front, "nginx")
        yield Proxied(f"http://127.0.0.1:{port}", f"http://{OUTSIDE}:{port}", feeds)
    finally:
        for process in (front, serve):
            process.terminate()
            process.communicate(timeout=15)


def test_feed_from_disk_with_gzip_and_304(proxied: Proxied) -> None:
    url = f"{proxied.url}/feeds/world/rss.xml"
    on_disk = (proxied.feeds / "world" / "rss.xml").read_bytes()
    with httpx.Client(timeout=10) as http:
        zipped = http.get(url, headers={"Accept-Encoding": "gzip"})
        assert zipped.status_code == 200
        assert zipped.headers["server"].startswith("nginx")  # the service sends no Server header
        assert zipped.headers["content-type"] == "application/rss+xml; charset=utf-8"
        assert zipped.headers["content-encoding"] == "gzip"
        assert "Accept-Encoding" in zipped.headers["vary"]
        assert zipped.headers["cache-control"] == "public, max-age=60"
        assert zipped.content == on_disk  # httpx undid the gzip
        etag = zipped.headers["etag"]
        again = http.get(url, headers={"Accept-Encoding": "gzip", "If-None-Match": etag})
        assert again.status_code == 304 and again.content == b""
        plain = http.get(url, headers={"Accept-Encoding": "identity"})
        assert plain.status_code == 200 and "content-encoding" not in plain.headers
        assert plain.content == on_disk
        assert http.get(url, headers={"If-None-Match": plain.headers["etag"]}).status_code == 304
        since = http.get(url, headers={"If-Modified-Since": plain.headers["last-modified"]})
        assert since.status_code == 304
        for name, kind in [
            ("world/atom.xml", "application/atom+xml; charset=utf-8"),
            ("world/feed.json", "application/feed+json; charset=utf-8"),
            ("all/rss.xml", "application/rss+xml; charset=utf-8"),
            ("feed.xsl", "text/xsl; charset=utf-8"),
        ]:
            answer = http.get(f"{proxied.url}/feeds/{name}", headers={"Accept-Encoding": "gzip"})
            assert answer.status_code == 200, name
            assert answer.headers["content-type"] == kind
            assert answer.headers["content-encoding"] == "gzip"
            assert answer.content == (proxied.feeds / name).read_bytes()


def test_precompressed_feed_is_sent_as_it_is(proxied: Proxied) -> None:
    folder = proxied.feeds / "politics"
    body = (folder / "rss.xml").read_bytes()
    packed = gzip.compress(body, compresslevel=9, mtime=0)
    (folder / "rss.xml.gz").write_bytes(packed)
    try:
        with httpx.Client(timeout=10) as http:
            with http.stream(
                "GET", f"{proxied.url}/feeds/politics/rss.xml", headers={"Accept-Encoding": "gzip"}
            ) as answer:
                raw = b"".join(answer.iter_raw())
            assert answer.status_code == 200 and answer.headers["content-encoding"] == "gzip"
            assert raw == packed
            assert not answer.headers["etag"].startswith("W/")  # the .gz file's own tag
    finally:
        (folder / "rss.xml.gz").unlink()


def test_everything_else_goes_to_the_service(proxied: Proxied) -> None:
    (proxied.feeds / "world" / ".rss.xml.x1y2.tmp").write_bytes(b"half")
    with httpx.Client(timeout=10) as http:
        section = http.get(f"{proxied.url}/feeds/world/")
        assert section.status_code == 200
        assert 'rel="alternate" type="application/rss+xml"' in section.text
        subscribe = http.get(f"{proxied.url}/subscribe")
        assert subscribe.status_code == 200 and 'name="email"' in subscribe.text
        assert http.get(f"{proxied.url}/healthz").text == "ok\n"
        assert http.get(f"{proxied.url}/feeds/world/.rss.xml.x1y2.tmp").status_code == 404
        missing = http.get(f"{proxied.url}/feeds/nowhere/rss.xml")
        assert missing.status_code == 404


def test_metrics_only_from_this_machine(proxied: Proxied) -> None:
    with httpx.Client(timeout=10) as http:
        local = http.get(f"{proxied.url}/metrics")
    assert local.status_code == 200 and "syndicate_store_up 1.0" in local.text
    transport = httpx.HTTPTransport(local_address=OUTSIDE)
    with httpx.Client(transport=transport, timeout=10) as http:
        outside = http.get(f"{proxied.outside_url}/metrics")
        page = http.get(f"{proxied.outside_url}/subscribe")
    assert outside.status_code == 403
    assert "syndicate_" not in outside.text
    assert page.status_code == 200  # the same client reaches everything else


# -- systemd -----------------------------------------------------------------------------


def test_systemd_unit_verifies(tmp_path: Path) -> None:
    analyze = tool("systemd-analyze", "systemd")
    command = Path(sys.executable).with_name("syndicate")
    assert command.is_file(), f"no {command}: install the package (make setup)"
    text = UNIT.read_text(encoding="utf-8")
    assert "ExecStart=/opt/syndicate/bin/syndicate run\n" in text
    # verify insists that the commands exist: point them at this install's.
    (tmp_path / "syndicate.service").write_text(
        text.replace("/opt/syndicate/bin/syndicate", str(command)), encoding="utf-8"
    )
    result = subprocess.run(
        [analyze, "verify", str(tmp_path / "syndicate.service")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    # verify exits 0 on directives it ignores, so any word from it is a failure too.
    assert result.returncode == 0 and result.stdout + result.stderr == "", result.stderr


# -- Prometheus ---------------------------------------------------------------------------


def test_alert_rules_pass_promtool() -> None:
    promtool = tool("promtool", "prometheus")
    checked = subprocess.run(
        [promtool, "check", "rules", str(RULES)], capture_output=True, text=True, timeout=60
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "SUCCESS: 13 rules found" in checked.stdout
    tested = subprocess.run(
        [promtool, "test", "rules", RULE_TESTS.name],
        capture_output=True,
        text=True,
        cwd=RULE_TESTS.parent,
        timeout=60,
    )
    assert tested.returncode == 0, tested.stdout + tested.stderr


def test_alert_rules_name_metrics_the_service_exports(tmp_path: Path, clock: FixedClock) -> None:
    rules = RULES.read_text(encoding="utf-8").splitlines()
    exprs = "\n".join(line for line in rules if not line.lstrip().startswith("#"))
    used = set(re.findall(r"\b(syndicate_[a-z_]+)", exprs))
    assert len(used) >= 5
    settings = config.load(write_config(tmp_path), env=ENV)
    engine = store.open_engine(settings.database.url)
    store.migrate(engine)
    try:
        with running(
            create_app(settings, engine, clock, publish=None, sender=lambda: make_sender(settings)),
            bound_socket(),
        ) as url:
            scrape = httpx.get(f"{url}/metrics", timeout=10).text
    finally:
        engine.dispose()
    exported = set(re.findall(r"^# TYPE (\S+) ", scrape, re.MULTILINE))
    exported |= {f"{name}_total" for name in exported}
    assert used <= exported, f"not exported: {sorted(used - exported)}"
