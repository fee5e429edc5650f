"""Schema migrations (Alembic): bring a database up to the newest revision, or refuse it."""

from __future__ import annotations

from pathlib import Path

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
