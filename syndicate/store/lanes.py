"""SQL for the editorial lanes: which readers an edition date is for (cadence, weekday)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import ColumnElement, or_

from syndicate.store.tables import subscribers
from syndicate.subscribers.cadence import weekday_of


def edition_day(edition_date: date) -> ColumnElement[bool]:
    """Readers who get an edition on ``edition_date``: every daily one, and the weekly
    ones whose weekday it is (the rule of ``subscribers.cadence.is_edition_day``)."""
    return or_(
        subscribers.c.cadence != "weekly",
        subscribers.c.weekday == weekday_of(edition_date),
    )
