"""The article store on real SQLite files and a real PostgreSQL."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import Engine, func, inspect, select, text

from syndicate import store
from syndicate.articles import parse_json
from syndicate.clock import FixedClock
from syndicate.config import Settings
from syndicate.store.articles import get as get_article
from syndicate.store.articles import upsert
from syndicate.store.tables import article_sections, articles
from tests.conftest import article_json


def test_migrate_is_idempotent(engine: Engine) -> None:
    assert store.migrate(engine) == store.head_revision()
    assert store.migrate(engine) == store.head_revision()
    names = set(inspect(engine).get_table_names())
    assert {"articles", "subscribers", "outbox", "feed_state", "article_sections"} <= names


# Reflection cannot read the expression index on articles; the rest is compared.
@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based")
def test_the_migrations_build_exactly_the_tables_the_code_declares(engine: Engine) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from syndicate.store.tables import metadata

    with engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), metadata)
    assert differences == []


def test_sqlite_runs_in_wal_mode(tmp_path) -> None:  # type: ignore[no-untyped-def]
    engine = store.open_engine(f"sqlite:///{tmp_path / 'wal.db'}")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 30000


def test_new_unchanged_updated(engine: Engine, db_settings: Settings, clock: FixedClock) -> None:
    record = parse_json(article_json(sections=["world", "politics"]), db_settings)
    with engine.begin() as conn:
        first = upsert(conn, [record], clock.now())
    assert (first.new, first.updated, first.unchanged) == (1, 0, 0)
    assert first.changed_sections == {"world", "politics"}
    seen_at = clock.now()

    clock.advance(hours=1)
    with engine.begin() as conn:
        again = upsert(conn, [record], clock.now())
    assert (again.new, again.updated, again.unchanged) == (0, 0, 1)
    assert again.changed_sections == set()

    clock.advance(hours=1)
    moved = replace(record, headline="A new headline", sections=("mundo",))
    with engine.begin() as conn:
        changed = upsert(conn, [moved], clock.now())
    assert (changed.new, changed.updated) == (0, 1)
    assert changed.changed_sections == {"world", "politics", "mundo"}
    with engine.connect() as conn:
        stored = get_article(conn, record.guid)
        assert stored is not None
        assert stored.headline == "A new headline"
        assert stored.sections == ("mundo",)
        assert stored.first_seen_at == seen_at  # an update is not news again
        assert stored.updated_at == clock.now()
        assert conn.execute(select(func.count()).select_from(article_sections)).scalar() == 1


def test_guid_is_unique(engine: Engine, db_settings: Settings, clock: FixedClock) -> None:
    a = parse_json(article_json(guid="same", url="https://news.example.org/a"), db_settings)
    b = parse_json(article_json(guid="same", url="https://news.example.org/b"), db_settings)
    with engine.begin() as conn:
        result = upsert(conn, [a, b], clock.now())
    assert result.new == 1
    with engine.connect() as conn:
        assert conn.execute(select(articles.c.url)).scalar_one() == "https://news.example.org/b"


def test_large_body_and_many_records(
    engine: Engine, db_settings: Settings, clock: FixedClock
) -> None:
    body = "<p>" + ("palabra " * 250_000) + "</p>"
    records = [
        parse_json(
            article_json(url=f"https://news.example.org/{i}", body=body if i == 0 else "x"),
            db_settings,
        )
        for i in range(1200)
    ]
    with engine.begin() as conn:
        result = upsert(conn, records, clock.now())
    assert result.new == 1200
    with engine.connect() as conn:
        stored = get_article(conn, "https://news.example.org/0")
    assert stored is not None and len(stored.body) > 2_000_000
