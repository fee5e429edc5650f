"""Putting articles into a test database the way ingest does."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from syndicate.articles import parse_json
from syndicate.config import Settings
from syndicate.ingest import upsert
from tests.conftest import article_json


def add_articles(engine: Engine, settings: Settings, when: datetime, *records: Any) -> None:
    """Upsert one article per record (``article_json`` overrides), first seen at ``when``."""
    with engine.begin() as conn:
        upsert(conn, [parse_json(article_json(**r), settings) for r in records], when)
