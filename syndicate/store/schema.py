"""Schema migrations (Alembic): bring a database up to the newest revision, or refuse it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from syndicate.errors import OperationalError

MIGRATIONS = Path(__file__).parent / "migrations"


def _alembic_config(engine: Engine) -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> str:
    """Bring the schema to ``revision`` in one transaction; returns the revision reached.

    On SQLite foreign keys are off meanwhile (the pragma only takes effect outside a
    transaction): a migration that rebuilds a table drops the old one, and with
    them on that drop would delete every row referring to it. The migration
    checks the keys itself before it commits.
    """
    cfg = _alembic_config(engine)
    with engine.connect() as connection:
        raw: Any = connection.connection.driver_connection
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            raw.execute("PRAGMA foreign_keys=OFF")
        try:
            with connection.begin():
                cfg.attributes["connection"] = connection
                command.upgrade(cfg, revision)
                return current_revision(engine, connection) or ""
        finally:
            if sqlite:
                raw.execute("PRAGMA foreign_keys=ON")


def migrate(engine: Engine) -> str:
    """Create or upgrade the schema to the newest revision; idempotent. Returns the revision."""
    try:
        return upgrade(engine)
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
