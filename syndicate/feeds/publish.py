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

from sqlalchemy import Connection, Engine

from syndicate import metrics
from syndicate.clock import Clock
from syndicate.config import ALL_SLUG, Settings
from syndicate.feeds import marks, websub
from syndicate.feeds.build import build_feeds
from syndicate.feeds.entries import FEED_FILES
from syndicate.feeds.files import ensure_stylesheet, write_changed
from syndicate.store import articles, state
from syndicate.store.state import FeedState

log = logging.getLogger(__name__)
WEBSUB_PENDING = "feeds.websub_pending"
_LOCK_KEY = 7_310_554_201  # PostgreSQL advisory lock: one publisher at a time
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
        state.lock_feeds(conn, _LOCK_KEY)
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
        state.lock_feeds(conn, _LOCK_KEY)
        previous = marks.load(conn)
        if previous is None:
            targets = [*settings.section_slugs, ALL_SLUG]
            mark = marks.current(conn)
        else:
            ids, mark = marks.changes_since(conn, previous)
            touched = articles.sections_of(conn, ids) | _feeds_showing(conn, ids)
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
    states = state.feed_states(conn)
    now = clock.now()
    # A republish after an edit renders the same entries again; a build of many
    # sections meets each entry once or twice: only the former gains from reuse.
    reuse = len(targets) <= _REUSE_UP_TO
    for slug in targets:
        known = states.get(slug)
        fallback = (known.newest_at or known.built_at) if known is not None else now
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
        if known is not None and known.content_hash == digest and on_disk:
            report.unchanged.append(slug)
            continue
        names = write_changed(folder, built.files)
        state.save_feed_state(
            conn,
            FeedState(slug, digest, now, built.updated, tuple(built.article_ids)),
            known=known is not None,
        )
        if names:
            report.written[slug] = names
        else:  # the state was behind the files (e.g. a restored database)
            report.unchanged.append(slug)
    metrics.FEEDS_BUILT.inc(len(report.written))
    return report


def _articles_for(conn: Connection, settings: Settings, slug: str) -> list[Any]:
    # A few spare rows in case one cannot be shown.
    section = None if slug == ALL_SLUG else slug
    return articles.newest_in(conn, section, settings.feeds.items + 5)


def _hash(files: dict[str, bytes]) -> str:
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + files[name] + b"\0")
    return digest.hexdigest()


def _feeds_showing(conn: Connection, ids: set[int]) -> set[str]:
    """Sections whose published feed shows one of ``ids`` (it may have moved or gone)."""
    if not ids:
        return set()
    return {
        slug for slug, known in state.feed_states(conn).items() if ids.intersection(known.entry_ids)
    }


def _built_sections(conn: Connection) -> set[str]:
    return set(state.feed_states(conn))


def _notify_hub(engine: Engine, settings: Settings, clock: Clock, report: PublishReport) -> None:
    hub = settings.feeds.websub_hub
    if not hub:
        return
    fresh = _feed_urls(settings, report.written)
    with engine.connect() as conn:
        stored = state.get_mark(conn, WEBSUB_PENDING)
    pending = sorted(set(fresh) | set(json.loads(stored) if stored else []))
    if not pending:
        return
    report.websub_error = websub.notify(hub, pending)
    if report.websub_error is None:
        report.websub_sent = pending
    remaining = pending if report.websub_error else []
    if remaining or stored not in (None, "[]"):
        with engine.begin() as conn:
            state.set_mark(conn, WEBSUB_PENDING, json.dumps(remaining), clock.now())


def _feed_urls(settings: Settings, written: dict[str, list[str]]) -> list[str]:
    return [
        f"{settings.public_url}/feeds/{slug}/{name}"
        for slug, names in written.items()
        for name in names
    ]
