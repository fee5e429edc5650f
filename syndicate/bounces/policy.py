"""What a report does to its subscriber: pure, a report kind and counts in, a move out.

A hard bounce closes the address at once; soft bounces close it once
``soft_limit`` of them fall within ``soft_window_days`` (a delivery since resets
the count); a complaint closes it for good (until that person subscribes and
confirms again). Whether the move is allowed from the current status is the
subscriber lifecycle's to say (``Actor.REPORT``).
"""

from __future__ import annotations

from dataclasses import dataclass

from syndicate.bounces.reports import COMPLAINT, DELIVERED, HARD, SOFT
from syndicate.subscribers.lifecycle import Actor, Status, decide


@dataclass(frozen=True)
class Move:
    status: str | None = None  # the status to move to; None: leave it
    reset_soft: bool = False  # a delivery: earlier soft bounces no longer count
    reason: str = ""


def decide_move(kind: str, current: str, soft_bounces: int, soft_limit: int, reason: str) -> Move:
    """``soft_bounces`` counts the soft bounces in the window, this report included."""
    wanted: str | None = None
    why = reason
    if kind == HARD:
        wanted, why = Status.BOUNCED, f"hard bounce: {reason}"
    elif kind == SOFT and soft_bounces >= soft_limit:
        wanted, why = Status.BOUNCED, f"{soft_bounces} soft bounces: {reason}"
    elif kind == COMPLAINT:
        wanted, why = Status.COMPLAINED, f"spam complaint: {reason}"
    elif kind == DELIVERED:
        return Move(reset_soft=True)
    if wanted is None or current == wanted:
        return Move()
    if decide(current, wanted, Actor.REPORT).refused:
        return Move()
    return Move(wanted, reason=why)
