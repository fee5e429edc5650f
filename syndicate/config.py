"""One settings table, validated at start-up.

Every mistake in ``config.toml`` becomes one line that names the file, the key
and the fix. Secrets never live in the file: they come from the environment and
are masked whenever settings are printed.
"""

from __future__ import annotations

import difflib
import ipaddress
import os
import re
import tomllib
import unicodedata
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import quote, urlsplit, urlunsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
)

from syndicate import redact
from syndicate.addresses import BadAddress, normalise_address, parse_mailbox
from syndicate.errors import ConfigError, InputError
from syndicate.timezones import canonical_timezone

CONFIG_ENV = "SYNDICATE_CONFIG"
SECRET_ENV = "SYNDICATE_SECRET"
API_TOKEN_ENV = "SYNDICATE_API_TOKEN"
# "HOST PORT" a `serve` worker process listens on (set by `serve --workers`).
LISTEN_ENV = "SYNDICATE_LISTEN"
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
ALL_SLUG = "all"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
DNS_NAME_RE = re.compile(rf"{_LABEL}(?:\.{_LABEL})*")
# Invisible controls that reorder or hide text: never meant in a header or a name.
# The characters articles lose on the way in (syndicate.text), refused here instead.
_HIDDEN = re.compile(
    "[\u00ad\u061c\u180e\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb]"
)


def _control_characters(value: str) -> list[str]:
    """C0/C1 controls (CR, LF, NEL...), line/paragraph separators, bidi overrides."""
    return sorted(
        {c for c in value if unicodedata.category(c) in ("Cc", "Zl", "Zp") or _HIDDEN.match(c)}
    )


def _check_one_line(value: str) -> str:
    """A value that ends up in a mail header or a protocol line: one line, nothing hidden."""
    found = _control_characters(value)
    if found:
        names = ", ".join(f"U+{ord(c):04X} {unicodedata.name(c, '')}".rstrip() for c in found)
        raise ValueError(
            f"{value!r} holds the control character {names}; remove it "
            "(a header value is one line of visible text)"
        )
    return value


def _check_dns_name(value: str) -> str:
    _check_one_line(value)
    if value and not (DNS_NAME_RE.fullmatch(value) and len(value) <= 253):
        raise ValueError(
            f"{value!r} is not a DNS name; use letters, digits, '-' and '.', e.g. 'mail2026'"
        )
    return value


def _check_domain(value: str) -> str:
    """An IDN is written as its A-label (DKIM and DNS carry only ASCII)."""
    _check_one_line(value)
    if not value:
        return value
    import idna

    try:
        ascii_name = idna.encode(value.strip().rstrip("."), uts46=True).decode("ascii")
    except idna.IDNAError as exc:
        raise ValueError(f"{value!r} is not a domain name ({exc})") from None
    if "." not in ascii_name:
        raise ValueError(f"{value!r} is not a domain name; write e.g. 'news.example.org'")
    return ascii_name


def _check_address(value: str, example: str) -> str:
    """One addr-spec in its stored form; the local part must be ASCII (no SMTPUTF8 needed)."""
    try:
        address = normalise_address(value)
    except BadAddress as exc:
        raise ValueError(f"{exc}; write e.g. {example!r}") from None
    if not address.rpartition("@")[0].isascii():
        raise ValueError(
            f"{value!r}: the part before @ must be ASCII, or every message would need "
            "a relay with SMTPUTF8"
        )
    return address


def _check_timezone(value: str) -> str:
    found = canonical_timezone(value)
    if found is None:
        raise ValueError(
            f"unknown timezone {value!r}; use an IANA place name such as 'America/Lima', or 'UTC'"
        )
    return found


def _check_http_url(value: str) -> str:
    if any(c.isspace() for c in value) or _control_characters(value):
        raise ValueError(
            f"{value!r} holds spaces or control characters; write e.g. 'https://example.com'"
        )
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(
            f"{value!r} is not an absolute http(s) URL; write e.g. 'https://example.com'"
        )
    return _as_uri(value).rstrip("/")


def _as_uri(value: str) -> str:
    """An IRI as the URI that headers and feeds can carry: IDN host as A-label,
    everything else percent-encoded as UTF-8."""
    if value.isascii():
        return value
    import idna  # its tables load only when a value needs them

    parts = urlsplit(value)
    host = parts.hostname or ""
    try:
        netloc = idna.encode(host, uts46=True).decode("ascii")
    except idna.IDNAError as exc:
        raise ValueError(f"{value!r}: {host!r} is not a host name ({exc})") from None
    if parts.port is not None:
        netloc += f":{parts.port}"
    if "@" in parts.netloc:
        netloc = quote(parts.netloc.rpartition("@")[0], safe=":%") + "@" + netloc
    keep = "/:@!$&'()*+,;=%-._~"
    return urlunsplit(
        (
            parts.scheme,
            netloc,
            quote(parts.path, safe=keep),
            quote(parts.query, safe=keep + "?"),
            quote(parts.fragment, safe=keep + "?"),
        )
    )


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
OneLine = Annotated[str, AfterValidator(_check_one_line)]
DnsName = Annotated[str, AfterValidator(_check_dns_name)]
Domain = Annotated[str, AfterValidator(_check_domain)]


class _Table(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class SiteSettings(_Table):
    title: OneLine = "News"
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

    @field_validator("url")
    @classmethod
    def _not_in_memory(cls, value: str) -> str:
        if value.startswith("sqlite:") and in_memory_sqlite(value):
            raise ValueError(
                f"{value!r} keeps the database in memory, gone when each command ends; "
                "use a file, e.g. 'sqlite:///var/syndicate.db'"
            )
        return value

    @property
    def is_postgres(self) -> bool:
        return self.url.startswith("postgresql")


class SectionSettings(_Table):
    slug: str
    title: OneLine
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
    # Largest file a build writes: the oldest entries are left out to fit.
    max_bytes: int = Field(10 * 1024 * 1024, ge=64 * 1024)


class ScheduleSettings(_Table):
    poll_seconds: int = Field(60, ge=1)
    digest_time: TimeOfDay = "07:00"


DEFAULT_SUBJECT = "{{ date }}: {{ top_headline }}{% if more %}, and {{ more }} more{% endif %}"


class DigestSettings(_Table):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, populate_by_name=True)

    from_: str = Field("News <news@example.com>", alias="from")
    subject: OneLine = DEFAULT_SUBJECT
    max_articles: int = Field(20, ge=1, le=500)
    # Breaking-news alerts per reader per local day; beyond it an article waits for the digest.
    max_alerts_per_day: int = Field(3, ge=0, le=50)
    templates_dir: str = ""
    # Stored as the bare address (no "mailto:"), normalised.
    unsubscribe_mailto: str = ""
    dkim_selector: DnsName = ""
    dkim_domain: Domain = ""
    dkim_key_file: str = ""

    @field_validator("from_")
    @classmethod
    def _from_address(cls, value: str) -> str:
        _check_one_line(value)
        example = "World News <news@example.com>"
        try:
            _, address = parse_mailbox(value)
        except BadAddress as exc:
            raise ValueError(f"{exc}; write e.g. {example!r}") from None
        _check_address(address, example)
        return value

    @field_validator("unsubscribe_mailto")
    @classmethod
    def _mailto(cls, value: str) -> str:
        _check_one_line(value)
        address = value.strip().removeprefix("mailto:")
        if not address:
            return ""
        if any(c in address for c in "?<>,"):
            raise ValueError(
                f"{value!r} is not one address; write just the address, e.g. 'leave@example.com'"
            )
        return _check_address(address, "leave@example.com")

    @property
    def from_name(self) -> str:
        return parse_mailbox(self.from_)[0]

    @property
    def from_address(self) -> str:
        """The From address in its stored form (domain in Unicode; see ``smtp_form``)."""
        return parse_mailbox(self.from_)[1]


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
    host: OneLine = "127.0.0.1"
    port: int = Field(25, ge=1, le=65535)
    starttls: bool = False
    tls: bool = False
    username: OneLine = ""
    password_env: str = "SYNDICATE_SMTP_PASSWORD"
    ca_file: str = ""


def _check_return_path(value: str) -> str:
    if not value:
        return ""
    address = _check_address(value, "bounces@news.example.org")
    if "+" in address.rpartition("@")[0]:
        raise ValueError(
            f"{value!r}: the part before @ must not hold '+'; the token is added after it"
        )
    return address


def _check_listen(value: str) -> str:
    if not value:
        return ""
    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"{value!r} is not host:port; write e.g. '127.0.0.1:2525'")
    return value


class BouncesSettings(_Table):
    # VERP return path: each message's envelope sender becomes local+token@domain.
    return_path: Annotated[str, AfterValidator(_check_return_path)] = ""
    # host:port of the bounce SMTP receiver that `syndicate run` starts; "" = off.
    listen: Annotated[str, AfterValidator(_check_listen)] = ""
    soft_limit: int = Field(3, ge=1, le=1000)
    soft_window_days: int = Field(14, ge=1, le=3650)

    @property
    def listen_at(self) -> tuple[str, int]:
        host, _, port = self.listen.rpartition(":")
        return host.strip("[]"), int(port)


def _check_networks(values: list[str]) -> list[str]:
    for value in values:
        try:
            ipaddress.ip_network(value, strict=False)
        except ValueError:
            raise ValueError(
                f"{value!r} is not an address or CIDR; write e.g. '127.0.0.1/32' or '10.0.0.0/8'"
            ) from None
    return values


class ServerSettings(_Table):
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=1, le=65535)
    public_url: OptionalUrl = ""
    templates_dir: str = ""
    # Reverse proxies whose X-Forwarded-For is believed; nobody's by default.
    trusted_proxies: Annotated[list[str], AfterValidator(_check_networks)] = []


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
    bounces: BouncesSettings = BouncesSettings()

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
        host = self.server.host
        if ":" in host:  # an IPv6 address goes in brackets in a URL
            host = f"[{host}]"
        return self.server.public_url or f"http://{host}:{self.server.port}"

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
        data = redact.values(data)  # passwords written into URLs (the database's, a hub's)
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


def in_memory_sqlite(url: str) -> bool:
    rest = url.split("://", 1)[1] if "://" in url else ""
    path = rest.removeprefix("/").split("?", 1)[0]
    return path in ("", ":memory:") or "mode=memory" in url


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
