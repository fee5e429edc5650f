"""What a command needs at hand: validated settings, the database engine, the clock."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from sqlalchemy import Engine

from syndicate import config, store
from syndicate.clock import Clock, SystemClock


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
        store.require_current(self.engine)
        return self.engine
