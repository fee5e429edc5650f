"""Every operator mistake is one line naming the key and the fix, with exit code 1 or 2."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli import syndicate
from tests.conftest import POSTGRES_ENV, write_config

LONG_SECRET = "a-development-secret-of-32-chars!"
OPENSSL = "(e.g. `export SYNDICATE_SECRET=$(openssl rand -hex 32)`)"


def lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def error_line(result) -> str:  # type: ignore[no-untyped-def]
    """The one error line; anything else on stderr than it and its hint fails the test."""
    found = lines(result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    assert len(found) <= 2 and found[0].startswith("error: "), result.stderr
    assert len(found) == 1 or found[1].startswith("hint: "), result.stderr
    return found[0]


@pytest.fixture
def ready(tmp_path: Path) -> Path:
    path = write_config(tmp_path)
    done = syndicate(path, "init")
    assert done.returncode == 0, done.stderr
    return path


@pytest.fixture
def busy_port() -> Iterator[int]:
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    try:
        yield holder.getsockname()[1]
    finally:
        holder.close()


def test_subscribers_add_without_secret(ready: Path) -> None:
    result = syndicate(
        ready, "subscribers", "add", "reader@example.org", env={"SYNDICATE_SECRET": ""}
    )
    assert result.returncode == 2
    assert error_line(result) == (
        "error: SYNDICATE_SECRET is not set; `syndicate subscribers add` needs it to sign "
        f"subscriber links {OPENSSL}"
    )
    assert result.stdout == ""


def test_a_short_secret_is_refused_where_links_are_signed(ready: Path) -> None:
    result = syndicate(ready, "digest", "send", env={"SYNDICATE_SECRET": "short"})
    assert result.returncode == 2
    assert error_line(result) == (
        f"error: SYNDICATE_SECRET has 5 characters; `syndicate digest send` needs at least 32 "
        f"{OPENSSL}"
    )


def test_config_check_says_which_commands_need_the_secret(ready: Path) -> None:
    result = syndicate(ready, "config", "check", env={"SYNDICATE_SECRET": "x"})
    assert result.returncode == 2
    assert error_line(result) == (
        "error: SYNDICATE_SECRET has 1 character; run, serve, digest send, digest tick, "
        "subscribers import and subscribers add (without --confirmed) need at least 32 "
        f"{OPENSSL}"
    )


@pytest.mark.parametrize("command", ["run", "serve"])
def test_a_port_in_use(ready: Path, busy_port: int, command: str) -> None:
    result = syndicate(
        ready, command, "--port", str(busy_port), env={"SYNDICATE_SECRET": LONG_SECRET}
    )
    assert result.returncode == 1
    assert error_line(result) == f"error: [server] port: 127.0.0.1:{busy_port} is already in use"
    assert lines(result.stderr)[1] == (
        "hint: pick a free [server] port (or --port), or stop what is listening there"
    )


def test_a_maildir_that_cannot_be_created(tmp_path: Path) -> None:
    path = write_config(tmp_path, '[delivery]\nmaildir = "/proc/outbox"\n')
    result = syndicate(path, "config", "check", env={"SYNDICATE_SECRET": LONG_SECRET})
    assert result.returncode == 2
    assert error_line(result) == (
        "error: [delivery] maildir: cannot create or write /proc/outbox (No such file or "
        "directory); pick a folder this user can write"
    )


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:"])
def test_an_in_memory_database_is_refused(tmp_path: Path, url: str) -> None:
    path = write_config(tmp_path, database_url=url)
    result = syndicate(path, "config", "check")
    assert result.returncode == 2
    assert error_line(result) == (
        f"error: {path}: [database] url: {url!r} keeps the database in memory, gone when each "
        "command ends; use a file, e.g. 'sqlite:///var/syndicate.db'"
    )


def test_a_refused_database_port(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    path = write_config(tmp_path, database_url=f"postgresql+psycopg://postgres@127.0.0.1:{port}/x")
    result = syndicate(path, "status")
    assert result.returncode == 1
    line = error_line(result)
    assert line.startswith(
        f"error: [database] url: cannot open the database postgresql+psycopg://postgres@127.0.0.1:"
        f"{port}/x: connection failed: "
    )
    assert "Connection refused" in line and "Background on this error" not in result.stderr
    assert lines(result.stderr)[1] == (
        "hint: check [database] url, that the database exists and that its server is running"
    )


@pytest.mark.postgres
def test_a_missing_postgresql_database(tmp_path: Path) -> None:
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        pytest.skip(f"PostgreSQL skipped: set {POSTGRES_ENV}")
    url = base.rsplit("/", 1)[0] + "/no_such_database_here"
    path = write_config(tmp_path, database_url=url)
    for command, doing in (("status", "open"), ("init", "migrate")):
        result = syndicate(path, command)
        assert result.returncode == 1
        line = error_line(result)
        assert line.startswith(f"error: [database] url: cannot {doing} the database {url}: ")
        assert line.endswith('database "no_such_database_here" does not exist')


def test_languages_the_templates_do_not_have(tmp_path: Path) -> None:
    path = write_config(tmp_path)
    text = path.read_text().replace('language = "en"', 'language = "fr"')
    path.write_text(text.replace('language = "es"', 'language = "de-AT"'))
    result = syndicate(path, "config", "check")
    assert result.returncode == 2
    assert lines(result.stderr)[:2] == [
        "error: [site] language: the email templates have no 'fr'; use one of 'en', 'es'",
        "[[sections]] 'mundo' language: the email templates have no 'de-AT'; use one of 'en', 'es'",
    ]


def test_public_url_empty_on_a_wildcard_host_is_a_warning(tmp_path: Path) -> None:
    path = write_config(tmp_path)
    text = path.read_text().replace(
        'public_url = "https://feeds.example.org"', 'host = "0.0.0.0"\npublic_url = ""'
    )
    path.write_text(text)
    result = syndicate(path, "config", "check", env={"SYNDICATE_SECRET": LONG_SECRET})
    assert result.returncode == 0
    assert lines(result.stderr) == [
        "warning: [server] public_url is empty and [server] host is '0.0.0.0': links in feeds, "
        "pages and emails would point at http://0.0.0.0:8080; set public_url to the address "
        "readers use"
    ]
    assert result.stdout.startswith("ok\n")


def test_a_feeds_folder_that_cannot_be_created(tmp_path: Path) -> None:
    path = write_config(tmp_path, '[feeds]\noutput_dir = "/proc/feeds"\n')
    result = syndicate(path, "config", "check", env={"SYNDICATE_SECRET": LONG_SECRET})
    assert result.returncode == 2
    assert error_line(result) == (
        "error: [feeds] output_dir: cannot create or write /proc/feeds (No such file or "
        "directory); pick a folder this user can write"
    )


def test_deliver_names_the_maildir_before_sending(tmp_path: Path) -> None:
    path = write_config(tmp_path, '[delivery]\nmaildir = "/proc/outbox"\n')
    assert syndicate(path, "init").returncode == 0
    for command in (("deliver",), ("digest", "send")):
        result = syndicate(path, *command, env={"SYNDICATE_SECRET": LONG_SECRET})
        assert result.returncode == 2
        assert error_line(result) == (
            "error: [delivery] maildir: cannot create or write /proc/outbox (No such file or "
            "directory); pick a folder this user can write"
        )


@pytest.mark.parametrize(("command", "low"), [("run", 0), ("serve", 1)])
def test_a_port_out_of_range(ready: Path, command: str, low: int) -> None:
    result = syndicate(ready, command, "--port", "70000", env={"SYNDICATE_SECRET": LONG_SECRET})
    assert result.returncode == 2
    assert lines(result.stderr)[-1] == (
        f"Error: Invalid value for '--port': 70000 is not in the range {low}<=x<=65535."
    )
    assert "Traceback" not in result.stderr
