"""Shared fixtures: config files, real SQLite files and (when available) a real PostgreSQL."""

from __future__ import annotations

import os
import textwrap
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text

from syndicate import config, store
from syndicate.clock import FixedClock
from syndicate.store.tables import metadata

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT.parent / "shared" / "seeds"
SEED_ARTICLE = SEEDS / "world-article.txt"
POSTGRES_ENV = "SYNDICATE_TEST_POSTGRES_URL"

BASE_CONFIG = """
[site]
title = "Test News"
url = "https://news.example.org"
language = "en"
timezone = "America/Lima"

[[sections]]
slug = "world"
title = "World"
description = "International news"

[[sections]]
slug = "politics"
title = "Politics"
description = "Politics and government"

[[sections]]
slug = "mundo"
title = "Mundo"
description = "Noticias internacionales"
language = "es"

[server]
public_url = "https://feeds.example.org"
"""


def write_config(folder: Path, extra: str = "", database_url: str | None = None) -> Path:
    body = textwrap.dedent(BASE_CONFIG)
    if database_url:
        body = f'[database]\nurl = "{database_url}"\n' + body
    path = folder / "config.toml"
    path.write_text(body + textwrap.dedent(extra), encoding="utf-8")
    return path


def seed_article() -> Path:
    """The publisher's sample export in ../shared/seeds; the test is skipped without it."""
    if not SEED_ARTICLE.is_file():
        pytest.skip(
            f"seed article skipped: {SEED_ARTICLE} is absent (a clone without ../shared/seeds "
            "beside it); examples/articles covers the import format"
        )
    return SEED_ARTICLE


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 11, 28, 12, 0, tzinfo=UTC))


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    return write_config(tmp_path)


@pytest.fixture
def settings(config_path: Path) -> config.Settings:
    return config.load(
        config_path, env={"SYNDICATE_SECRET": "test-secret", "SYNDICATE_API_TOKEN": "test-token"}
    )


# -- databases -------------------------------------------------------------------


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, dropped at the end."""
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        pytest.skip(f"PostgreSQL skipped: set {POSTGRES_ENV} (make test sets it when one answers)")
    with store.scratch_database(base, "syndicate_test") as url:
        yield url


def _truncate(engine: Engine) -> None:
    with engine.begin() as conn:
        names = ", ".join(t.name for t in reversed(metadata.sorted_tables))
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Each store test runs on a real SQLite file and on a real PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
        return
    url = request.getfixturevalue("postgres_url")
    engine = store.open_engine(url)
    store.migrate(engine)
    _truncate(engine)
    engine.dispose()
    yield url


@pytest.fixture
def db_settings(tmp_path: Path, db_url: str) -> config.Settings:
    path = write_config(tmp_path, database_url=db_url)
    return config.load(
        path, env={"SYNDICATE_SECRET": "test-secret", "SYNDICATE_API_TOKEN": "test-token"}
    )


@pytest.fixture
def engine(db_settings: config.Settings) -> Iterator[Engine]:
    engine = store.open_engine(db_settings.database.url)
    store.migrate(engine)
    yield engine
    engine.dispose()


def article_json(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "url": "https://news.example.org/world/story-1",
        "section": "world",
        "headline": "A headline",
        "lede": "A complete lede.",
        "body": "<p>Body text.</p>",
    }
    data.update(overrides)
    return data
