"""Articles: upsert by guid (a handful of queries per batch, never one per field) and the
few ways the steps read them back."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, delete, func, insert, select, update

from syndicate.articles import Article, ArticleInput
from syndicate.store.tables import article_sections, articles
from syndicate.store.upsert import insert_ignoring_conflicts

_CHUNK = 500


@dataclass
class UpsertResult:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    changed_sections: set[str] = field(default_factory=set)
    outcome: dict[str, str] = field(default_factory=dict)  # guid -> new | updated | unchanged


def _row(record: ArticleInput, content_hash: str, now: datetime) -> dict[str, Any]:
    return {
        "guid": record.guid,
        "url": record.url,
        "section": record.section,
        "headline": record.headline,
        "lede": record.lede,
        "lede_is_teaser": record.lede_is_teaser,
        "body": record.body,
        "image_url": record.image_url,
        "image_alt": record.image_alt,
        "image_caption": record.image_caption,
        "image_credit": record.image_credit,
        "byline": record.byline,
        "language": record.language,
        "published_at": record.published_at,
        "updated_at": record.updated_at or now,
        "changed_at": now,
        "withdrawn": record.withdrawn,
        "breaking": record.breaking,
        "correction": record.correction,
        "content_hash": content_hash,
    }


def upsert(conn: Connection, records: Sequence[ArticleInput], now: datetime) -> UpsertResult:
    """Insert new articles, update changed ones, leave identical ones alone.

    ``now`` is the store's clock: it becomes ``first_seen_at`` for new articles,
    which is what "new since the last digest" is measured against.
    """
    result = UpsertResult()
    latest: dict[str, ArticleInput] = {}
    for record in records:  # the last copy of a guid within one batch wins
        latest[record.guid] = record
    hashes = {guid: record.content_hash() for guid, record in latest.items()}

    # Rows are locked in guid order, and new ones go in in that order, so two batches
    # racing over the same guids wait for each other instead of deadlocking.
    guids = sorted(latest)
    existing = _existing(conn, guids)
    section_rows: list[dict[str, Any]] = []
    fresh = [g for g in guids if g not in existing]
    inserted: set[str] = set()
    if fresh:
        new_rows = [_row(latest[g], hashes[g], now) | {"first_seen_at": now} for g in fresh]
        # A guid another transaction added since the look above is not inserted
        # again: it is compared with what that one stored, as if it came after.
        for article_id, guid in insert_ignoring_conflicts(
            conn,
            articles,
            new_rows,
            index_elements=["guid"],
            returning=(articles.c.id, articles.c.guid),
        ):
            inserted.add(guid)
            section_rows.extend(_section_rows(article_id, latest[guid].sections))
        existing.update(_existing(conn, [g for g in fresh if g not in inserted]))

    changed_rows: list[dict[str, Any]] = []
    for guid, record in latest.items():
        if guid in inserted:
            result.new += 1
            result.outcome[guid] = "new"
            result.changed_sections.update(record.sections)
        elif existing[guid][1] != hashes[guid]:
            row = _row(record, hashes[guid], now)
            row["b_id"] = existing[guid][0]
            changed_rows.append(row)
            result.updated += 1
            result.outcome[guid] = "updated"
            result.changed_sections.update(record.sections)
            result.changed_sections.add(existing[guid][2])
        else:
            result.unchanged += 1
            result.outcome[guid] = "unchanged"

    if changed_rows:
        ids = [row["b_id"] for row in changed_rows]
        # Old section memberships (an article can move) matter for which feeds change.
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            for (section,) in conn.execute(
                select(article_sections.c.section).where(article_sections.c.article_id.in_(chunk))
            ):
                result.changed_sections.add(section)
            conn.execute(delete(article_sections).where(article_sections.c.article_id.in_(chunk)))
        columns: dict[str, Any] = {key: bindparam(key) for key in changed_rows[0] if key != "b_id"}
        conn.execute(
            update(articles).where(articles.c.id == bindparam("b_id")).values(columns),
            changed_rows,
        )
        for row in changed_rows:
            section_rows.extend(_section_rows(row["b_id"], latest[row["guid"]].sections))
    if section_rows:
        conn.execute(insert(article_sections), section_rows)
    return result


def _existing(conn: Connection, guids: Sequence[str]) -> dict[str, tuple[int, str, str]]:
    """guid -> (id, content hash, home section) of those stored, each row locked (PostgreSQL)
    until the transaction ends, so a concurrent update of it waits and then sees this one's."""
    found: dict[str, tuple[int, str, str]] = {}
    for start in range(0, len(guids), _CHUNK):
        chunk = guids[start : start + _CHUNK]
        query = (
            select(articles.c.guid, articles.c.id, articles.c.content_hash, articles.c.section)
            .where(articles.c.guid.in_(chunk))
            .order_by(articles.c.guid)
            .with_for_update()
        )
        for guid, article_id, content_hash, section in conn.execute(query):
            found[guid] = (article_id, content_hash, section)
    return found


def _section_rows(article_id: int, sections: Iterable[str]) -> list[dict[str, Any]]:
    return [
        {"article_id": article_id, "section": slug, "position": position}
        for position, slug in enumerate(sections)
    ]


# -- reading back ------------------------------------------------------------------


def _attach_sections(conn: Connection, rows: Sequence[Any]) -> list[Article]:
    ids = [row.id for row in rows]
    sections: dict[int, list[tuple[int, str]]] = {i: [] for i in ids}
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        for article_id, section, position in conn.execute(
            select(
                article_sections.c.article_id,
                article_sections.c.section,
                article_sections.c.position,
            ).where(article_sections.c.article_id.in_(chunk))
        ):
            sections[article_id].append((position, section))
    out = []
    for row in rows:
        data = row._asdict()
        data.pop("changed_at", None)
        data.pop("content_hash", None)
        home = data.pop("section")
        slugs = tuple(s for _, s in sorted(sections[row.id])) or (home,)
        out.append(Article(sections=slugs, **data))
    return out


def _load(conn: Connection, where: Any) -> list[Article]:
    query = select(articles).where(where).order_by(articles.c.id)
    return _attach_sections(conn, conn.execute(query).all())


def get(conn: Connection, guid: str) -> Article | None:
    found = _load(conn, articles.c.guid == guid)
    return found[0] if found else None


def first_seen_between(conn: Connection, start: datetime, end: datetime) -> list[Article]:
    """Articles first seen in (start, end] that are still published, in id order."""
    return _load(
        conn,
        (articles.c.first_seen_at > start)
        & (articles.c.first_seen_at <= end)
        & articles.c.withdrawn.is_(False),
    )


def newest_in(conn: Connection, section: str | None, limit: int) -> list[Article]:
    """Up to ``limit`` published articles of ``section`` (None: every section), newest first
    by publication time, else first seen (not sorted in the list handed back)."""
    newest_first = [
        func.coalesce(articles.c.published_at, articles.c.first_seen_at).desc(),
        articles.c.guid.desc(),
    ]
    where: Any = articles.c.withdrawn.is_(False)
    if section is not None:
        members = select(article_sections.c.article_id).where(article_sections.c.section == section)
        where = where & articles.c.id.in_(members)
    # Sort narrow rows, then load only the winners: sorting whole rows (bodies included)
    # costs most of the time for `all`.
    ids = conn.execute(
        select(articles.c.id).where(where).order_by(*newest_first).limit(limit)
    ).scalars()
    return _load(conn, articles.c.id.in_(list(ids)))


def sections_of(conn: Connection, ids: set[int]) -> set[str]:
    """Every section any of these articles is filed in."""
    found: set[str] = set()
    listed = sorted(ids)
    for start in range(0, len(listed), _CHUNK):
        chunk = listed[start : start + _CHUNK]
        query = select(article_sections.c.section).where(article_sections.c.article_id.in_(chunk))
        found.update(conn.execute(query.distinct()).scalars())
    return found


def newest_change(conn: Connection) -> datetime | None:
    return conn.execute(select(func.max(articles.c.changed_at))).scalar()


def changed_since(conn: Connection, moment: datetime) -> list[tuple[int, datetime]]:
    """(id, changed_at) of every article changed after ``moment``."""
    query = select(articles.c.id, articles.c.changed_at).where(articles.c.changed_at > moment)
    return [(row.id, row.changed_at) for row in conn.execute(query)]


def count(conn: Connection) -> int:
    return conn.execute(select(func.count()).select_from(articles)).scalar_one()


def seen_sections_between(
    conn: Connection, start: datetime, end: datetime
) -> list[tuple[datetime, str]]:
    """(first_seen_at, section) for each section of each published article first seen in
    (start, end]: what the edition archive counts, without loading the articles."""
    query = (
        select(articles.c.first_seen_at, article_sections.c.section)
        .join(article_sections, article_sections.c.article_id == articles.c.id)
        .where(
            (articles.c.first_seen_at > start)
            & (articles.c.first_seen_at <= end)
            & articles.c.withdrawn.is_(False)
        )
    )
    return [(row.first_seen_at, row.section) for row in conn.execute(query)]


def oldest_first_seen(conn: Connection) -> datetime | None:
    """When the first article still published was first seen (None: there is none)."""
    query = select(func.min(articles.c.first_seen_at)).where(articles.c.withdrawn.is_(False))
    return conn.execute(query).scalar()


def by_ids(conn: Connection, ids: Iterable[int]) -> list[Article]:
    """These articles (withdrawn ones too), in id order."""
    wanted = sorted(set(ids))
    found: list[Article] = []
    for start in range(0, len(wanted), _CHUNK):
        found.extend(_load(conn, articles.c.id.in_(wanted[start : start + _CHUNK])))
    return found


def breaking_changed_since(conn: Connection, moment: datetime) -> list[Article]:
    """Published breaking articles stored or changed after ``moment``, in id order."""
    return _load(
        conn,
        (articles.c.changed_at > moment)
        & articles.c.breaking.is_(True)
        & articles.c.withdrawn.is_(False),
    )
