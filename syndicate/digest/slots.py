"""Daily send slots in a subscriber's own timezone, with daylight-saving changes resolved.

Pure functions of a timezone, a wall-clock time and an instant: no database, no
``now()``. The digest tick asks "is this (timezone, digest_time) group due, and
for which local date?" for each group it finds.

Rules on the days clocks change:

- a wall-clock time that does not exist (the hour skipped in spring) is sent at
  the first valid instant after it, the moment the clocks jump;
- a wall-clock time that happens twice (the hour repeated in autumn) counts from
  its first occurrence; the edition is per local date, so it is sent once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from functools import lru_cache
from zoneinfo import ZoneInfo


@lru_cache(maxsize=1024)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def parse_hhmm(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def _exists(local: datetime) -> bool:
    """Whether this wall-clock reading happens at all (it does not inside a spring-forward gap)."""
    round_trip = local.astimezone(UTC).astimezone(local.tzinfo)
    return round_trip.replace(tzinfo=None) == local.replace(tzinfo=None, fold=0)


@lru_cache(maxsize=65536)
def slot_instant(local_date: date, hhmm: str, tz_name: str) -> datetime:
    """The UTC instant at which ``hhmm`` on ``local_date`` in ``tz_name`` is reached."""
    tz = zone(tz_name)
    wall = datetime.combine(local_date, parse_hhmm(hhmm)).replace(tzinfo=tz, fold=0)
    if _exists(wall):
        # fold=0 is the first of two readings in a repeated hour.
        return wall.astimezone(UTC)
    # In a gap, fold=0 applies the offset from before the change and fold=1 the
    # one after, which brackets the moment of the jump: find it to the second.
    low = int(wall.replace(fold=1).timestamp())
    high = int(wall.replace(fold=0).timestamp())
    low, high = min(low, high), max(low, high)
    before = datetime.fromtimestamp(low, tz).utcoffset()
    while high - low > 1:
        middle = (low + high) // 2
        if datetime.fromtimestamp(middle, tz).utcoffset() == before:
            low = middle
        else:
            high = middle
    return datetime.fromtimestamp(high, UTC)


def local_date(instant: datetime, tz_name: str) -> date:
    return instant.astimezone(zone(tz_name)).date()


@dataclass(frozen=True)
class SlotStatus:
    timezone: str
    digest_time: str
    local_date: date  # the subscriber's calendar date at the instant asked about
    slot: datetime  # UTC instant of today's send time
    due: bool  # the send time has been reached today


def status(tz_name: str, hhmm: str, instant: datetime) -> SlotStatus:
    """Where a (timezone, digest_time) group stands at ``instant``.

    Due means today's local send time has passed: a tick at any later moment of
    the same local day (after downtime, say) still finds the slot due, and the
    one outbox row per (subscriber, date) keeps it to one edition.
    """
    if instant.tzinfo is None:
        raise ValueError("status() needs a timezone-aware instant")
    today = local_date(instant, tz_name)
    slot = slot_instant(today, hhmm, tz_name)
    return SlotStatus(tz_name, hhmm, today, slot, instant >= slot)
