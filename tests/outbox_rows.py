"""Subscribers and outbox rows with realistic digest messages, for delivery tests and benchmarks.

Delivery only needs what the digest step stores: recipient, Message-ID and the
finished RFC 5322 bytes; these helpers make the same shape of row directly.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

from sqlalchemy import Engine, insert, select

from syndicate.config import DeliverySettings
from syndicate.delivery.outbox import Outcome, decide
from syndicate.store import queue as outbox_store
from syndicate.store.outbox import digest_key
from syndicate.store.tables import outbox, subscribers
from syndicate.subscribers.lifecycle import RECEIVES

EDITION = date(2026, 11, 28)
FILLER = (
    "<p>Ministers met on Friday to discuss the budget; the opposition asked for "
    "more time. Los ministros se reunieron el viernes.</p>\n"
)

RCPT_MARK = "rcpt.mark@example.invalid"
MID_MARK = "<mid.mark@example.invalid>"


def message_id(edition: date, subscriber_id: int) -> str:
    return f"<digest.{edition.isoformat()}.{subscriber_id}@news.example.org>"


def digest_message(recipient: str, msg_id: str, size: int = 30_000) -> bytes:
    """A multipart/alternative digest of about ``size`` bytes, CRLF line ends."""
    message = EmailMessage()
    message["From"] = "Test News <news@example.org>"
    message["To"] = recipient
    message["Subject"] = "28 November: Budget talks, and 9 more"
    message["Date"] = format_datetime(datetime(2026, 11, 28, 12, 0).astimezone())
    message["Message-ID"] = msg_id
    message["List-Unsubscribe"] = "<https://feeds.example.org/unsubscribe?token=abc>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    repeat = max(1, size // (2 * len(FILLER)))
    message.set_content("Budget talks\n\n" + FILLER.replace("<p>", "").replace("</p>", "") * repeat)
    message.add_alternative("<html><body>" + FILLER * repeat + "</body></html>", subtype="html")
    return message.as_bytes(policy=message.policy.clone(linesep="\r\n"))


def add_subscribers(
    engine: Engine, now: datetime, count: int, domain: str = "example.net", start: int = 0
) -> list[tuple[int, str]]:
    """``count`` active subscribers reader{i}@domain; returns (id, email) pairs."""
    emails = [f"reader{i}@{domain}" for i in range(start, start + count)]
    rows = [
        {
            "email": email,
            "status": "active",
            "all_sections": True,
            "timezone": "America/Lima",
            "language": "en",
            "digest_time": "07:00",
            "hard_bounces": 0,
            "created_at": now,
            "confirmed_at": now,
        }
        for email in emails
    ]
    with engine.begin() as conn:
        for chunk in range(0, len(rows), 1000):
            conn.execute(insert(subscribers), rows[chunk : chunk + 1000])
        found = conn.execute(
            select(subscribers.c.id, subscribers.c.email).where(subscribers.c.email.in_(emails))
        ).all()
    by_email = {email: sid for sid, email in found}
    return [(by_email[email], email) for email in emails]


def enqueue(
    engine: Engine,
    now: datetime,
    people: list[tuple[int, str]],
    edition: date = EDITION,
    size: int = 4_000,
) -> None:
    """One queued row per subscriber for ``edition``, as the digest step stores them."""
    template = digest_message(RCPT_MARK, MID_MARK, size)
    rows = []
    for sid, email in people:
        msg_id = message_id(edition, sid)
        data = template.replace(RCPT_MARK.encode(), email.encode()).replace(
            MID_MARK.encode(), msg_id.encode()
        )
        rows.append(
            {
                "kind": "digest",
                "key": digest_key(sid, edition),
                "subscriber_id": sid,
                "edition_date": edition,
                "window_start": now - timedelta(days=1),
                "window_end": now,
                "state": "queued",
                "article_count": 10,
                "recipient": email,
                "message_id": msg_id,
                "message": data,
                "attempts": 0,
                "created_at": now,
            }
        )
    with engine.begin() as conn:
        for chunk in range(0, len(rows), 500):
            conn.execute(insert(outbox), rows[chunk : chunk + 500])


def claim(engine: Engine, now: datetime, limit: int, lease: float, owner: str, **extra: Any):
    """The store's claim with the lifecycle's rule of who receives each kind."""
    return outbox_store.claim(engine, now, limit, lease, owner, RECEIVES, **extra)


def record(
    engine: Engine,
    outcomes: list[Outcome],
    now: datetime,
    owner: str,
    delivery: DeliverySettings,
    rng: random.Random,
) -> list[Outcome]:
    """What the runner does with outcomes: decide each row's next state, then write them."""
    decided = [decide(outcome, delivery, now, rng) for outcome in outcomes]
    outbox_store.record(engine, [r for _, r in decided], now, owner, delivery.bounce_after)
    return [outcome for outcome, _ in decided]
