"""The first commands on a new machine: `syndicate new` writes a site, `send-test` proves the relay."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from email import message_from_bytes, policy
from email.utils import parseaddr
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from syndicate import config, store
from syndicate.store.tables import outbox, subscribers
from tests.cli import syndicate
from tests.conftest import ROOT, write_config
from tests.feed_fetch import get_feed
from tests.run_process import RunningService
from tests.smtp_server import SmtpServer

ARTICLES = str(ROOT / "examples" / "articles")
ENV = {
    "SYNDICATE_SECRET": "test-secret-of-at-least-32-characters",
    "SYNDICATE_API_TOKEN": "test-token",
}


def run_new(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "syndicate", "new", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=60,
    )


def exported(stdout: str) -> dict[str, str]:
    return dict(re.findall(r"^  export (\w+)=(\S+)$", stdout, re.MULTILINE))


# -- syndicate new -------------------------------------------------------------------


def test_new_site_then_the_three_printed_commands(tmp_path: Path) -> None:
    result = run_new(
        tmp_path,
        "site",
        "--title",
        "Diario Ñandú",
        "--url",
        "https://www.diario.example.pe",
        "--timezone",
        "America/Lima",
        "--language",
        "es",
        "--section",
        "world=Mundo",
        "--section",
        "politics",
        "--section",
        "mundo",
    )
    assert result.returncode == 0, result.stderr
    secrets = exported(result.stdout)
    assert set(secrets) == {"SYNDICATE_SECRET", "SYNDICATE_API_TOKEN"}
    assert re.fullmatch(r"[0-9a-f]{64}", secrets["SYNDICATE_SECRET"])
    assert len(secrets["SYNDICATE_API_TOKEN"]) >= 40
    commands = re.findall(r"^  (syndicate --config .*)$", result.stdout, re.MULTILINE)
    assert commands == [
        "syndicate --config site/config.toml init",
        "syndicate --config site/config.toml import ARTICLES...",
        "syndicate --config site/config.toml run",
    ]

    path = tmp_path / "site" / "config.toml"
    text = path.read_text(encoding="utf-8")
    assert text.count("\n# ") > 10, "the file explains its keys"
    settings = config.load(path, env=secrets)
    site = tmp_path / "site"
    assert settings.site.title == "Diario Ñandú" and settings.site.language == "es"
    assert settings.site.timezone == "America/Lima"
    assert [(s.slug, s.title) for s in settings.sections] == [
        ("world", "Mundo"),
        ("politics", "Politics"),
        ("mundo", "Mundo"),
    ]
    assert parseaddr(settings.digest.from_) == ("Diario Ñandú", "digest@diario.example.pe")
    assert settings.database.url == f"sqlite:///{site / 'var' / 'syndicate.db'}"
    assert settings.delivery.transport == "maildir"
    assert settings.delivery.maildir == str(site / "var" / "outbox")
    assert settings.feeds.output_dir == str(site / "var" / "public" / "feeds")

    # The printed commands (run from the checkout, another folder) with the printed secrets.
    assert syndicate(path, "init", env=secrets).returncode == 0
    imported = syndicate(path, "import", ARTICLES, env=secrets)
    assert imported.returncode == 0, imported.stdout + imported.stderr
    service = RunningService(path, env=secrets)
    try:
        service.wait_for("feeds: world: written")
        feed = get_feed(f"{service.url}/feeds/world/rss.xml")
        page = httpx.get(f"{service.url}/subscribe", timeout=10)
    finally:
        assert service.stop() == 0, service.log
        service.close()
    assert feed.status_code == 200 and "Dockworkers halt three Pacific ports" in feed.text
    assert page.status_code == 200 and "Diario Ñandú" in page.text


def test_new_defaults_and_fresh_secrets_each_time(tmp_path: Path) -> None:
    first, second = run_new(tmp_path, "one"), run_new(tmp_path, "two")
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    assert exported(first.stdout)["SYNDICATE_SECRET"] != exported(second.stdout)["SYNDICATE_SECRET"]
    settings = config.load(tmp_path / "one" / "config.toml", env={})
    assert [(s.slug, s.title) for s in settings.sections] == [("news", "News")]
    assert (settings.site.language, settings.site.timezone) == ("en", "UTC")
    spanish = run_new(tmp_path, "tres", "--language", "es")
    assert spanish.returncode == 0
    assert config.load(tmp_path / "tres" / "config.toml", env={}).section_slugs == ["noticias"]
    checked = syndicate(tmp_path / "one" / "config.toml", "config", "check")
    assert checked.returncode == 0, checked.stderr


def test_new_never_overwrites(tmp_path: Path) -> None:
    (tmp_path / "site").mkdir()
    existing = tmp_path / "site" / "config.toml"
    existing.write_text("# mine\n", encoding="utf-8")
    result = run_new(tmp_path, "site", "--title", "Other")
    assert result.returncode == 2
    assert (
        result.stderr.splitlines()[0]
        == "error: site/config.toml already exists; nothing was written"
    )
    assert existing.read_text(encoding="utf-8") == "# mine\n"
    assert "export" not in result.stdout


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (["--timezone", "Mars/Base"], "error: --timezone: unknown timezone 'Mars/Base'"),
        (["--url", "ftp://news"], "error: --url: 'ftp://news' is not an absolute http(s) URL"),
        (["--language", "English"], "error: --language: 'English' is not a language code"),
        (["--section", "World News"], "error: --section: 'World News' is not a slug"),
        (["--section", "all"], "error: --section: 'all' is reserved"),
        (["--section", "a", "--section", "a=A"], "error: --section: 'a' is given twice"),
        (["--title", " "], "error: --title: empty"),
    ],
)
def test_new_bad_answers_name_the_option(tmp_path: Path, args: list[str], line: str) -> None:
    result = run_new(tmp_path, "site", *args)
    assert result.returncode == 2
    assert result.stderr.startswith(line), result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "site").exists()


def test_new_quotes_a_site_name_mail_would_misread(tmp_path: Path) -> None:
    title = 'Noticias "Al Día", Lima'
    assert run_new(tmp_path, "site", "--title", title).returncode == 0
    settings = config.load(tmp_path / "site" / "config.toml", env={})
    assert parseaddr(settings.digest.from_) == (title, "digest@example.com")


# -- syndicate send-test ---------------------------------------------------------------


def smtp_site(tmp_path: Path, port: int) -> Path:
    path = write_config(
        tmp_path,
        f"""
        [delivery]
        transport = "smtp"
        max_attempts = 1

        [smtp]
        host = "127.0.0.1"
        port = {port}
        """,
    )
    assert syndicate(path, "init").returncode == 0
    return path


def recorded(path: Path) -> tuple[int, int]:
    settings = config.load(path, env=ENV)
    engine = store.open_engine(settings.database.url)
    with engine.connect() as conn:
        counts = (
            conn.execute(select(func.count()).select_from(subscribers)).scalar_one(),
            conn.execute(select(func.count()).select_from(outbox)).scalar_one(),
        )
    engine.dispose()
    return counts


def test_send_test_through_the_relay_records_nothing(tmp_path: Path) -> None:
    with SmtpServer() as relay:
        path = smtp_site(tmp_path, relay.port)
        assert syndicate(path, "import", ARTICLES).returncode == 0
        first = syndicate(path, "send-test", "--to", "Lectora@Ejemplo.ORG")
        second = syndicate(path, "send-test", "--to", "lectora@ejemplo.org")
    assert first.returncode == 0, first.stderr
    assert "to Lectora@ejemplo.org through smtp 127.0.0.1" in first.stdout
    assert "reply: 250 2.0.0 OK queued" in first.stdout
    assert second.returncode == 0, second.stderr
    assert [r.recipient for r in relay.received] == ["Lectora@ejemplo.org", "lectora@ejemplo.org"]
    assert relay.received[0].sender == "news@example.com"
    message = message_from_bytes(relay.received[0].data, policy=policy.default)
    assert message["To"] == "Lectora@ejemplo.org"
    assert "Dockworkers halt three Pacific ports" in message["Subject"]
    # Every section, in the site's language: each section's articles are there.
    body = message.get_body(("plain",))
    assert body is not None
    plain = body.get_content()
    assert "Read more:" in plain and "Leer más" not in plain
    for headline in ("Dockworkers halt", "Congress approves the 2027", "La cumbre del clima"):
        assert headline in plain
    ids = [r.message_id for r in relay.received]
    assert ids[0] != ids[1] and all(".test-" in i for i in ids)
    assert recorded(path) == (0, 0)


def test_send_test_refused_by_the_relay_exits_1(tmp_path: Path) -> None:
    with SmtpServer() as relay:
        relay.on_rcpt = lambda rcpt, seen: "550 5.1.1 no such user here"
        path = smtp_site(tmp_path, relay.port)
        assert syndicate(path, "import", ARTICLES).returncode == 0
        result = syndicate(path, "send-test", "--to", "nobody@example.org")
    assert result.returncode == 1
    line = result.stderr.splitlines()[0]
    assert line.startswith(
        f"error: send-test to nobody@example.org failed through smtp 127.0.0.1:{relay.port}: "
    )
    assert line.endswith("550 5.1.1 no such user here")
    assert relay.received == []
    assert recorded(path) == (0, 0)


def test_send_test_relay_down_exits_1(tmp_path: Path) -> None:
    with SmtpServer(listen=False) as relay:  # bound, refusing connections
        path = smtp_site(tmp_path, relay.port)
        assert syndicate(path, "import", ARTICLES).returncode == 0
        result = syndicate(path, "send-test", "--to", "me@example.org")
    assert result.returncode == 1
    assert result.stderr.startswith("error: send-test to me@example.org failed through smtp")
    assert "Traceback" not in result.stderr


def test_send_test_with_nothing_published_says_so(tmp_path: Path) -> None:
    with SmtpServer() as relay:
        path = smtp_site(tmp_path, relay.port)
        result = syndicate(path, "send-test", "--to", "me@example.org")
    assert result.returncode == 1
    assert "today's digest would be empty" in result.stderr.splitlines()[0]
    assert relay.received == []


def test_send_test_bad_address_names_the_option(tmp_path: Path) -> None:
    path = write_config(tmp_path)
    result = syndicate(path, "send-test", "--to", "not-an-address")
    assert result.returncode == 2
    assert result.stderr.startswith(
        "error: --to: email 'not-an-address': an email address must have an @-sign"
    )
