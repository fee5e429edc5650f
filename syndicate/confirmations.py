"""Double opt-in: the confirmation email for pending subscribers, from the web form or the CLI."""

from __future__ import annotations

import logging
import random
from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

from sqlalchemy import Engine, select, update

from syndicate import db, metrics, subscribers, tokens, transport
from syndicate.addresses import BadAddress, mask
from syndicate.clock import Clock
from syndicate.config import Settings
from syndicate.delivery.outbox import backoff
from syndicate.subscribers import Subscriber
from syndicate.transport import (
    DeliveryError,
    Envelope,
    PermanentFailure,
    Sender,
    TemporaryFailure,
)

log = logging.getLogger(__name__)
CONFIRM_VALID = timedelta(days=7)
CLAIM_BATCH = 200
# How long a claimed confirmation stays with its sender: one that died mid-send is
# tried again after this.
CLAIM_LEASE = timedelta(minutes=10)


def link(settings: Settings, route: str, purpose: str, subscriber_id: int, expires=None) -> str:
    token = tokens.sign(settings.secret.get_secret_value(), purpose, subscriber_id, expires)
    return f"{settings.public_url}/{route}?{urlencode({'token': token})}"


def confirm_url(settings: Settings, subscriber_id: int, now: datetime) -> str:
    return link(settings, "confirm", "confirm", subscriber_id, now + CONFIRM_VALID)


def make_sender(settings: Settings) -> Sender:
    """The configured transport; a Maildir's parent folder is created on first use."""
    if settings.delivery.transport == "maildir":
        Path(settings.delivery.maildir).parent.mkdir(parents=True, exist_ok=True)
    return transport.make_sender(settings)


def message(settings: Settings, subscriber: Subscriber, url: str, now: datetime) -> bytes:
    from syndicate.digest import build_confirmation_message
    from syndicate.digest.edition import load_dkim_key

    return build_confirmation_message(settings, subscriber, url, now, load_dkim_key(settings))


async def send_confirmations(
    settings: Settings,
    engine: Engine,
    clock: Clock,
    ids: Iterable[int] | None = None,
    sender: Sender | None = None,
    rng: random.Random | None = None,
) -> int:
    """Send the confirmation emails that are due; returns how many went.

    ``ids`` limits it to those subscribers (the form and the CLI send theirs at
    once); None takes whatever is due, retries included (the deliver step). Each
    is claimed first, so two processes never send the same one twice.
    """
    now = clock.now()
    claimed = _claim(engine, now, None if ids is None else list(ids))
    if not claimed:
        return 0
    with engine.connect() as conn:
        people = [s for i in claimed if (s := subscribers.get(conn, i)) is not None]
    # Claimed rows are this process's alone until it records them: the count read
    # at the claim is still the current one.
    own = sender is None
    out = sender if sender is not None else make_sender(settings)
    rng = rng or random.Random()
    sent = 0
    try:
        for person in people:
            now = clock.now()
            tries = claimed[person.id] + 1
            try:
                body = message(settings, person, confirm_url(settings, person.id, now), now)
            except Exception as exc:  # the same bytes would fail again: give up on this one only
                log.debug("confirmation to %s not built", mask(person.email), exc_info=True)
                why = f"address refused: {exc.reason}" if isinstance(exc, BadAddress) else _why(exc)
                refused = PermanentFailure(f"cannot build the message: {why}", bounce=False)
                _record_failure(engine, settings, person, tries, refused, now, rng)
                continue
            try:
                await out.send(Envelope(settings.digest.from_address, person.email, body))
            except DeliveryError as exc:
                _record_failure(engine, settings, person, tries, exc, now, rng)
                continue
            except Exception as exc:  # a sender bug must not block the others, nor loop forever
                log.exception("confirmation to %s failed", mask(person.email))
                unexpected = TemporaryFailure(f"unexpected {_why(exc)}")
                _record_failure(engine, settings, person, tries, unexpected, now, rng)
                continue
            with engine.begin() as conn:
                conn.execute(
                    update(db.subscribers)
                    .where(db.subscribers.c.id == person.id)
                    .values(confirm_due_at=None, confirm_attempts=claimed[person.id] + 1)
                )
            sent += 1
            metrics.CONFIRMATIONS_SENT.inc()
    finally:
        if own:
            await out.close()
    return sent


def _claim(engine: Engine, now: datetime, ids: list[int] | None) -> dict[int, int]:
    """Pending subscribers whose confirmation is due, each pushed a lease ahead:
    {id: tries made so far}.

    The update re-checks that the row is still due, so of two processes claiming
    at once only one gets it (the other's update matches nothing).
    """
    table = db.subscribers
    due = (table.c.status == "pending") & (table.c.confirm_due_at <= now)
    query = (
        select(table.c.id, table.c.confirm_attempts)
        .where(due)
        .order_by(table.c.confirm_due_at)
        .limit(CLAIM_BATCH)
    )
    if ids is not None:
        if not ids:
            return {}
        query = query.where(table.c.id.in_(ids))
    with engine.connect() as conn:  # a read first: nothing due is the usual answer
        candidates = conn.execute(query).all()
    claimed: dict[int, int] = {}
    if not candidates:
        return claimed
    with engine.begin() as conn:
        for subscriber_id, attempts in candidates:
            taken = conn.execute(
                update(table)
                .where((table.c.id == subscriber_id) & due)
                .values(confirm_due_at=now + CLAIM_LEASE)
            )
            if taken.rowcount == 1:
                claimed[subscriber_id] = attempts
    return claimed


def _record_failure(
    engine: Engine,
    settings: Settings,
    person: Subscriber,
    attempts: int,
    exc: DeliveryError,
    now: datetime,
    rng: random.Random,
) -> None:
    delivery = settings.delivery
    again = isinstance(exc, TemporaryFailure) and attempts < delivery.max_attempts
    due = now + backoff(attempts, delivery.retry_after_seconds, rng) if again else None
    with engine.begin() as conn:
        conn.execute(
            update(db.subscribers)
            .where(db.subscribers.c.id == person.id)
            .values(confirm_due_at=due, confirm_attempts=attempts)
        )
    if due is not None:
        log.warning(
            "confirmation to %s not sent (%s); try %d of %d at %s",
            mask(person.email),
            exc.reply,
            attempts + 1,
            delivery.max_attempts,
            due.isoformat(timespec="seconds"),
        )
    else:
        log.error(
            "confirmation to %s given up after %d tries: %s",
            mask(person.email),
            attempts,
            exc.reply,
        )


def _why(exc: BaseException) -> str:
    return f"{exc.__class__.__name__}: {exc}" if str(exc) else exc.__class__.__name__
