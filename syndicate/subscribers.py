"""Subscribers: add, import from CSV, list, remove. One validation path for all of them."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from syndicate.addresses import normalise_address
from syndicate.config import Settings, _check_hhmm
from syndicate.db import subscriber_sections, subscribers
from syndicate.errors import InputError
from syndicate.timezones import canonical_timezone

STATUSES = ("pending", "active", "unsubscribed", "bounced")
CSV_COLUMNS = ["email", "sections", "timezone", "language", "digest_time", "status"]


@dataclass(frozen=True)
class Subscriber:
    id: int
    email: str
    status: str
    sections: tuple[str, ...]  # empty means every section
    timezone: str
    language: str
    digest_time: str
    created_at: datetime | None = None

    def reads(self, slug: str) -> bool:
        return not self.sections or slug in self.sections


@dataclass(frozen=True)
class SubscriberInput:
    email: str
    sections: tuple[str, ...]
    timezone: str
    language: str
    digest_time: str
    status: str = "active"


def validate(
    settings: Settings,
    email: str,
    sections: Iterable[str] = (),
    timezone: str | None = None,
    language: str | None = None,
    digest_time: str | None = None,
    status: str | None = None,
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
    return SubscriberInput(address, tuple(slugs), tz, lang, when, state)


def find(conn: Connection, email: str) -> Subscriber | None:
    found = load(conn, subscribers.c.email == email)
    return found[0] if found else None


def get(conn: Connection, subscriber_id: int) -> Subscriber | None:
    found = load(conn, subscribers.c.id == subscriber_id)
    return found[0] if found else None


def load(conn: Connection, where: Any = None) -> list[Subscriber]:
    query = select(subscribers).order_by(subscribers.c.id)
    if where is not None:
        query = query.where(where)
    rows = conn.execute(query).all()
    ids = [r.id for r in rows]
    chosen: dict[int, list[str]] = {i: [] for i in ids}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for sid, section in conn.execute(
            select(subscriber_sections.c.subscriber_id, subscriber_sections.c.section).where(
                subscriber_sections.c.subscriber_id.in_(chunk)
            )
        ):
            chosen[sid].append(section)
    return [
        Subscriber(
            id=r.id,
            email=r.email,
            status=r.status,
            sections=tuple(sorted(chosen[r.id])),
            timezone=r.timezone,
            language=r.language,
            digest_time=r.digest_time,
            created_at=r.created_at,
        )
        for r in rows
    ]


def save(
    conn: Connection, item: SubscriberInput, now: datetime, replace: bool = True
) -> tuple[int, str]:
    """Insert or update by email. Returns (id, 'new' | 'updated' | 'unchanged')."""
    existing = conn.execute(
        select(subscribers.c.id).where(subscribers.c.email == item.email)
    ).scalar_one_or_none()
    values = {
        "status": item.status,
        "all_sections": not item.sections,
        "timezone": item.timezone,
        "language": item.language,
        "digest_time": item.digest_time,
    }
    if item.status == "active":
        values["confirmed_at"] = now
    # A pending subscriber is owed a confirmation email now (again, if they asked again).
    values["confirm_due_at"] = now if item.status == "pending" else None
    values["confirm_attempts"] = 0
    if existing is None:
        subscriber_id = conn.execute(
            insert(subscribers)
            .values(email=item.email, created_at=now, **values)
            .returning(subscribers.c.id)
        ).scalar_one()
        outcome = "new"
    else:
        if not replace:
            return existing, "unchanged"
        subscriber_id = existing
        conn.execute(update(subscribers).where(subscribers.c.id == existing).values(**values))
        conn.execute(
            delete(subscriber_sections).where(subscriber_sections.c.subscriber_id == existing)
        )
        outcome = "updated"
    set_sections(conn, subscriber_id, item.sections, clear=False)
    return subscriber_id, outcome


def set_sections(
    conn: Connection, subscriber_id: int, sections: Sequence[str], clear: bool = True
) -> None:
    if clear:
        conn.execute(
            delete(subscriber_sections).where(subscriber_sections.c.subscriber_id == subscriber_id)
        )
    conn.execute(
        update(subscribers)
        .where(subscribers.c.id == subscriber_id)
        .values(all_sections=not sections)
    )
    if sections:
        conn.execute(
            insert(subscriber_sections),
            [{"subscriber_id": subscriber_id, "section": s} for s in sections],
        )


def remove(conn: Connection, email: str) -> bool:
    address = normalise_address(email)
    return conn.execute(delete(subscribers).where(subscribers.c.email == address)).rowcount > 0


@dataclass
class CsvReport:
    new: int = 0
    updated: int = 0
    errors: list[str] = field(default_factory=list)
    pending: list[int] = field(default_factory=list)  # ids that need a confirmation email


def import_csv(
    conn: Connection, settings: Settings, content: str, now: datetime, source: str = "csv"
) -> CsvReport:
    report = CsvReport()
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
            )
        except InputError as exc:
            report.errors.append(f"{source}:{line}: {exc}")
            continue
        subscriber_id, outcome = save(conn, item, now)
        if outcome == "new":
            report.new += 1
        else:
            report.updated += 1
        if item.status == "pending":
            report.pending.append(subscriber_id)
    return report


def to_csv(items: Iterable[Subscriber]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for s in items:
        writer.writerow(
            [s.email, ";".join(s.sections), s.timezone, s.language, s.digest_time, s.status]
        )
    return out.getvalue()
