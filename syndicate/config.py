"""One settings table, validated at start-up.

Every mistake in ``config.toml`` becomes one line that names the file, the key
and the fix. Secrets never live in the file: they come from the environment and
are masked whenever settings are printed.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
)

from syndicate.errors import ConfigError

CONFIG_ENV = "SYNDICATE_CONFIG"
SECRET_ENV = "SYNDICATE_SECRET"
API_TOKEN_ENV = "SYNDICATE_API_TOKEN"
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
ALL_SLUG = "all"


def _check_timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown timezone {value!r}; use an IANA name such as 'America/Lima' or 'UTC'"
        ) from None
    return value


def _check_http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(
            f"{value!r} is not an absolute http(s) URL; write e.g. 'https://example.com'"
        )
    return value.rstrip("/")


def _check_optional_url(value: str) -> str:
    return _check_http_url(value) if value else value


def _check_hhmm(value: str) -> str:
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", value)
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        raise ValueError(f"{value!r} is not a time of day; write HH:MM, e.g. '07:00'")
    return f"{int(match[1]):02d}:{match[2]}"


def _check_language(value: str) -> str:
    if not re.fullmatch(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})?", value):
        raise ValueError(f"{value!r} is not a language code; write e.g. 'en' or 'es'")
    return value


Timezone = Annotated[str, AfterValidator(_check_timezone)]
HttpUrl = Annotated[str, AfterValidator(_check_http_url)]
OptionalUrl = Annotated[str, AfterValidator(_check_optional_url)]
TimeOfDay = Annotated[str, AfterValidator(_check_hhmm)]
Language = Annotated[str, AfterValidator(_check_language)]


class _Table(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class SiteSettings(_Table):
    title: str = "News"
    url: HttpUrl = "http://127.0.0.1:8080"
    language: Language = "en"
    timezone: Timezone = "America/Lima"


class DatabaseSettings(_Table):
    url: str = "sqlite:///var/syndicate.db"

    @field_validator("url")
    @classmethod
    def _known_driver(cls, value: str) -> str:
        if not value.startswith(("sqlite://", "postgresql")):
            raise ValueError(
                f"{value!r} is not supported; use 'sqlite:///path.db' or "
                "'postgresql+psycopg://user@host/db'"
            )
        return value

    @property
    def is_postgres(self) -> bool:
        return self.url.startswith("postgresql")


class SectionSettings(_Table):
    slug: str
    title: str
    description: str = ""
    language: Language | None = None

    @field_validator("slug")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not SLUG_RE.fullmatch(value):
            raise ValueError(
                f"{value!r} is not a slug; use lower-case letters, digits and '-', e.g. 'world'"
            )
        if value == ALL_SLUG:
            raise ValueError("'all' is reserved for the feed of every section; pick another slug")
        return value


class FeedSettings(_Table):
    output_dir: str = "var/public/feeds"
    items: int = Field(50, ge=1, le=1000)
    full_text: bool = True
    websub_hub: OptionalUrl = ""


class ScheduleSettings(_Table):
    poll_seconds: int = Field(60, ge=1)
    digest_time: TimeOfDay = "07:00"


DEFAULT_SUBJECT = "{{ date }}: {{ top_headline }}{% if more %}, and {{ more }} more{% endif %}"


class DigestSettings(_Table):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, populate_by_name=True)

    from_: str = Field("News <news@example.com>", alias="from")
    subject: str = DEFAULT_SUBJECT
    max_articles: int = Field(20, ge=1, le=500)
    templates_dir: str = ""
    unsubscribe_mailto: str = ""
    dkim_selector: str = ""
    dkim_domain: str = ""
    dkim_key_file: str = ""

    @field_validator("from_")
    @classmethod
    def _from_address(cls, value: str) -> str:
        if "@" not in value or "\n" in value or "\r" in value:
            raise ValueError(
                f"{value!r} is not an address; write e.g. 'World News <news@example.com>'"
            )
        return value


class DeliverySettings(_Table):
    transport: Literal["maildir", "smtp"] = "maildir"
    maildir: str = "var/outbox"
    connections: int = Field(4, ge=1, le=256)
    rate_per_second: float = Field(0.0, ge=0)
    max_attempts: int = Field(0, ge=0, le=10000)  # 0: no cap, the give-up time decides
    retry_after_seconds: float = Field(60.0, ge=0)
    max_retry_interval_seconds: float = Field(3600.0, gt=0)
    give_up_after_seconds: float = Field(172800.0, ge=0)
    workers: int = Field(1, ge=1, le=64)
    batch_size: int = Field(200, ge=1, le=10000)
    lease_seconds: int = Field(300, ge=10)
    timeout_seconds: float = Field(30.0, gt=0)
    bounce_after: int = Field(3, ge=1, le=100)

    @field_validator(
        "rate_per_second",
        "retry_after_seconds",
        "max_retry_interval_seconds",
        "give_up_after_seconds",
        "timeout_seconds",
        mode="before",
    )
    @classmethod
    def _int_is_float(cls, value: Any) -> Any:
        return float(value) if isinstance(value, int) and not isinstance(value, bool) else value


class SmtpSettings(_Table):
    host: str = "127.0.0.1"
    port: int = Field(25, ge=1, le=65535)
    starttls: bool = False
    tls: bool = False
    username: str = ""
    password_env: str = "SYNDICATE_SMTP_PASSWORD"
    ca_file: str = ""


class ServerSettings(_Table):
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=1, le=65535)
    public_url: OptionalUrl = ""


class Settings(_Table):
    site: SiteSettings = SiteSettings()
    database: DatabaseSettings = DatabaseSettings()
    sections: list[SectionSettings]
    feeds: FeedSettings = FeedSettings()
    schedule: ScheduleSettings = ScheduleSettings()
    digest: DigestSettings = DigestSettings()
    delivery: DeliverySettings = DeliverySettings()
    smtp: SmtpSettings = SmtpSettings()
    server: ServerSettings = ServerSettings()

    # Filled from the environment by ``load``; never read from the file.
    secret: SecretStr = SecretStr("")
    api_token: SecretStr = SecretStr("")
    smtp_password: SecretStr = SecretStr("")
    source: str = ""

    @field_validator("sections")
    @classmethod
    def _sections_unique(cls, sections: list[SectionSettings]) -> list[SectionSettings]:
        if not sections:
            raise ValueError("add at least one [[sections]] table with slug and title")
        seen: set[str] = set()
        for section in sections:
            if section.slug in seen:
                raise ValueError(
                    f"duplicate slug {section.slug!r}; each [[sections]] needs its own slug"
                )
            seen.add(section.slug)
        return sections

    # -- derived values -------------------------------------------------
    @property
    def public_url(self) -> str:
        return self.server.public_url or f"http://{self.server.host}:{self.server.port}"

    @property
    def section_slugs(self) -> list[str]:
        return [s.slug for s in self.sections]

    def section(self, slug: str) -> SectionSettings:
        for section in self.sections:
            if section.slug == slug:
                return section
        raise KeyError(slug)

    def section_language(self, slug: str) -> str:
        return self.section(slug).language or self.site.language

    def find_section(self, name: str) -> str | None:
        """Match a slug or a title, case-insensitively."""
        wanted = name.strip().casefold()
        for section in self.sections:
            if wanted in (section.slug.casefold(), section.title.casefold()):
                return section.slug
        return None

    def masked(self) -> dict[str, Any]:
        """Settings as a dict for printing: secrets shown only as set or not set."""
        data = self.model_dump(by_alias=True, exclude={"secret", "api_token", "smtp_password"})
        data["secrets"] = {
            SECRET_ENV: _mask(self.secret),
            API_TOKEN_ENV: _mask(self.api_token),
            self.smtp.password_env: _mask(self.smtp_password),
        }
        return data


def _mask(secret: SecretStr) -> str:
    return "set (hidden)" if secret.get_secret_value() else "not set"


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
