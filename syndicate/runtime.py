"""What a command needs at hand: validated settings, the database engine, the clock."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from syndicate import config, store
from syndicate.clock import Clock, SystemClock
from syndicate.dbproblems import database_failed
from syndicate.errors import OperationalError


@dataclass
class Runtime:
    config_path: Path | None = None
    verbose: bool = False
    clock: Clock = field(default_factory=SystemClock)
    _settings: config.Settings | None = None

    @property
    def settings(self) -> config.Settings:
        if self._settings is None:
            self._settings = config.load(self.config_path)
        return self._settings

    @cached_property
    def engine(self) -> Engine:
        return store.open_engine(self.settings.database.url)

    def ready_engine(self) -> Engine:
        """The engine, after checking the schema is current (`syndicate init` was run)."""
        try:
            store.require_current(self.engine)
        except OperationalError as exc:
            if isinstance(exc.__cause__, SQLAlchemyError):
                raise database_failed(exc.__cause__, self.settings.database.url) from exc
            raise
        return self.engine

    def migrate(self) -> str:
        """Create or upgrade the schema; a database that cannot be reached is one line."""
        try:
            return store.migrate(self.engine)
        except OperationalError as exc:
            if isinstance(exc.__cause__, SQLAlchemyError):
                raise database_failed(exc.__cause__, self.settings.database.url, "migrate") from exc
            raise
