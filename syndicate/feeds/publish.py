"""Publishing: rebuild the feeds whose articles changed, write only what differs, ping the hub.

The database decides what to rebuild (``feed_state`` keeps each section's content
hash and the articles its feed shows); the files are only read when a hash says
a section changed, so an idle rebuild touches nothing on disk.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, func, insert, select, text, update

from syndicate import metrics
from syndicate.clock import Clock
from syndicate.config import ALL_SLUG, Settings
from syndicate.db import article_sections, articles, feed_state
from syndicate.feeds import marks, websub
from syndicate.feeds.build import build_feeds
from syndicate.feeds.entries import FEED_FILES
from syndicate.feeds.files import ensure_stylesheet, write_changed
from syndicate.ingest import load_articles

log = logging.getLogger(__name__)
WEBSUB_PENDING = "feeds.websub_pending"
_LOCK_KEY = 7_310_554_201  # PostgreSQL advisory lock: one publisher at a time
_CHUNK = 500
_REUSE_UP_TO = 8  # sections in one rebuild that still keep their built entries


@dataclass
class PublishReport:
    written: dict[str, list[str]] = field(default_factory=dict)  # section -> files written
    unchanged: list[str] = field(default_factory=list)
    stylesheet_written: bool = False
    websub_error: str | None = None
    websub_sent: list[str] = field(default_factory=list)
    trimmed: dict[str, int] = field(default_factory=dict)  # section -> entries left out

    @property
    def changed_sections(self) -> list[str]:
        return list(self.written)

    def lines(self) -> list[str]:
        out = [f"{slug}: written ({', '.join(names)})" for slug, names in self.written.items()]
        out += [f"{slug}: unchanged" for slug in self.unchanged]
        out += [
            f"{slug}: {count} oldest entries left out to fit [feeds] max_bytes"
            for slug, count in self.trimmed.items()
        ]
        if self.websub_sent:
            out.append(f"websub: hub told about {len(self.websub_sent)} feed URLs")
        if self.websub_error:
            out.append(f"websub: {self.websub_error}; will retry after the next build")
        return out


def publish(
    engine: Engine, settings: Settings, clock: Clock, sections: set[str] | None = None
) -> PublishReport:
    """Rebuild ``sections`` (None: every section) and ``all``; write those that changed."""
    with engine.begin() as conn:
        _lock(conn)
        if sections is None:
            targets = [*settings.section_slugs, ALL_SLUG]
            mark = marks.current(conn)  # read before building: later rows stay "changed"
        else:
            wanted = set(sections)
            targets = [s for s in settings.section_slugs if s in wanted] + [ALL_SLUG]
            mark = None
        report = _rebuild(conn, settings, clock, targets)
        if mark is not None:
            mark.save(conn, clock.now())
    _notify_hub(engine, settings, clock, report)
    return report


def poll(engine: Engine, settings: Settings, clock: Clock) -> PublishReport:
    """Rebuild only the feeds touched by articles changed since the last build."""
    with engine.begin() as conn:
        _lock(conn)
        previous = marks.load(conn)
        if previous is None:
            targets = [*settings.section_slugs, ALL_SLUG]
            mark = marks.current(conn)
        else:
            ids, mark = marks.changes_since(conn, previous)
            touched = _sections_of(conn, ids) | _feeds_showing(conn, ids)
            touched |= set(settings.section_slugs) - _built_sections(conn)
            targets = [s for s in settings.section_slugs if s in touched]
            if targets or ids:
                targets.append(ALL_SLUG)
        report = _rebuild(conn, settings, clock, targets)
        if mark is not None:
            mark.save(conn, clock.now())
    _notify_hub(engine, settings, clock, report)
    return report


# -- rebuilding ----------------------------------------------------------------------


def _rebuild(
    conn: Connection, settings: Settings, clock: Clock, targets: list[str]
) -> PublishReport:
    report = PublishReport()
    output = Path(settings.feeds.output_dir)
    if not targets:
        return report
    report.stylesheet_written = ensure_stylesheet(output)
    states = {row.section: row for row in conn.execute(select(feed_state))}
    now = clock.now()
    # A republish after an edit renders the same entries again; a build of many
    # sections meets each entry once or twice: only the former gains from reuse.
    reuse = len(targets) <= _REUSE_UP_TO
    for slug in targets:
        state = states.get(slug)
        fallback = (state.newest_at or state.built_at) if state is not None else now
        articles_shown = _articles_for(conn, settings, slug)
        built = build_feeds(settings, slug, articles_shown, fallback, reuse_entries=reuse)
        if built.dropped:
            report.trimmed[slug] = built.dropped
            log.warning(
                "%s: the %d oldest entries left out to keep each file under [feeds] max_bytes = %d",
                slug,
                built.dropped,
                settings.feeds.max_bytes,
            )
        digest = _hash(built.files)
        folder = output / slug
        on_disk = all((folder / name).exists() for name in FEED_FILES)
        if state is not None and state.content_hash == digest and on_disk:
            report.unchanged.append(slug)
            continue
        names = write_changed(folder, built.files)
        values = {
            "content_hash": digest,
            "built_at": now,
            "newest_at": built.updated,
            "entry_ids": json.dumps(built.article_ids),
        }
        if state is None:
            conn.execute(insert(feed_state).values(section=slug, **values))
        else:
            conn.execute(update(feed_state).where(feed_state.c.section == slug).values(**values))
        if names:
            report.written[slug] = names
        else:  # the state was behind the files (e.g. a restored database)
            report.unchanged.append(slug)
    metrics.FEEDS_BUILT.inc(len(report.written))
    return report


def _articles_for(conn: Connection, settings: Settings, slug: str) -> list[Any]:
    newest_first = [
        func.coalesce(articles.c.published_at, articles.c.first_seen_at).desc(),
        articles.c.guid.desc(),
    ]
    where: Any = articles.c.withdrawn.is_(False)
    if slug != ALL_SLUG:
        members = select(article_sections.c.article_id).where(article_sections.c.section == slug)
        where = where & articles.c.id.in_(members)
    # Sort narrow rows, then load only the winners: sorting whole rows (bodies included)
    # costs most of the time for `all`. A few spare rows in case one cannot be shown.
    ids = conn.execute(
        select(articles.c.id).where(where).order_by(*newest_first).limit(settings.feeds.items + 5)
    ).scalars()
    return load_articles(conn, articles.c.id.in_(list(ids)))


def _hash(files: dict[str, bytes]) -> str:
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + files[name] + b"\0")
    return digest.hexdigest()


def _sections_of(conn: Connection, ids: set[int]) -> set[str]:
    found: set[str] = set()
    listed = sorted(ids)
    for start in range(0, len(listed), _CHUNK):
        chunk = listed[start : start + _CHUNK]
        query = select(article_sections.c.section).where(article_sections.c.article_id.in_(chunk))
        found.update(conn.execute(query.distinct()).scalars())
    return found


def _feeds_showing(conn: Connection, ids: set[int]) -> set[str]:
    """Sections whose published feed shows one of ``ids`` (it may have moved or gone)."""
    if not ids:
        return set()
    found = set()
    for slug, entry_ids in conn.execute(select(feed_state.c.section, feed_state.c.entry_ids)):
        if entry_ids and ids.intersection(json.loads(entry_ids)):
            found.add(slug)
    return found


def _built_sections(conn: Connection) -> set[str]:
    return set(conn.execute(select(feed_state.c.section)).scalars())


def _lock(conn: Connection) -> None:
    # SQLite transactions already begin IMMEDIATE (one writer at a time).
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})


def _notify_hub(engine: Engine, settings: Settings, clock: Clock, report: PublishReport) -> None:
    hub = settings.feeds.websub_hub
    if not hub:
        return
    fresh = _feed_urls(settings, report.written)
    with engine.connect() as conn:
        stored = marks.get_state(conn, WEBSUB_PENDING)
    pending = sorted(set(fresh) | set(json.loads(stored) if stored else []))
    if not pending:
        return
    report.websub_error = websub.notify(hub, pending)
    if report.websub_error is None:
        report.websub_sent = pending
    remaining = pending if report.websub_error else []
    if remaining or stored not in (None, "[]"):
        with engine.begin() as conn:
            marks.set_state(conn, WEBSUB_PENDING, json.dumps(remaining), clock.now())


def _feed_urls(settings: Settings, written: dict[str, list[str]]) -> list[str]:
    return [
        f"{settings.public_url}/feeds/{slug}/{name}"
        for slug, names in written.items()
        for name in names
    ]
