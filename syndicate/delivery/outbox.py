"""What happens to a row after a send: the next state, decided here as a pure function.

The store only writes the decision (``syndicate.store.queue.record``); the
retry policy (how many tries, how long between them) lives here, the same for
every kind of message.
"""

from __future__ import annotations

import os
import random
import socket
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from syndicate.config import DeliverySettings
from syndicate.store.queue import Claimed, Result

MAX_BACKOFF = timedelta(hours=6)


@dataclass(frozen=True)
class Outcome:
    row: Claimed
    kind: Literal["sent", "retry", "failed"]
    reply: str
    bounce: bool = False  # a 5xx about the address itself


def _host() -> str:
    # The boot id tells apart machines (or containers' hosts) that share a host name.
    try:
        with open("/proc/sys/kernel/random/boot_id", encoding="ascii") as boot:
            boot_id = boot.read().strip()[:8]
    except OSError:
        boot_id = "noboot"
    return f"{socket.gethostname()[:80]}/{boot_id}"


def owner_tag() -> str:
    """Names one delivery run: host, process and a random part (a process may run several)."""
    return f"{_host()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class RunningHere:
    """The tags of the delivery runs going on in this process, so that one starting does not
    take back the rows another is sending."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tags: set[str] = set()

    def add(self, tag: str) -> None:
        with self._lock:
            self._tags.add(tag)

    def discard(self, tag: str) -> None:
        with self._lock:
            self._tags.discard(tag)

    def others(self, tag: str) -> frozenset[str]:
        with self._lock:
            return frozenset(self._tags - {tag})


RUNNING = RunningHere()


def backoff(attempts: int, first_wait: float, rng: random.Random) -> timedelta:
    """Wait before attempt ``attempts + 1``: doubling from ``first_wait``, plus up to 25 % jitter."""
    base = first_wait * (2 ** max(0, attempts - 1))
    wait = timedelta(seconds=base * (1 + 0.25 * rng.random()))
    return min(wait, MAX_BACKOFF)


def decide(
    outcome: Outcome, delivery: DeliverySettings, now: datetime, rng: random.Random
) -> tuple[Outcome, Result]:
    """The outcome as it will be recorded (a retry past the last attempt becomes failed)
    and the row's next state."""
    row = outcome.row
    if outcome.kind == "retry" and row.attempts >= delivery.max_attempts:
        outcome = Outcome(row, "failed", f"gave up after {row.attempts} attempts: {outcome.reply}")
    next_at = None
    if outcome.kind == "retry":
        next_at = now + backoff(row.attempts, delivery.retry_after_seconds, rng)
    result = Result(
        row_id=row.id,
        subscriber_id=row.subscriber_id,
        state=outcome.kind,
        reply=outcome.reply,
        next_attempt_at=next_at,
        hard_bounce=outcome.kind == "failed" and outcome.bounce,
    )
    return outcome, result
