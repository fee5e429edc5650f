"""The settings tables of ``config.toml``, one model per table, and the environment
variables the secrets come from."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    field_validator,
)

from syndicate import redact
from syndicate.addresses import BadAddress, parse_mailbox
from syndicate.config.values import (
    ALL_SLUG,
    SLUG_RE,
    DnsName,
    Domain,
    HttpUrl,
    Language,
    OneLine,
    OptionalUrl,
    TimeOfDay,
    Timezone,
    _check_address,
    _check_listen,
    _check_networks,
    _check_one_line,
    _check_return_path,
    _check_topics,
    in_memory_sqlite,
)

CONFIG_ENV = "SYNDICATE_CONFIG"
SECRET_ENV = "SYNDICATE_SECRET"
API_TOKEN_ENV = "SYNDICATE_API_TOKEN"
# "HOST PORT" a `serve` worker process listens on (set by `serve --workers`).
LISTEN_ENV = "SYNDICATE_LISTEN"


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


class BouncesSettings(_Table):
    # VERP return path: each message's envelope sender becomes local+token@domain.
    return_path: Annotated[str, AfterValidator(_check_return_path)] = ""
    # host:port of the bounce SMTP receiver that `syndicate run` starts; "" = off.
    listen: Annotated[str, AfterValidator(_check_listen)] = ""
    soft_limit: int = Field(3, ge=1, le=1000)
    soft_window_days: int = Field(14, ge=1, le=3650)
    # The SNS topics whose SES events are taken. A valid SNS signature only shows the
    # message came from AWS, not from this site's topic: anyone can point a topic here.
    ses_topics: Annotated[list[str], AfterValidator(_check_topics)] = []

    @property
    def listen_at(self) -> tuple[str, int]:
        host, _, port = self.listen.rpartition(":")
        return host.strip("[]"), int(port)


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
