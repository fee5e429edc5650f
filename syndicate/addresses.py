"""Email address checks: syntax and length, domain lower-cased (RFC 5321 limits)."""

from __future__ import annotations

import re

from syndicate.errors import InputError

_LOCAL = re.compile(
    r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~\u0080-\U0010ffff-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~\u0080-\U0010ffff-]+)*$"
)
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


class BadAddress(InputError):
    field = "email"


def normalise_address(value: str) -> str:
    """Return the address with its domain lower-cased, or raise BadAddress saying why."""
    address = (value or "").strip()
    if not address:
        raise BadAddress("email: missing", hint="give an address like reader@example.com")
    if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in address):
        raise BadAddress(f"email {address[:80]!r}: contains spaces or control characters")
    if len(address) > 254:
        raise BadAddress("email: longer than 254 characters")
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain:
        raise BadAddress(f"email {address!r}: needs one @ between a name and a domain")
    if len(local) > 64:
        raise BadAddress(f"email {address!r}: the part before @ is longer than 64 characters")
    if not _LOCAL.match(local):
        raise BadAddress(f"email {address!r}: the part before @ has characters mail cannot carry")
    try:
        ascii_domain = domain.lower().encode("idna").decode("ascii")
    except UnicodeError:
        raise BadAddress(f"email {address!r}: {domain!r} is not a valid domain") from None
    labels = ascii_domain.split(".")
    if len(labels) < 2 or not all(_LABEL.match(label) for label in labels) or labels[-1].isdigit():
        raise BadAddress(f"email {address!r}: {domain!r} is not a valid domain")
    return f"{local}@{domain.lower()}"


def mask(address: str) -> str:
    """For info-level logs: r***@example.com."""
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain}" if domain else "***"
