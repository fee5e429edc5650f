"""Opening the database and running migrations."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from syndicate.db import make_engine
from syndicate.errors import OperationalError

MIGRATIONS = Path(__file__).parent / "migrations"


def _alembic_config(engine: Engine) -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return cfg


def open_engine(url: str) -> Engine:
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    return make_engine(url)


def migrate(engine: Engine) -> str:
    """Create or upgrade the schema to the newest revision; idempotent. Returns the revision."""
    cfg = _alembic_config(engine)
    try:
        with engine.begin() as connection:
            cfg.attributes["connection"] = connection
            command.upgrade(cfg, "head")
            return current_revision(engine, connection) or ""
    except SQLAlchemyError as exc:
        raise OperationalError(
            f"database migration failed: {exc.__class__.__name__}: {exc.orig if hasattr(exc, 'orig') else exc}",
            hint="check [database] url and that the database server is reachable",
        ) from exc


def current_revision(engine: Engine, connection=None) -> str | None:
    if connection is None:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str:
    script = ScriptDirectory(str(MIGRATIONS))
    return script.get_current_head() or ""


def require_current(engine: Engine) -> None:
    """Refuse to run on a database that `syndicate init` has not brought up to date."""
    try:
        current = current_revision(engine)
    except SQLAlchemyError as exc:
        raise OperationalError(
            f"cannot open the database: {exc}", hint="check [database] url"
        ) from exc
    if current != head_revision():
        raise OperationalError(
            "the database is not initialised or needs migrating",
            hint="run `syndicate init`",
        )


@contextmanager
def scratch_database(server_url: str, prefix: str = "syndicate_scratch") -> Iterator[str]:
    """A new, empty PostgreSQL database on that server for the block; dropped after it."""
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            )
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()
