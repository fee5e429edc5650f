"""How often a reader gets an edition: every day, or once a week on a chosen weekday.

Pure: the slot logic (``slots``) says when a (timezone, digest_time) group's send
time has passed on a local date; this module says whether that local date is an
edition day for a reader. The window of an edition always starts where that
reader's previous edition ended (``selection``), so a weekly edition covers the
whole week since, and a reader who switches between daily and weekly neither
misses an article nor gets one twice.
"""

from __future__ import annotations

from datetime import date, timedelta

CADENCES = ("daily", "weekly")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

# A reader's first edition reaches back one period: a day, or a week.
FIRST_REACH = {"daily": timedelta(hours=24), "weekly": timedelta(days=7)}


class BadLane(ValueError):
    """A cadence or weekday that is not one of ours; the text names the field and the fix."""


def parse_cadence(value: str | None) -> str:
    """``daily`` (also for empty) or ``weekly``."""
    cleaned = (value or "").strip().lower() or "daily"
    if cleaned not in CADENCES:
        raise BadLane(f"cadence {value!r} is not one of daily, weekly")
    return cleaned


def parse_weekday(value: str | None, cadence: str) -> str:
    """mon..sun for a weekly reader (required); empty for a daily one."""
    cleaned = (value or "").strip().lower()[:3]
    if cadence != "weekly":
        return ""
    if not cleaned:
        raise BadLane("weekday is needed for a weekly cadence: one of " + ", ".join(WEEKDAYS))
    if cleaned not in WEEKDAYS:
        raise BadLane(f"weekday {value!r} is not one of " + ", ".join(WEEKDAYS))
    return cleaned


def weekday_of(day: date) -> str:
    return WEEKDAYS[day.weekday()]


def is_edition_day(cadence: str, weekday: str, day: date) -> bool:
    """Whether a reader of this cadence gets an edition on local date ``day``."""
    return cadence != "weekly" or weekday == weekday_of(day)


def first_reach(cadence: str) -> timedelta:
    return FIRST_REACH.get(cadence, FIRST_REACH["daily"])
