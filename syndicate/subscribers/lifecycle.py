"""A subscriber's status: the states, the moves between them, and who may make each move.

Pure: a current status, a wanted one and an actor in, a decision out. The store
applies the decision (as a conditional write), so this table is the one place
that says who may change a subscriber.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Status(StrEnum):
    PENDING = "pending"  # asked for the digest; owed a confirmation email
    ACTIVE = "active"  # gets digests and alerts
    UNSUBSCRIBED = "unsubscribed"
    BOUNCED = "bounced"  # the address refused mail too often
    COMPLAINED = "complained"  # reported a message as spam


class Actor(StrEnum):
    PERSON = "person"  # the subscriber, through the form or a signed link
    OPERATOR = "operator"  # `syndicate subscribers add`
    IMPORT = "import"  # a CSV import
    REPORT = "report"  # a bounce or complaint report about the address
    SYSTEM = "system"  # delivery counting hard bounces


STATUSES: tuple[str, ...] = tuple(s.value for s in Status)
CLOSED = frozenset({Status.UNSUBSCRIBED, Status.BOUNCED, Status.COMPLAINED})
NEW = None  # the "current status" of an address not on the list yet

# The one status each kind of message is sent to.
RECEIVES: dict[str, str] = {
    "digest": Status.ACTIVE,
    "alert": Status.ACTIVE,
    "confirmation": Status.PENDING,
    "link": Status.ACTIVE,  # "send me my preferences link"
}

_P, _A, _U, _B, _C = (
    Status.PENDING,
    Status.ACTIVE,
    Status.UNSUBSCRIBED,
    Status.BOUNCED,
    Status.COMPLAINED,
)
_EVERYONE = frozenset(Actor)
_LIST_KEEPERS = frozenset({Actor.OPERATOR, Actor.IMPORT})

# (from, to) -> who may make that move. A closed address (unsubscribed, bounced,
# complained) comes back only as pending, by its owner asking again or an operator
# asking for them, and becomes active only when the person confirms.
_MOVES: dict[tuple[Status | None, Status], frozenset[Actor]] = {
    (NEW, _P): frozenset({Actor.PERSON, Actor.OPERATOR, Actor.IMPORT}),
    (NEW, _A): _LIST_KEEPERS,
    (NEW, _U): _LIST_KEEPERS,  # an import of a suppression list
    (NEW, _B): _LIST_KEEPERS,
    (NEW, _C): _LIST_KEEPERS,
    (_P, _A): frozenset({Actor.PERSON, Actor.OPERATOR, Actor.IMPORT}),
    (_P, _U): frozenset({Actor.PERSON, Actor.OPERATOR, Actor.IMPORT}),
    (_P, _B): frozenset({Actor.REPORT, Actor.IMPORT, Actor.OPERATOR}),
    (_P, _C): frozenset({Actor.REPORT, Actor.IMPORT, Actor.OPERATOR}),
    (_A, _U): frozenset({Actor.PERSON, Actor.OPERATOR, Actor.IMPORT}),
    (_A, _B): frozenset({Actor.REPORT, Actor.SYSTEM, Actor.IMPORT, Actor.OPERATOR}),
    (_A, _C): frozenset({Actor.REPORT, Actor.IMPORT, Actor.OPERATOR}),
    (_U, _P): frozenset({Actor.PERSON, Actor.OPERATOR}),
    (_B, _P): frozenset({Actor.PERSON, Actor.OPERATOR}),
    # Someone who reported our mail as spam is not even sent a confirmation unless they
    # ask for one themselves: an operator's add would mail them again.
    (_C, _P): frozenset({Actor.PERSON}),
    (_U, _C): frozenset({Actor.REPORT}),
    (_B, _U): frozenset({Actor.PERSON}),
    (_C, _U): frozenset({Actor.PERSON}),
}


@dataclass(frozen=True)
class Decision:
    status: str  # the status to store (the current one when nothing moves)
    allowed: bool  # False: the request is refused and the subscriber left as is
    reason: str = ""  # why it was refused, for the person who asked
    owes_confirmation: bool = False  # a confirmation email is to be sent

    @property
    def refused(self) -> bool:
        return not self.allowed


def decide(current: str | None, wanted: str, actor: Actor) -> Decision:
    """What happens when ``actor`` asks for ``wanted`` on an address now ``current``.

    Asking an active subscriber to confirm again keeps them active (they already
    did). Asking for a status already held changes nothing and is allowed.
    """
    now = Status(current) if current is not None else None
    goal = Status(wanted)
    if now == goal:
        return Decision(goal, True, owes_confirmation=goal is Status.PENDING)
    if now is Status.ACTIVE and goal is Status.PENDING:
        return Decision(now, True)
    if actor in _MOVES.get((now, goal), frozenset()):
        return Decision(goal, True, owes_confirmation=goal is Status.PENDING)
    kept = now if now is not None else goal
    return Decision(kept, False, _refusal(now, goal, actor))


def _refusal(now: Status | None, goal: Status, actor: Actor) -> str:
    if now in CLOSED and goal in (Status.ACTIVE, Status.PENDING):
        return (
            f"{now}: only the subscriber can subscribe again, by confirming a new request; "
            f"{'an import' if actor is Actor.IMPORT else 'this'} leaves it as it is"
        )
    return f"{now or 'new'} -> {goal} is not a change {actor.value} may make"


def sources(target: str, actor: Actor) -> frozenset[str]:
    """The statuses ``actor`` may move a subscriber from to ``target`` (for a conditional write)."""
    goal = Status(target)
    return frozenset(
        start.value
        for (start, end), who in _MOVES.items()
        if start is not None and end is goal and actor in who
    )
