"""Reading ``config.toml``: resolve the file, validate it against the tables, and turn
every mistake into one line that names the file, the key and the fix."""

from __future__ import annotations

import difflib
import os
import tomllib
from pathlib import Path
from typing import Any

from pydantic import (
    BaseModel,
    SecretStr,
    ValidationError,
)

from syndicate.config.tables import (
    API_TOKEN_ENV,
    CONFIG_ENV,
    SECRET_ENV,
    BouncesSettings,
    DatabaseSettings,
    DeliverySettings,
    DigestSettings,
    FeedSettings,
    ScheduleSettings,
    SectionSettings,
    ServerSettings,
    Settings,
    SiteSettings,
    SmtpSettings,
)
from syndicate.errors import ConfigError


def resolve_config_path(explicit: str | os.PathLike[str] | None) -> Path:
    if explicit:
        return Path(explicit)
    return Path(os.environ.get(CONFIG_ENV) or "config.toml")


def load(path: str | os.PathLike[str] | None = None, env: dict[str, str] | None = None) -> Settings:
    """Read, validate and resolve a config file; raise ConfigError naming every bad key."""
    config_path = resolve_config_path(path)
    environ = os.environ if env is None else env
    name = str(config_path)
    try:
        raw = tomllib.loads(config_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(
            [f"{name}: no such config file"],
            hint="copy config.example.toml to config.toml, or pass --config PATH "
            f"(or set {CONFIG_ENV})",
        ) from None
    except UnicodeDecodeError as exc:
        raise ConfigError([f"{name}: not UTF-8 text ({exc.reason})"]) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"{name}: not valid TOML: {exc}"]) from None
    return from_mapping(raw, base_dir=config_path.resolve().parent, source=name, env=environ)


def from_mapping(
    raw: dict[str, Any],
    base_dir: Path,
    source: str = "config.toml",
    env: os._Environ[str] | dict[str, str] | None = None,
) -> Settings:
    environ = os.environ if env is None else env
    for forbidden in ("secret", "api_token", "smtp_password", "source"):
        if forbidden in raw:
            raise ConfigError(
                [f"{source}: {forbidden}: secrets are not read from the file"],
                hint=f"set {SECRET_ENV} / {API_TOKEN_ENV} / the [smtp] password_env variable instead",
            )
    try:
        settings = Settings.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError([f"{source}: {line}" for line in _describe(exc, raw)]) from None
    password_env = settings.smtp.password_env
    resolved = settings.model_copy(
        update={
            "database": settings.database.model_copy(
                update={"url": _resolve_db_url(settings.database.url, base_dir)}
            ),
            "feeds": settings.feeds.model_copy(
                update={"output_dir": str(_resolve(base_dir, settings.feeds.output_dir))}
            ),
            "delivery": settings.delivery.model_copy(
                update={"maildir": str(_resolve(base_dir, settings.delivery.maildir))}
            ),
            "smtp": settings.smtp.model_copy(
                update={
                    "ca_file": str(_resolve(base_dir, settings.smtp.ca_file))
                    if settings.smtp.ca_file
                    else ""
                }
            ),
            "digest": settings.digest.model_copy(
                update={
                    "templates_dir": str(_resolve(base_dir, settings.digest.templates_dir))
                    if settings.digest.templates_dir
                    else "",
                    "dkim_key_file": str(_resolve(base_dir, settings.digest.dkim_key_file))
                    if settings.digest.dkim_key_file
                    else "",
                }
            ),
            "server": settings.server.model_copy(
                update={
                    "templates_dir": str(_resolve(base_dir, settings.server.templates_dir))
                    if settings.server.templates_dir
                    else ""
                }
            ),
            "secret": SecretStr(environ.get(SECRET_ENV, "")),
            "api_token": SecretStr(environ.get(API_TOKEN_ENV, "")),
            "smtp_password": SecretStr(environ.get(password_env, "") if password_env else ""),
            "source": source,
        }
    )
    return resolved


def _resolve(base_dir: Path, value: str) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else (base_dir / path)


def _resolve_db_url(url: str, base_dir: Path) -> str:
    prefix = "sqlite:///"
    if url.startswith(prefix) and url != "sqlite:///:memory:":
        path = url[len(prefix) :]
        if path and not path.startswith("/"):
            return prefix + str(base_dir / path)
    return url


# -- error wording ------------------------------------------------------

_TABLE_MODELS: dict[str, type[BaseModel]] = {
    "site": SiteSettings,
    "database": DatabaseSettings,
    "sections": SectionSettings,
    "feeds": FeedSettings,
    "schedule": ScheduleSettings,
    "digest": DigestSettings,
    "delivery": DeliverySettings,
    "smtp": SmtpSettings,
    "server": ServerSettings,
    "bounces": BouncesSettings,
}
_TOP_LEVEL = list(_TABLE_MODELS)


def _known_keys(table: str | None) -> list[str]:
    if table is None:
        return _TOP_LEVEL
    model = _TABLE_MODELS.get(table)
    if model is None:
        return []
    return [f.alias or name for name, f in model.model_fields.items()]


def _where(loc: tuple[Any, ...]) -> tuple[str, str | None]:
    """Turn a pydantic location into '[feeds] items' and the table name."""
    if not loc:
        return "(top level)", None
    head = str(loc[0])
    if head == "sections" and len(loc) >= 2 and isinstance(loc[1], int):
        rest = ".".join(str(p) for p in loc[2:])
        place = f"[[sections]] #{loc[1] + 1}"
        return (f"{place} {rest}" if rest else place), "sections"
    if len(loc) == 1:
        return head, None
    return f"[{head}] " + ".".join(str(p) for p in loc[1:]), head


def _describe(exc: ValidationError, raw: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    for error in exc.errors():
        loc = tuple(error["loc"])
        kind = error["type"]
        where, table = _where(loc)
        if kind == "extra_forbidden":
            key = str(loc[-1])
            parent = table if len(loc) > 1 else None
            close = difflib.get_close_matches(key, _known_keys(parent), n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]!r}?" if close else "; remove it"
            lines.append(f"{where}: unknown key{hint}")
        elif kind == "missing":
            if loc == ("sections",):
                lines.append(
                    "sections: missing; add at least one [[sections]] table with slug and title"
                )
            else:
                lines.append(f"{where}: missing; this key is required")
        elif kind == "value_error":
            message = str(error.get("ctx", {}).get("error", error["msg"]))
            lines.append(f"{where}: {message}")
        elif kind == "literal_error":
            expected = error.get("ctx", {}).get("expected", "")
            lines.append(f"{where}: {error['input']!r} is not allowed; use one of {expected}")
        elif kind.endswith("_type") or kind in ("model_type", "list_type"):
            expected = kind.removesuffix("_type").replace("model", "table").replace("dict", "table")
            expected = {
                "int": "a whole number",
                "float": "a number",
                "bool": "true or false",
                "string": "a quoted string",
                "str": "a quoted string",
            }.get(expected, expected)
            lines.append(f"{where}: expected {expected}, got {error['input']!r}")
        elif kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
            lines.append(f"{where}: {error['msg'].lower()} (got {error['input']!r})")
        else:
            lines.append(f"{where}: {error['msg']}")
    return lines or [str(exc)]
