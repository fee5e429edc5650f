"""The next state of an outbox row after a send: decided by delivery, pure."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

from syndicate.config import DeliverySettings
from syndicate.delivery.outbox import Outcome, decide
from syndicate.store.queue import Claimed

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
POLICY = DeliverySettings(max_attempts=3, retry_after_seconds=60)
BY_TIME = DeliverySettings(
    retry_after_seconds=60, max_retry_interval_seconds=3600, give_up_after_seconds=172800
)


def row(attempts: int, kind: str = "digest", queued_at: datetime | None = NOW) -> Claimed:
    return Claimed(
        7, kind, 3, date(2026, 11, 28), "a@example.org", "<m@x>", b"bytes", attempts, queued_at
    )


def test_sent_is_written_as_sent() -> None:
    outcome, result = decide(Outcome(row(1), "sent", "250 ok"), POLICY, NOW, random.Random(1))
    assert outcome.kind == result.state == "sent"
    assert (result.row_id, result.next_attempt_at, result.hard_bounce) == (7, None, False)


def test_a_retry_waits_with_backoff_then_becomes_failed_at_the_attempt_cap() -> None:
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


def test_by_default_there_is_no_cap_on_tries_and_the_wait_is_capped() -> None:
    assert DeliverySettings().max_attempts == 0
    queued = NOW - timedelta(hours=30)
    _, result = decide(
        Outcome(row(40, queued_at=queued), "retry", "421"), BY_TIME, NOW, random.Random(2)
    )
    assert result.state == "retry" and result.next_attempt_at is not None
    assert result.next_attempt_at - NOW == timedelta(seconds=3600)


def test_a_retry_that_would_fall_after_the_give_up_time_fails_naming_the_time() -> None:
    queued = NOW - timedelta(seconds=172800 - 30)
    outcome, result = decide(
        Outcome(row(50, queued_at=queued), "retry", "421 busy"), BY_TIME, NOW, random.Random(3)
    )
    assert outcome.kind == result.state == "failed" and result.next_attempt_at is None
    assert result.reply == "gave up after 50 attempts over 48.0 h: 421 busy"
    assert not result.hard_bounce


def test_a_refusal_fails_at_once_whatever_the_time_left() -> None:
    _, result = decide(
        Outcome(row(1), "failed", "554 no", bounce=False), BY_TIME, NOW, random.Random(1)
    )
    assert result.state == "failed" and result.reply == "554 no"


def test_only_a_refusal_of_the_address_counts_as_a_hard_bounce() -> None:
    _, bounced = decide(
        Outcome(row(1), "failed", "550 no such user", bounce=True), POLICY, NOW, random.Random(1)
    )
    _, refused = decide(
        Outcome(row(1), "failed", "554 policy", bounce=False), POLICY, NOW, random.Random(1)
    )
    assert bounced.hard_bounce and not refused.hard_bounce


def test_a_confirmation_follows_the_same_give_up_time() -> None:
    queued = NOW - timedelta(seconds=172800 - 10)
    outcome, result = decide(
        Outcome(row(30, "confirmation", queued), "retry", "421"), BY_TIME, NOW, random.Random(4)
    )
    assert outcome.kind == result.state == "failed"
    assert result.reply.startswith("gave up after 30 attempts over 48.0 h")
