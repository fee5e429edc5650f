"""The outbox as a work queue, on a real SQLite file and a real PostgreSQL."""

from __future__ import annotations

import random
import subprocess
import sys
from datetime import timedelta

from sqlalchemy import select, update

from syndicate.delivery.outbox import Outcome, owner_tag
from syndicate.store import queue as box
from syndicate.store.tables import outbox, subscribers
from tests.outbox_rows import add_subscribers, claim, enqueue, record

OWNER = "testhost:1:aaaa"


def states(engine) -> dict[int, str]:
    with engine.connect() as conn:
        return dict(conn.execute(select(outbox.c.subscriber_id, outbox.c.state)).all())


def row(engine, subscriber_id: int):
    with engine.connect() as conn:
        return conn.execute(select(outbox).where(outbox.c.subscriber_id == subscriber_id)).one()


def test_claim_takes_due_rows_once_under_a_lease(engine, clock):
    people = add_subscribers(engine, clock.now(), 5)
    enqueue(engine, clock.now(), people)
    first, skipped = claim(engine, clock.now(), 3, 300, OWNER)
    second, _ = claim(engine, clock.now(), 3, 300, OWNER)
    third, _ = claim(engine, clock.now(), 3, 300, OWNER)
    assert (len(first), len(second), len(third), skipped) == (3, 2, 0, 0)
    assert {r.id for r in first}.isdisjoint({r.id for r in second})
    claimed = row(engine, first[0].subscriber_id)
    assert claimed.state == "sending" and claimed.attempts == 1 == first[0].attempts
    assert claimed.lease_until == clock.now() + timedelta(seconds=300)
    assert claimed.claimed_by == OWNER
    assert first[0].message and first[0].message_id.encode() in first[0].message


def test_inactive_subscribers_are_skipped_at_claim_time(engine, clock):
    people = add_subscribers(engine, clock.now(), 3)
    enqueue(engine, clock.now(), people)
    with engine.begin() as conn:
        conn.execute(
            update(subscribers)
            .where(subscribers.c.id == people[0][0])
            .values(status="unsubscribed")
        )
        conn.execute(
            update(subscribers).where(subscribers.c.id == people[1][0]).values(status="bounced")
        )
    claimed, skipped = claim(engine, clock.now(), 10, 300, OWNER)
    assert skipped == 2 and [r.subscriber_id for r in claimed] == [people[2][0]]
    assert row(engine, people[0][0]).last_reply == "skipped: subscriber is unsubscribed"
    assert states(engine)[people[1][0]] == "skipped"


def test_expired_lease_is_claimed_again_with_the_same_message(engine, clock):
    people = add_subscribers(engine, clock.now(), 2)
    enqueue(engine, clock.now(), people)
    first, _ = claim(engine, clock.now(), 10, 60, OWNER)
    assert claim(engine, clock.now() + timedelta(seconds=59), 10, 60, "other:2:bbbb")[0] == []
    again, _ = claim(engine, clock.now() + timedelta(seconds=60), 10, 60, "other:2:bbbb")
    assert sorted((r.id, r.message_id, r.message) for r in again) == sorted(
        (r.id, r.message_id, r.message) for r in first
    )
    assert all(r.attempts == 2 for r in again)


def test_rows_of_a_dead_process_on_this_host_are_freed_at_once(engine, clock):
    people = add_subscribers(engine, clock.now(), 2)
    enqueue(engine, clock.now(), people)
    finished = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    me = owner_tag()
    host = me.split(":")[0]
    claim(engine, clock.now(), 1, 300, f"{host}:{finished.stdout.strip()}:dead")
    claim(engine, clock.now(), 1, 300, me)  # alive: ours
    assert claim(engine, clock.now(), 10, 300, me)[0] == []
    assert box.reclaim_dead(engine, clock.now(), me) == 1
    taken, _ = claim(engine, clock.now(), 10, 300, me)
    assert len(taken) == 1 and taken[0].attempts == 2


def test_release_hands_rows_back_untried(engine, clock):
    people = add_subscribers(engine, clock.now(), 2)
    enqueue(engine, clock.now(), people)
    claimed, _ = claim(engine, clock.now(), 10, 300, OWNER)
    box.release(engine, [r.id for r in claimed], OWNER)
    assert set(states(engine).values()) == {"queued"}
    assert row(engine, people[0][0]).attempts == 0
    assert len(claim(engine, clock.now(), 10, 300, OWNER)[0]) == 2


def test_outcomes_sent_retry_with_backoff_then_failed(engine, db_settings, clock):
    delivery = db_settings.delivery.model_copy(update={"max_attempts": 3})
    rng = random.Random(7)
    people = add_subscribers(engine, clock.now(), 2)
    enqueue(engine, clock.now(), people)
    ok, flaky = claim(engine, clock.now(), 10, 300, OWNER)[0]
    record(engine, [Outcome(ok, "sent", "250 OK")], clock.now(), OWNER, delivery, rng)
    assert row(engine, ok.subscriber_id).state == "sent"
    assert row(engine, ok.subscriber_id).sent_at == clock.now()
    assert row(engine, ok.subscriber_id).message is None  # delivered: bytes dropped
    assert row(engine, ok.subscriber_id).message_id == ok.message_id

    waits = []
    for attempt in (1, 2):
        record(engine, [Outcome(flaky, "retry", "451 busy")], clock.now(), OWNER, delivery, rng)
        stored = row(engine, flaky.subscriber_id)
        assert stored.state == "retry" and stored.last_reply == "451 busy"
        waits.append((stored.next_attempt_at - clock.now()).total_seconds())
        assert claim(engine, clock.now(), 10, 300, OWNER)[0] == []  # not due yet
        clock.set(stored.next_attempt_at)
        (flaky,) = claim(engine, clock.now(), 10, 300, OWNER)[0]
        assert flaky.attempts == attempt + 1
    first = db_settings.delivery.retry_after_seconds
    assert first <= waits[0] <= first * 1.25 and 2 * first <= waits[1] <= 2.5 * first
    (final,) = record(
        engine, [Outcome(flaky, "retry", "451 busy")], clock.now(), OWNER, delivery, rng
    )
    assert final.kind == "failed"
    assert row(engine, flaky.subscriber_id).state == "failed"
    assert "gave up after 3 attempts" in row(engine, flaky.subscriber_id).last_reply
    # A failed row keeps its bytes, so that it can be put back in the queue as it was.
    assert row(engine, flaky.subscriber_id).message is not None


def test_repeated_hard_bounces_mark_the_subscriber_bounced(engine, db_settings, clock):
    rng = random.Random(1)
    ((sid, _email),) = add_subscribers(engine, clock.now(), 1)
    for day in range(3):
        edition = clock.now().date() + timedelta(days=day)
        enqueue(engine, clock.now(), [(sid, _email)], edition=edition)
        (claimed,) = claim(engine, clock.now(), 10, 300, OWNER)[0]
        outcome = Outcome(claimed, "failed", "RCPT: 550 5.1.1 no such user", bounce=True)
        record(engine, [outcome], clock.now(), OWNER, db_settings.delivery, rng)
        with engine.connect() as conn:
            status, bounces = conn.execute(
                select(subscribers.c.status, subscribers.c.hard_bounces).where(
                    subscribers.c.id == sid
                )
            ).one()
        assert bounces == day + 1
        assert status == ("bounced" if day == 2 else "active")


def test_backlog_reports_what_is_left_and_when(engine, db_settings, clock):
    people = add_subscribers(engine, clock.now(), 3)
    enqueue(engine, clock.now(), people)
    assert box.backlog(engine, clock.now()).due == 3
    a, b, _c = claim(engine, clock.now(), 10, 300, OWNER)[0]
    record(
        engine,
        [Outcome(a, "sent", "250"), Outcome(b, "retry", "421 later")],
        clock.now(),
        OWNER,
        db_settings.delivery,
        random.Random(3),
    )
    left = box.backlog(engine, clock.now())
    assert (left.due, left.unfinished) == (0, 2)
    retry_at = row(engine, b.subscriber_id).next_attempt_at
    assert left.next_at == retry_at
