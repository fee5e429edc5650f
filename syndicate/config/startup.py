"""Checks beyond the shape of the file, run by `config check` and the long-running
commands: the signing secret, the folders that must be writable, warnings."""

from __future__ import annotations

import os
from pathlib import Path

from syndicate.config.tables import SECRET_ENV, Settings
from syndicate.errors import InputError

# -- checks beyond the shape of the file ----------------------------------
# `config check` and the long-running commands run these; each returns one line
# per problem, naming the key and the fix.

SECRET_MIN_LENGTH = 32
# The commands that sign subscriber links (confirm, unsubscribe, preferences).
SECRET_USERS = (
    "run, serve, digest send, digest tick, subscribers import and subscribers add "
    "(without --confirmed)"
)
WILDCARD_HOSTS = ("0.0.0.0", "::", "")


def secret_problem(settings: Settings, command: str = "") -> str | None:
    """Why the link-signing secret cannot be used, or None when it can."""
    value = settings.secret.get_secret_value()
    needs = f"`syndicate {command}` needs" if command else f"{SECRET_USERS} need"
    fix = "e.g. `export SYNDICATE_SECRET=$(openssl rand -hex 32)`"
    if not value:
        return f"{SECRET_ENV} is not set; {needs} it to sign subscriber links ({fix})"
    if len(value) < SECRET_MIN_LENGTH:
        return (
            f"{SECRET_ENV} has {len(value)} character{'' if len(value) == 1 else 's'}; "
            f"{needs} at least "
            f"{SECRET_MIN_LENGTH} ({fix})"
        )
    return None


def require_secret(settings: Settings, command: str) -> None:
    """Stop a command that signs links before it does anything, when the secret is unfit."""
    problem = secret_problem(settings, command)
    if problem:
        raise InputError(problem)


def check_secret(settings: Settings) -> list[str]:
    """A secret that is set must be long enough; an unset one is only a warning."""
    if not settings.secret.get_secret_value():
        return []
    problem = secret_problem(settings)
    return [problem] if problem else []


def check_maildir(settings: Settings) -> list[str]:
    """The Maildir folder must exist or be creatable, and take new files."""
    if settings.delivery.transport != "maildir":
        return []
    folder = Path(settings.delivery.maildir)
    # The probe is written where a Maildir writer starts each message: tmp/, made last.
    return _writable("[delivery] maildir", folder, [folder / p for p in ("new", "cur", "tmp")])


def check_feeds_dir(settings: Settings) -> list[str]:
    """The feeds folder must exist or be creatable, and take new files."""
    folder = Path(settings.feeds.output_dir)
    return _writable("[feeds] output_dir", folder, [folder])


def _writable(key: str, folder: Path, made: list[Path]) -> list[str]:
    """Create the folders in ``made`` and write a file in the last one; a problem line
    naming ``key`` when that fails."""
    try:
        for part in made:
            part.mkdir(parents=True, exist_ok=True)
        probe = made[-1] / f".syndicate-check-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        reason = exc.strerror or exc.__class__.__name__
        return [
            f"{key}: cannot create or write {folder} ({reason}); pick a folder this user can write"
        ]
    return []


def config_warnings(settings: Settings) -> list[str]:
    """Settings that work but are probably not what the operator meant."""
    warnings: list[str] = []
    if not settings.server.public_url and settings.server.host in WILDCARD_HOSTS:
        warnings.append(
            f"[server] public_url is empty and [server] host is {settings.server.host!r}: "
            f"links in feeds, pages and emails would point at {settings.public_url}; "
            "set public_url to the address readers use"
        )
    if not settings.secret.get_secret_value():
        warnings.append(secret_problem(settings) or "")
        if settings.bounces.return_path:
            warnings.append(
                f"[bounces] return_path is set but {SECRET_ENV} is not: messages go out with "
                "the From address as envelope sender (no VERP) until it is set"
            )
    return warnings


def serving_at(settings: Settings, host: str, port: int) -> Settings:
    """The settings of a process listening on host:port: with no public_url, links go there."""
    if settings.server.public_url or (host, port) == (settings.server.host, settings.server.port):
        return settings
    server = settings.server.model_copy(update={"host": host, "port": port})
    return settings.model_copy(update={"server": server})
