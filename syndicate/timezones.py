"""Which timezone names a reader or operator may choose.

The rule: a name from the IANA database (``zoneinfo.available_timezones()``)
whose first part is one of the database's geographic areas (``America/Lima``,
``Europe/Madrid``, ``America/Argentina/Buenos_Aires``), ``UTC`` / ``Etc/UTC``, or
a whole-hour fixed offset ``Etc/GMT+4`` (UTC-4: the sign is POSIX's). Everything
else the system happens to have is refused: ``localtime`` and ``posixrules`` (this
machine's setting, not a place), ``Factory`` (a placeholder), ``right/...`` and
``posix/...`` copies, ``Etc/GMT0`` and other spellings, old country aliases
(``US/Eastern``, ``GB``) and abbreviations (``EST``, ``CET``).
"""

from __future__ import annotations

import re
import zoneinfo
from functools import cache

_FIXED = re.compile(r"Etc/GMT[+-](?:[1-9]|1[0-4])")  # fixed offsets; the sign is POSIX's

AREAS = frozenset(
    ("Africa", "America", "Antarctica", "Arctic", "Asia", "Atlantic", "Australia")
    + ("Europe", "Indian", "Pacific")
)


@cache
def offered_timezones() -> list[str]:
    """Every accepted name, sorted (the preferences form lists them)."""
    return sorted(
        name
        for name in zoneinfo.available_timezones()
        if name in ("UTC", "Etc/UTC")
        or _FIXED.fullmatch(name)
        or ("/" in name and name.partition("/")[0] in AREAS)
    )


@cache
def _by_folded_name() -> dict[str, str]:
    return {name.casefold(): name for name in offered_timezones()}


def canonical_timezone(name: str) -> str | None:
    """The accepted spelling of ``name`` (case does not matter), or None when refused."""
    return _by_folded_name().get(name.strip().casefold())
