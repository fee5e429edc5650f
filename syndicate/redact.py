"""Hiding secrets in text that is printed or logged: URL passwords and token parameters."""

from __future__ import annotations

import logging
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


_USERINFO = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*://[^/?#\s:@]*):[^@\s]*@")


def text(line: str) -> str:
    """Free text (a log line): every URL password and secret-named parameter masked."""
    if "://" in line:
        line = _USERINFO.sub(rf"\1:{MASK}@", line)
    return target(line)


class LogMask(logging.Filter):
    """Masks secrets in a record's message and arguments before any handler formats it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(text(a) if isinstance(a, str) else a for a in record.args)
        if isinstance(record.msg, str):
            record.msg = text(record.msg)
        return True


def values(data: Any) -> Any:
    """A copy of settings-like data with every URL among its strings passed through ``url``."""
    if isinstance(data, dict):
        return {key: values(value) for key, value in data.items()}
    if isinstance(data, list | tuple):
        return [values(value) for value in data]
    if isinstance(data, str) and "://" in data:
        return url(data)
    return data
