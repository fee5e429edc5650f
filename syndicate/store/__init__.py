"""The store: the only package with SQL. Tables, migrations and named operations per aggregate.

Callers hand in and get back plain data (dataclasses, ids, dates); no SQLAlchemy
clause crosses this boundary.
"""

from syndicate.store.engine import make_engine, open_engine, scratch_database
from syndicate.store.schema import current_revision, head_revision, migrate, require_current

__all__ = [
    "current_revision",
    "head_revision",
    "make_engine",
    "migrate",
    "open_engine",
    "require_current",
    "scratch_database",
]
