"""A timezone where it is midday now, for tests of the real process."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo


def _zone_at_midday() -> str:
    """A fixed-offset zone where it is daytime now: 23:59 there is hours away."""
    for hours in range(-12, 15):
        name = f"Etc/GMT{-hours:+d}" if hours else "UTC"
        if 6 <= datetime.now(UTC).astimezone(ZoneInfo(name)).hour <= 18:
            return name
    raise AssertionError("no zone at midday")
