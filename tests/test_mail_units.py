"""The pure parts of sending mail: SMTP reply classification and the token bucket."""

from __future__ import annotations

import asyncio

import pytest

from syndicate.mail.bucket import TokenBucket
from syndicate.mail.replies import CONNECT, DATA, MAIL, RCPT, classify
from syndicate.mail.sender import PermanentFailure, TemporaryFailure


@pytest.mark.parametrize(
    ("stage", "code", "message", "kind", "bounce"),
    [
        (RCPT, 550, "5.1.1 no such user", PermanentFailure, True),
        (RCPT, 553, "mailbox name not allowed", PermanentFailure, True),
        (RCPT, 451, "4.3.0 greylisted", TemporaryFailure, None),
        (RCPT, 452, "4.2.2 mailbox full", TemporaryFailure, None),
        (DATA, 554, "5.7.1 message looks like spam", PermanentFailure, False),
        (DATA, 550, "5.1.1 user unknown", PermanentFailure, True),
        (DATA, 421, "4.4.2 closing", TemporaryFailure, None),
        (MAIL, 550, "5.7.1 sender not allowed", TemporaryFailure, None),
        (CONNECT, 535, "5.7.8 authentication failed", TemporaryFailure, None),
        (CONNECT, 554, "no service", TemporaryFailure, None),
    ],
)
def test_replies_are_classified_by_rfc_5321_and_stage(stage, code, message, kind, bounce):
    failure = classify(stage, code, message)
    assert type(failure) is kind
    assert failure.reply == f"{stage}: {code} {message}"
    if bounce is not None:
        assert failure.bounce is bounce


def test_reply_text_is_kept_on_one_line():
    failure = classify(RCPT, 550, "5.1.1 first line\n 550 second   line")
    assert failure.reply == "RCPT: 550 5.1.1 first line 550 second line"


class FakeTime:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)  # let the other takers run, as a real sleep would


def test_token_bucket_spaces_takes_at_the_rate_after_a_small_burst():
    fake = FakeTime()
    bucket = TokenBucket(20, monotonic=fake.monotonic, sleep=fake.sleep)

    async def take(n: int) -> None:
        for _ in range(n):
            await bucket.take()

    asyncio.run(take(42))
    # Burst of 2 (a tenth of a second's worth), then one token every 1/20 s.
    assert fake.now - 100.0 == pytest.approx(40 / 20)
    assert all(wait == pytest.approx(0.05) for wait in fake.slept)


def test_token_bucket_is_shared_fairly_by_concurrent_takers():
    fake = FakeTime()
    bucket = TokenBucket(10, burst=1, monotonic=fake.monotonic, sleep=fake.sleep)
    order: list[int] = []

    async def lane(name: int) -> None:
        for _ in range(3):
            await bucket.take()
            order.append(name)

    async def main() -> None:
        await asyncio.gather(*(lane(i) for i in range(4)))

    asyncio.run(main())
    assert len(order) == 12 and fake.now - 100.0 == pytest.approx(11 / 10)
    assert set(order[:5]) == {0, 1, 2, 3}  # first come, first served: no lane starves


def test_a_rate_of_zero_never_waits():
    fake = FakeTime()
    bucket = TokenBucket(0, monotonic=fake.monotonic, sleep=fake.sleep)
    asyncio.run(bucket.take())
    assert fake.slept == []
