"""Hiding secrets in text that is printed or logged: URL passwords and token parameters."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote_plus

MASK = "***"
# Query parameter names whose values grant something: subscriber links carry `token`;
# database URLs may carry `password`; other services' URLs, keys and signatures.
_SECRET_NAME = re.compile(r"token|secret|passw|pwd|key|sig|auth|credential", re.IGNORECASE)


_PARAMETER = re.compile(r"(?<=[?&;])([^=&;\s\"'?#]+)=([^&;\s\"'#]*)")


def _mask_parameter(match: re.Match[str]) -> str:
    name = match[1]
    return f"{name}={MASK}" if _SECRET_NAME.search(unquote_plus(name)) else match[0]


def target(text: str) -> str:
    """``text`` (a request target, URL or log line) with secret-named parameter values masked."""
    return _PARAMETER.sub(_mask_parameter, text) if "=" in text else text


def url(text: str) -> str:
    """A URL with the password of its user part and its query's secrets masked."""
    scheme, sep, rest = text.partition("://")
    if sep and "@" in rest:
        # Neither RFC 3986 nor SQLAlchemy lets a raw '@' into the user part, so the
        # first '@' ends it; a password may still hold '/', '?' or '#'.
        userinfo, _, host = rest.partition("@")
        user, colon, _ = userinfo.partition(":")
        if colon and not any(c in user for c in "/?#"):
            return f"{scheme}://{user}:{MASK}@{target(host)}"
    return target(text)


def values(data: Any) -> Any:
    """A copy of settings-like data with every URL among its strings passed through ``url``."""
    if isinstance(data, dict):
        return {key: values(value) for key, value in data.items()}
    if isinstance(data, list | tuple):
        return [values(value) for value in data]
    if isinstance(data, str) and "://" in data:
        return url(data)
    return data
