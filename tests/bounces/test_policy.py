"""The policy through the lifecycle: hard at once, soft by count within the window, a delivery
resets the count, a complaint closes, and the same report twice changes nothing more."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from syndicate import config
from syndicate.bounces import reports
from syndicate.bounces.apply import apply
from syndicate.bounces.policy import decide_move
from syndicate.store.tables import subscribers
from tests.conftest import write_config
from tests.delivery_helpers import ready_engine
from tests.outbox_rows import add_subscribers

DAY = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
SOFT = "soft@example.net"


@pytest.fixture
def setup(tmp_path, db_url):
    path = write_config(
        tmp_path, "\n[bounces]\nsoft_limit = 3\nsoft_window_days = 14\n", database_url=db_url
    )
    settings = config.load(path, env={"SYNDICATE_SECRET": "test-secret-of-at-least-32-characters"})
    engine = ready_engine(settings)
    add_subscribers(engine, DAY, 1, domain="example.net")
    with engine.begin() as conn:
        conn.execute(subscribers.update().values(email=SOFT))
    yield settings, engine
    engine.dispose()


def status(engine) -> tuple[str, str | None]:
    with engine.connect() as conn:
        row = conn.execute(select(subscribers.c.status, subscribers.c.suppressed_reason)).one()
    return row.status, row.suppressed_reason


def soft(days: float, key: str) -> reports.Report:
    return reports.Report(
        reports.SOFT,
        (SOFT,),
        reason="4.2.2 mailbox full",
        reported_at=DAY + timedelta(days=days),
        key=key,
    )


def test_soft_bounces_count_within_the_window_and_a_delivery_resets(setup) -> None:
    settings, engine = setup
    apply(engine, settings, soft(0, "a"), "mail", DAY)
    apply(engine, settings, soft(1, "b"), "mail", DAY)
    apply(engine, settings, soft(20, "c"), "mail", DAY)  # the first two are out of the window
    assert status(engine)[0] == "active"
    apply(engine, settings, soft(21, "d"), "mail", DAY)
    delivered = reports.Report(
        reports.DELIVERED, (SOFT,), reported_at=DAY + timedelta(days=22), key="e"
    )
    assert not apply(engine, settings, delivered, "mail", DAY).moved_to
    apply(engine, settings, soft(23, "f"), "mail", DAY)  # c and d no longer count
    assert status(engine)[0] == "active"
    applied = apply(engine, settings, soft(23, "f"), "mail", DAY)  # the same report again
    assert applied.duplicate and status(engine)[0] == "active"
    apply(engine, settings, soft(24, "g"), "mail", DAY)
    assert apply(engine, settings, soft(25, "h"), "mail", DAY).moved_to == "bounced"
    state, reason = status(engine)
    assert state == "bounced" and reason is not None and reason.startswith("3 soft bounces")


def test_hard_then_complaint_and_replays(setup) -> None:
    settings, engine = setup
    hard = reports.Report(reports.HARD, (SOFT.upper(),), reason="5.1.1", key="h1")
    assert apply(engine, settings, hard, "mail", DAY).moved_to == "bounced"
    assert apply(engine, settings, hard, "mail", DAY).duplicate
    complaint = reports.Report(reports.COMPLAINT, (SOFT,), reason="abuse", key="c1")
    # bounced -> complained is no move a report may make: the address stays closed as it is.
    assert apply(engine, settings, complaint, "mail", DAY).moved_to is None
    assert status(engine)[0] == "bounced"


@pytest.mark.parametrize(
    ("kind", "current", "softs", "wanted"),
    [
        (reports.HARD, "active", 0, "bounced"),
        (reports.HARD, "pending", 0, "bounced"),
        (reports.SOFT, "active", 2, None),
        (reports.SOFT, "active", 3, "bounced"),
        (reports.COMPLAINT, "active", 0, "complained"),
        (reports.COMPLAINT, "unsubscribed", 0, "complained"),
        (reports.COMPLAINT, "complained", 0, None),
        (reports.AUTO_REPLY, "active", 9, None),
        (reports.UNPARSED, "active", 9, None),
    ],
)
def test_decide_move(kind: str, current: str, softs: int, wanted: str | None) -> None:
    assert decide_move(kind, current, softs, 3, "why").status == wanted
