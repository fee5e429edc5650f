"""Identity in the store: ids are never handed out twice, each row has its own link key,
and 0007 makes an existing SQLite database so without losing a row; SQLite and PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine, func, select, text

from syndicate import store
from syndicate.articles import ArticleInput
from syndicate.store import outbox as outbox_store
from syndicate.store import schema
from syndicate.store import subscribers as subscriber_store
from syndicate.store.articles import upsert
from syndicate.store.tables import (
    article_sections,
    articles,
    outbox,
    subscriber_sections,
    subscribers,
)
from syndicate.subscribers import Actor, SubscriberInput
from tests.conftest import POSTGRES_ENV

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def person(email: str, status: str = "pending", sections: tuple[str, ...] = ()) -> SubscriberInput:
    return SubscriberInput(email, sections, "UTC", "en", "07:00", status)


def save(engine: Engine, email: str, status: str = "pending") -> int:
    with engine.begin() as conn:
        saved = subscriber_store.save(conn, person(email, status), NOW, Actor.OPERATOR)
    assert saved.id is not None
    return saved.id


def remove(engine: Engine, email: str) -> None:
    with engine.begin() as conn:
        assert subscriber_store.remove(conn, email)


def test_a_removed_subscribers_id_and_key_go_to_no_one(engine: Engine) -> None:
    first = save(engine, "first@example.org")
    last = save(engine, "last@example.org")
    with engine.connect() as conn:
        old = subscriber_store.get(conn, last)
        old_confirmation = conn.execute(select(func.max(outbox.c.id))).scalar_one()
    assert old is not None and len(old.link_key) >= 16
    remove(engine, "last@example.org")
    newcomer = save(engine, "newcomer@example.org")
    back = save(engine, "last@example.org")
    with engine.connect() as conn:
        rows = {s.email: s for s in subscriber_store.list_all(conn)}
        newest_confirmation = conn.execute(select(func.max(outbox.c.id))).scalar_one()
    assert newcomer > last and back > newcomer > first
    keys = [s.link_key for s in rows.values()] + [old.link_key]
    assert len(set(keys)) == len(keys) == 4
    assert not any(s.unkeyed_links for s in rows.values())
    # The confirmation rows of the removed subscriber went with them; their ids stay used.
    assert newest_confirmation > old_confirmation
    with engine.begin() as conn:
        outbox_store.enqueue_confirmation(conn, back, "last@example.org", NOW)
        assert conn.execute(select(func.max(outbox.c.id))).scalar_one() > newest_confirmation


def _article(guid: str) -> ArticleInput:
    return ArticleInput(
        guid=guid,
        url=guid,
        sections=("world",),
        headline="Headline",
        lede="Lede.",
        body="<p>Body.</p>",
    )


def test_article_ids_are_not_reused(engine: Engine) -> None:
    with engine.begin() as conn:
        upsert(
            conn,
            [_article("https://news.example.org/a"), _article("https://news.example.org/b")],
            NOW,
        )
        last = conn.execute(select(func.max(articles.c.id))).scalar_one()
        conn.execute(articles.delete().where(articles.c.id == last))
        upsert(conn, [_article("https://news.example.org/c")], NOW)
        assert conn.execute(select(func.max(articles.c.id))).scalar_one() == last + 1


# -- 0007 on a database that has rows --------------------------------------------------


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.db'}"
        return
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        pytest.skip(f"PostgreSQL skipped: set {POSTGRES_ENV}")
    with store.scratch_database(base, "syndicate_identity") as url:
        yield url


def _naive(moment: datetime) -> datetime:
    return moment.replace(tzinfo=None)


def _fill_at_0006(engine: Engine) -> None:
    """Three subscribers with sections and outbox rows, an article; the last subscriber removed."""
    with engine.begin() as conn:
        for sid in (1, 2, 3):
            conn.execute(
                text(
                    "INSERT INTO subscribers (id, email, status, all_sections, timezone, language,"
                    " digest_time, hard_bounces, created_at)"
                    " VALUES (:id, :email, 'active', false, 'UTC', 'en', '07:00', 0, :at)"
                ),
                {"id": sid, "email": f"reader{sid}@example.org", "at": _naive(NOW)},
            )
            conn.execute(
                text(
                    "INSERT INTO subscriber_sections (subscriber_id, section) VALUES (:id, 'world')"
                ),
                {"id": sid},
            )
            for day in (date(2026, 11, 29), date(2026, 11, 30)):
                conn.execute(
                    text(
                        "INSERT INTO outbox (kind, key, subscriber_id, edition_date, window_start,"
                        " window_end, state, article_count, recipient, message_id, attempts,"
                        " created_at) VALUES ('digest', :key, :id, :day, :start, :end, 'sent', 1,"
                        " :email, '<m@x>', 1, :end)"
                    ),
                    {
                        "key": f"{sid}/{day}",
                        "id": sid,
                        "day": day,
                        "start": _naive(NOW - timedelta(days=2)),
                        "end": _naive(NOW - timedelta(days=1)),
                        "email": f"reader{sid}@example.org",
                    },
                )
        conn.execute(
            text(
                "INSERT INTO articles (id, guid, url, section, headline, lede, lede_is_teaser,"
                " body, updated_at, first_seen_at, changed_at, withdrawn, content_hash)"
                " VALUES (1, 'g1', 'https://news.example.org/1', 'world', 'H', 'L', false, '',"
                " :at, :at, :at, false, 'x')"
            ),
            {"at": _naive(NOW)},
        )
        conn.execute(
            text(
                "INSERT INTO article_sections (article_id, section, position) VALUES (1, 'world', 0)"
            )
        )
        if conn.dialect.name == "postgresql":  # explicit ids leave the sequences behind
            conn.execute(text("SELECT setval('subscribers_id_seq', 3)"))
            conn.execute(text("SELECT setval('outbox_id_seq', 6)"))
            conn.execute(text("SELECT setval('articles_id_seq', 1)"))
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM subscribers WHERE id = 3"))


def _counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            table.name: conn.execute(select(func.count()).select_from(table)).scalar_one()
            for table in (subscribers, subscriber_sections, outbox, articles, article_sections)
        }


def test_0007_keeps_every_row_and_gives_each_subscriber_a_key(fresh_url: str) -> None:
    engine = store.open_engine(fresh_url)
    try:
        schema.upgrade(engine, "0006kinds")
        _fill_at_0006(engine)
        before = _counts(engine)
        assert before == {
            "subscribers": 2,
            "subscriber_sections": 2,
            "outbox": 4,
            "articles": 1,
            "article_sections": 1,
        }
        store.migrate(engine)
        store.require_current(engine)
        assert _counts(engine) == before
        with engine.connect() as conn:
            rows = subscriber_store.list_all(conn)
            assert [(s.id, s.sections) for s in rows] == [(1, ("world",)), (2, ("world",))]
            assert all(s.unkeyed_links and len(s.link_key) >= 16 for s in rows)
            assert len({s.link_key for s in rows}) == 2
            if conn.dialect.name == "sqlite":
                assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
                assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        # Foreign keys still hold after the rebuild: removing a subscriber takes their rows.
        with engine.begin() as conn:
            subscriber_store.remove(conn, "reader2@example.org")
        after = _counts(engine)
        assert (after["subscriber_sections"], after["outbox"]) == (1, 2)
        # The id of the row removed before the upgrade may come back once (nothing
        # recorded it), but with a key of its own and no keyless links.
        newcomer = save(engine, "newcomer@example.org")
        again = save(engine, "again@example.org")
        with engine.connect() as conn:
            fresh = subscriber_store.get(conn, newcomer)
        assert fresh is not None and not fresh.unkeyed_links
        assert newcomer >= 3 and again > newcomer
    finally:
        engine.dispose()


def test_0007_refuses_to_rebuild_sqlite_with_foreign_keys_on(tmp_path: Path) -> None:
    engine = store.open_engine(f"sqlite:///{tmp_path / 'old.db'}")
    try:
        schema.upgrade(engine, "0006kinds")
        _fill_at_0006(engine)
        cfg = schema._alembic_config(engine)
        # The engine turns foreign keys on for every connection.
        with pytest.raises(RuntimeError, match="foreign_keys=OFF"), engine.begin() as connection:
            cfg.attributes["connection"] = connection
            command.upgrade(cfg, "head")
        assert _counts(engine)["outbox"] == 4
        assert store.current_revision(engine) == "0006kinds"
    finally:
        engine.dispose()
