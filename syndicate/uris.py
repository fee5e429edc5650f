"""Web addresses as the feeds publish them: absolute http(s) URIs (RFC 3986), never IRIs.

Feed readers and the W3C validator want URIs: a non-ASCII host becomes its IDNA
A-label, any other character a URI may not hold is percent-encoded as UTF-8. The
same function gives the stored url and guid at import and the published ones in
the builders, so what is stored is what is published; it is idempotent.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from urllib.parse import urljoin, urlsplit

import idna

MAX_LENGTH = 2048  # the store's column size for url, guid and image url
SCHEMES = ("http", "https")

# C0 and C1 controls, DEL and lone surrogates: never fixable by encoding.
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_PCHAR = r"A-Za-z0-9\-._~!$&'()*+,;=:@"
_PATH_BAD = re.compile(rf"%(?![0-9A-Fa-f]{{2}})|[^{_PCHAR}/%]")
_QUERY_BAD = re.compile(rf"%(?![0-9A-Fa-f]{{2}})|[^{_PCHAR}/?%]")
_USER_BAD = re.compile(r"%(?![0-9A-Fa-f]{2})|[^A-Za-z0-9\-._~!$&'()*+,;=:%]")
_REG_NAME = re.compile(r"^(?:[A-Za-z0-9\-._~!$&'()*+,;=]|%[0-9A-Fa-f]{2})+$")
# An absolute http(s) URI as absolute() writes it, for a quick yes.
_PLAIN = re.compile(
    r"^https?://[A-Za-z0-9\-.]+(?::\d{1,5})?"
    rf"(?:/[{_PCHAR}/]*)?(?:\?[{_PCHAR}/?]*)?(?:#[{_PCHAR}/?]*)?$"
)


def _percent(match: re.Match[str]) -> str:
    return "".join(f"%{byte:02X}" for byte in match.group().encode("utf-8"))


def _encode(part: str, bad: re.Pattern[str]) -> str:
    return bad.sub(_percent, part) if bad.search(part) else part


def _host(host: str) -> str | None:
    if host.startswith("["):
        if not host.endswith("]"):
            return None
        try:
            ipaddress.IPv6Address(host[1:-1])
        except ValueError:
            return None
        return host.lower()
    if host.isascii():
        return host if _REG_NAME.match(host) else None
    trailing = host.endswith((".", "。", "．", "｡"))
    try:
        ascii_host = idna.encode(host.rstrip(".。．｡"), uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError, ValueError):
        return None
    return ascii_host + "." if trailing else ascii_host


def _authority(netloc: str) -> str | None:
    userinfo, at, hostport = netloc.rpartition("@")
    port = ""
    if hostport.startswith("["):
        close = hostport.find("]")
        if close < 0:
            return None
        host, rest = hostport[: close + 1], hostport[close + 1 :]
        if rest:
            if not rest.startswith(":"):
                return None
            port = rest[1:]
    else:
        host, colon, port = hostport.rpartition(":")
        if not colon:
            host, port = hostport, ""
    if port and not (port.isascii() and port.isdigit()):
        return None
    clean_host = _host(host)
    if not clean_host:
        return None
    user = _encode(userinfo, _USER_BAD) + "@" if at else ""
    return user + clean_host + (":" + port if port else "")


@functools.lru_cache(maxsize=8192)
def absolute(value: str) -> str | None:
    """``value`` as an absolute http(s) URI, or None when it cannot be one.

    Spaces inside become %20; a control character, another scheme, a missing or
    invalid host, or a port that is not a number make it unusable.
    """
    value = value.strip()
    if _PLAIN.match(value):
        return value
    if not value or CONTROL.search(value):
        return None
    try:
        parts = urlsplit(value)
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES or not parts.netloc:
        return None
    authority = _authority(parts.netloc)
    if authority is None:
        return None
    out = f"{scheme}://{authority}{_encode(parts.path, _PATH_BAD)}"
    if parts.query:
        out += "?" + _encode(parts.query, _QUERY_BAD)
    if parts.fragment:
        out += "#" + _encode(parts.fragment, _QUERY_BAD)
    return out


def resolve(base: str, reference: str) -> str | None:
    """A link found in article HTML, made absolute against the article's URL.

    http(s) and mailto are kept (nh3 allows no other scheme); None when unusable.
    """
    reference = reference.strip()
    if CONTROL.search(reference):
        return None
    if reference[:7].lower() == "mailto:":
        return "mailto:" + _encode(reference[7:], _QUERY_BAD)
    try:
        joined = urljoin(base, reference) if base else reference
    except ValueError:
        return None
    return absolute(joined)


def guid(value: str) -> str:
    """A guid as the feeds publish it: one that is an http(s) address, written as a URI."""
    if value[:4].lower() == "http":
        return absolute(value) or value
    return value
