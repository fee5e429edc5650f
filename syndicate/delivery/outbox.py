"""What happens to a row after a send: the next state, decided here as a pure function.

The store only writes the decision (``syndicate.store.queue.record``); the
retry policy lives here, the same for every kind of message. It is a matter of
time, not of tries: a temporary failure is tried again, the wait doubling up to
``max_retry_interval_seconds``, until ``give_up_after_seconds`` have passed since
the row was queued, so an outage of a day loses nothing. ``max_attempts`` is an
optional cap on top (0: none).
"""

from __future__ import annotations

import os
import random
import socket
import threading
import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal

from syndicate.config import DeliverySettings
from syndicate.store.queue import Claimed, Result


@dataclass(frozen=True)
class Outcome:
    row: Claimed
    kind: Literal["sent", "retry", "failed"]
    reply: str
    bounce: bool = False  # a 5xx about the address itself
    relay_down: bool = False  # the transport failed for now (not this message's fault)


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


def backoff(
    attempts: int, first_wait: float, rng: random.Random, longest: float = 3600.0
) -> timedelta:
    """Wait before attempt ``attempts + 1``: doubling from ``first_wait``, plus up to 25 %
    jitter, never more than ``longest`` seconds."""
    # The exponent is bounded so that a row tried for days cannot overflow the float.
    base = first_wait * (2 ** min(max(0, attempts - 1), 40))
    return timedelta(seconds=min(base * (1 + 0.25 * rng.random()), longest))


def _give_up(row: Claimed, delivery: DeliverySettings, now: datetime, next_at: datetime) -> str:
    """Why a temporary failure is final ("" if it is not): the cap on tries, or the next
    attempt would fall after the give-up time."""
    if delivery.max_attempts and row.attempts >= delivery.max_attempts:
        return f"gave up after {row.attempts} attempts"
    if row.queued_at is not None:
        deadline = row.queued_at + timedelta(seconds=delivery.give_up_after_seconds)
        if next_at > deadline:
            hours = (now - row.queued_at).total_seconds() / 3600
            return f"gave up after {row.attempts} attempts over {hours:.1f} h"
    return ""


def decide(
    outcome: Outcome, delivery: DeliverySettings, now: datetime, rng: random.Random
) -> tuple[Outcome, Result]:
    """The outcome as it will be recorded (a retry past the policy becomes failed)
    and the row's next state."""
    row = outcome.row
    next_at = None
    if outcome.kind == "retry":
        wait = backoff(
            row.attempts, delivery.retry_after_seconds, rng, delivery.max_retry_interval_seconds
        )
        next_at = now + wait
        reason = _give_up(row, delivery, now, next_at)
        if reason:
            outcome = replace(outcome, kind="failed", reply=f"{reason}: {outcome.reply}")
            next_at = None
    result = Result(
        row_id=row.id,
        subscriber_id=row.subscriber_id,
        state=outcome.kind,
        reply=outcome.reply,
        next_attempt_at=next_at,
        hard_bounce=outcome.kind == "failed" and outcome.bounce,
    )
    return outcome, result
