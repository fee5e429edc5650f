"""One scheduler at a time: a PostgreSQL session advisory lock on a dedicated connection.

Every ``syndicate run`` process delivers from the shared outbox, but the
scheduled jobs (poll, digest tick) should run on one node at a time. Each
process calls ``acquire()`` before each scheduled job: the holder checks its
lock connection is still alive; the others try ``pg_try_advisory_lock``, which
never waits. When the holder dies, PostgreSQL ends its session and frees the
lock, and the next job on another node takes it: takeover within one job
interval, plus (when a machine vanishes without closing its TCP connection) the
keepalive timeout set below.

The lock saves duplicate work; it is not what keeps editions unique. The outbox's
unique key (a digest per subscriber and edition date) does that, so a brief
overlap while a lost holder notices is harmless.

On SQLite there is no lock: SQLite serves one machine, and one ``syndicate
run`` process there schedules alone (``LocalLock``).
"""

from __future__ import annotations

import contextlib
import logging
from typing import Protocol

from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

log = logging.getLogger(__name__)

# pg_try_advisory_lock takes a bigint; this one reads "syndsche" in ASCII.
LOCK_KEY = 0x73796E6473636865
# How fast the server notices a holder whose machine vanished: idle + interval * count seconds.
KEEPALIVE = {
    "keepalives": 1,
    "keepalives_idle": 10,
    "keepalives_interval": 5,
    "keepalives_count": 3,
}


class SchedulerLock(Protocol):
    def acquire(self) -> bool:
        """True when this process holds the lock now (taking it if it is free)."""
        ...

    def release(self) -> None: ...


class LocalLock:
    """SQLite: a single process schedules; nothing to coordinate."""

    def acquire(self) -> bool:
        return True

    def release(self) -> None:
        pass


class AdvisoryLock:
    def __init__(self, engine: Engine, key: int = LOCK_KEY) -> None:
        # A connection of its own, outside the pool: the lock lives as long as it does.
        self._engine = create_engine(engine.url, poolclass=NullPool, connect_args=dict(KEEPALIVE))
        self.key = key
        self._conn: Connection | None = None
        self.held = False

    def acquire(self) -> bool:
        try:
            if self._conn is None:
                self._conn = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
                self._conn.execute(
                    text(
                        "SELECT set_config('tcp_keepalives_idle', '10', false),"
                        " set_config('tcp_keepalives_interval', '5', false),"
                        " set_config('tcp_keepalives_count', '3', false)"
                    )
                )
            if self.held:
                self._conn.execute(text("SELECT 1"))
            else:
                self.held = bool(
                    self._conn.execute(
                        text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key}
                    ).scalar()
                )
                if self.held:
                    log.info("this node now runs the scheduled jobs (advisory lock taken)")
        except DBAPIError as exc:
            if self.held:
                log.warning("lost the scheduler lock connection: %s", exc.orig or exc)
            self._drop()
        return self.held

    def release(self) -> None:
        if self._conn is not None and self.held:
            with contextlib.suppress(DBAPIError):
                self._conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self.key})
        self._drop()
        self._engine.dispose()

    def _drop(self) -> None:
        self.held = False
        if self._conn is not None:
            with contextlib.suppress(DBAPIError):
                self._conn.close()
            self._conn = None


def lock_for(engine: Engine) -> SchedulerLock:
    return AdvisoryLock(engine) if engine.dialect.name == "postgresql" else LocalLock()
