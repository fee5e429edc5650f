"""What one configured value may be: the checks each key's value goes through,
naming the value and the fix when it is refused."""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from typing import Annotated
from urllib.parse import quote, urlsplit, urlunsplit

from pydantic import (
    AfterValidator,
)

from syndicate.addresses import BadAddress, normalise_address
from syndicate.timezones import canonical_timezone

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


def _check_networks(values: list[str]) -> list[str]:
    for value in values:
        try:
            ipaddress.ip_network(value, strict=False)
        except ValueError:
            raise ValueError(
                f"{value!r} is not an address or CIDR; write e.g. '127.0.0.1/32' or '10.0.0.0/8'"
            ) from None
    return values


def in_memory_sqlite(url: str) -> bool:
    rest = url.split("://", 1)[1] if "://" in url else ""
    path = rest.removeprefix("/").split("?", 1)[0]
    return path in ("", ":memory:") or "mode=memory" in url


_TOPIC_ARN = re.compile(
    r"arn:aws(?:-[a-z]+)*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(?:\.fifo)?"
)


def _check_topics(values: list[str]) -> list[str]:
    for value in values:
        if not _TOPIC_ARN.fullmatch(value):
            raise ValueError(
                f"{value!r} is not an SNS topic ARN; "
                "write e.g. 'arn:aws:sns:eu-west-1:123456789012:ses-bounces'"
            )
    return values
