"""One settings table, validated at start-up.

Every mistake in ``config.toml`` becomes one line that names the file, the key
and the fix. Secrets never live in the file: they come from the environment and
are masked whenever settings are printed.

The package is split by concern: ``values`` (what one value may be), ``tables``
(the models), ``loading`` (reading the file, error wording) and ``startup``
(checks beyond the file). Everything is imported from ``syndicate.config``.
"""

from __future__ import annotations

from syndicate.config.loading import (
    _TABLE_MODELS,
    from_mapping,
    load,
    resolve_config_path,
)
from syndicate.config.startup import (
    SECRET_MIN_LENGTH,
    SECRET_USERS,
    WILDCARD_HOSTS,
    check_feeds_dir,
    check_maildir,
    check_secret,
    config_warnings,
    require_secret,
    secret_problem,
    serving_at,
)
from syndicate.config.tables import (
    API_TOKEN_ENV,
    CONFIG_ENV,
    DEFAULT_SUBJECT,
    LISTEN_ENV,
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
from syndicate.config.values import (
    ALL_SLUG,
    DNS_NAME_RE,
    SLUG_RE,
    DnsName,
    Domain,
    HttpUrl,
    Language,
    OneLine,
    OptionalUrl,
    TimeOfDay,
    Timezone,
    _check_hhmm,
    in_memory_sqlite,
)
from syndicate.errors import ConfigError

__all__ = [
    "ALL_SLUG",
    "API_TOKEN_ENV",
    "BouncesSettings",
    "CONFIG_ENV",
    "ConfigError",
    "DEFAULT_SUBJECT",
    "DNS_NAME_RE",
    "DatabaseSettings",
    "DeliverySettings",
    "DigestSettings",
    "DnsName",
    "Domain",
    "FeedSettings",
    "HttpUrl",
    "LISTEN_ENV",
    "Language",
    "OneLine",
    "OptionalUrl",
    "SECRET_ENV",
    "SECRET_MIN_LENGTH",
    "SECRET_USERS",
    "SLUG_RE",
    "ScheduleSettings",
    "SectionSettings",
    "ServerSettings",
    "Settings",
    "SiteSettings",
    "SmtpSettings",
    "TimeOfDay",
    "Timezone",
    "WILDCARD_HOSTS",
    "_TABLE_MODELS",
    "_check_hhmm",
    "check_feeds_dir",
    "check_maildir",
    "check_secret",
    "config_warnings",
    "from_mapping",
    "in_memory_sqlite",
    "load",
    "require_secret",
    "resolve_config_path",
    "secret_problem",
    "serving_at",
]
