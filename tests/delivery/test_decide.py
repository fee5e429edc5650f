"""The next state of an outbox row after a send: decided by delivery, pure."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

from syndicate.config import DeliverySettings
from syndicate.delivery.outbox import Outcome, decide
from syndicate.store.queue import Claimed

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
POLICY = DeliverySettings(max_attempts=3, retry_after_seconds=60)


def row(attempts: int, kind: str = "digest") -> Claimed:
    return Claimed(7, kind, 3, date(2026, 11, 28), "a@example.org", "<m@x>", b"bytes", attempts)


def test_sent_is_written_as_sent() -> None:
    outcome, result = decide(Outcome(row(1), "sent", "250 ok"), POLICY, NOW, random.Random(1))
    assert outcome.kind == result.state == "sent"
    assert (result.row_id, result.next_attempt_at, result.hard_bounce) == (7, None, False)


def test_a_retry_waits_with_backoff_then_becomes_failed_at_the_last_attempt() -> None:
    _, first = decide(Outcome(row(1), "retry", "451"), POLICY, NOW, random.Random(1))
    assert first.state == "retry" and first.next_attempt_at is not None
    assert timedelta(seconds=60) <= first.next_attempt_at - NOW <= timedelta(seconds=75)
    _, second = decide(Outcome(row(2), "retry", "451"), POLICY, NOW, random.Random(1))
    assert second.next_attempt_at is not None
    assert timedelta(seconds=120) <= second.next_attempt_at - NOW <= timedelta(seconds=150)
    last, given_up = decide(
        Outcome(row(3, "confirmation"), "retry", "451"), POLICY, NOW, random.Random(1)
    )
    assert last.kind == given_up.state == "failed" and given_up.next_attempt_at is None
    assert given_up.reply == "gave up after 3 attempts: 451"


def test_only_a_refusal_of_the_address_counts_as_a_hard_bounce() -> None:
    _, bounced = decide(
        Outcome(row(1), "failed", "550 no such user", bounce=True), POLICY, NOW, random.Random(1)
    )
    _, refused = decide(
        Outcome(row(1), "failed", "554 policy", bounce=False), POLICY, NOW, random.Random(1)
    )
    assert bounced.hard_bounce and not refused.hard_bounce
