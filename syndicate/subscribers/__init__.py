"""Subscribers: one validation path for every way in (CLI, CSV, the form), and the CSV format.

Storing them is ``syndicate.store.subscribers``; who may change a status is ``lifecycle``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field

from syndicate.addresses import normalise_address
from syndicate.config import Settings, _check_hhmm
from syndicate.errors import InputError
from syndicate.subscribers.cadence import BadLane, parse_cadence, parse_weekday
from syndicate.subscribers.lifecycle import STATUSES, Actor
from syndicate.subscribers.records import Subscriber, SubscriberInput
from syndicate.timezones import canonical_timezone

__all__ = [
    "STATUSES",
    "Actor",
    "CsvRows",
    "Subscriber",
    "SubscriberInput",
    "parse_csv",
    "to_csv",
    "validate",
]
CSV_COLUMNS = [
    "email",
    "sections",
    "timezone",
    "language",
    "digest_time",
    "status",
    "cadence",
    "weekday",
    "alerts",
]
_TRUE = ("true", "yes", "1", "on")
_FALSE = ("false", "no", "0", "off", "")


def parse_alerts(value: str | bool | None) -> bool:
    """``alerts`` as a CSV cell, a form field or a flag: true/false (yes/no, 1/0, on/off)."""
    if isinstance(value, bool):
        return value
    cleaned = (value or "").strip().lower()
    if cleaned in _TRUE:
        return True
    if cleaned in _FALSE:
        return False
    raise InputError(
        field="alerts", reason=f"{value!r} is not true or false", hint="use true or false"
    )


def _lane(cadence: str | None, weekday: str | None) -> tuple[str, str]:
    try:
        chosen = parse_cadence(cadence)
    except BadLane as exc:
        raise InputError(field="cadence", reason=str(exc), hint="use daily or weekly") from None
    try:
        return chosen, parse_weekday(weekday, chosen)
    except BadLane as exc:
        raise InputError(field="weekday", reason=str(exc), hint="use mon, tue, ... sun") from None


def validate(
    settings: Settings,
    email: str,
    sections: Iterable[str] = (),
    timezone: str | None = None,
    language: str | None = None,
    digest_time: str | None = None,
    status: str | None = None,
    cadence: str | None = None,
    weekday: str | None = None,
    alerts: str | bool | None = None,
) -> SubscriberInput:
    """Normalise one subscriber; raise InputError naming the first bad field."""
    address = normalise_address(email)
    slugs: list[str] = []
    for name in sections:
        if not name.strip():
            continue
        slug = settings.find_section(name)
        if slug is None:
            raise InputError(
                field="sections",
                reason=f"unknown section {name.strip()!r}",
                hint=f"use slugs from config: {', '.join(settings.section_slugs)}",
            )
        if slug not in slugs:
            slugs.append(slug)
    asked = (timezone or "").strip() or settings.site.timezone
    tz = canonical_timezone(asked)
    if tz is None:
        raise InputError(
            field="timezone",
            reason=f"unknown timezone {asked!r}",
            hint="use an IANA place name like Europe/Madrid or America/Lima, or UTC",
        )
    lang = (language or "").strip().lower() or (
        settings.section_language(slugs[0]) if slugs else settings.site.language
    )
    if lang not in ("en", "es"):
        raise InputError(
            field="language", reason=f"{lang!r} is not offered", hint="use 'en' or 'es'"
        )
    when = (digest_time or "").strip() or settings.schedule.digest_time
    try:
        when = _check_hhmm(when)
    except ValueError as exc:
        raise InputError(field="digest_time", reason=str(exc)) from None
    state = (status or "").strip().lower() or "active"
    if state not in STATUSES:
        raise InputError(
            field="status",
            reason=f"{state!r} is not a status",
            hint=f"use one of {', '.join(STATUSES)}",
        )
    # Every configured section chosen is the same as "all": store it as all, so new
    # sections reach these readers too.
    if set(slugs) == set(settings.section_slugs):
        slugs = []
    chosen, day = _lane(cadence, weekday)
    wants_alerts = parse_alerts(alerts)
    return SubscriberInput(address, tuple(slugs), tz, lang, when, state, chosen, day, wants_alerts)


@dataclass
class CsvRows:
    rows: list[tuple[str, SubscriberInput]] = field(default_factory=list)  # (source:line, row)
    errors: list[str] = field(default_factory=list)


def parse_csv(settings: Settings, content: str, source: str = "csv") -> CsvRows:
    """Validate every row; a bad one is reported by line and left out."""
    parsed = CsvRows()
    reader = csv.DictReader(io.StringIO(content))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    if "email" not in header:
        raise InputError(
            f"{source}: the header row has no 'email' column",
            hint=f"columns: {', '.join(CSV_COLUMNS)}",
        )
    unknown = [h for h in header if h not in CSV_COLUMNS]
    if unknown:
        raise InputError(
            f"{source}: unknown columns {', '.join(unknown)}",
            hint=f"columns: {', '.join(CSV_COLUMNS)}",
        )
    reader.fieldnames = header
    for row in reader:
        line = reader.line_num
        try:
            item = validate(
                settings,
                row.get("email") or "",
                (row.get("sections") or "").split(";"),
                row.get("timezone"),
                row.get("language"),
                row.get("digest_time"),
                row.get("status"),
                row.get("cadence"),
                row.get("weekday"),
                row.get("alerts"),
            )
        except InputError as exc:
            parsed.errors.append(f"{source}:{line}: {exc}")
            continue
        parsed.rows.append((f"{source}:{line}", item))
    return parsed


def to_csv(items: Iterable[Subscriber]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for s in items:
        writer.writerow(
            [
                s.email,
                ";".join(s.sections),
                s.timezone,
                s.language,
                s.digest_time,
                s.status,
                s.cadence,
                s.weekday,
                "true" if s.alerts else "false",
            ]
        )
    return out.getvalue()
