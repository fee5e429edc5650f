"""Double opt-in: the confirmation email for pending subscribers, from the web form or the CLI."""

from __future__ import annotations

import logging
import random
from collections.abc import Iterable
from datetime import datetime, timedelta
from urllib.parse import urlencode

from sqlalchemy import Engine, select, update

from syndicate import db, metrics, subscribers, tokens
from syndicate.addresses import mask
from syndicate.clock import Clock
from syndicate.config import Settings
from syndicate.delivery.outbox import backoff
from syndicate.digest.confirmation import ConfirmationRenderer
from syndicate.digest.dkim import load_signer
from syndicate.mail.sender import DeliveryError, Envelope, Sender, TemporaryFailure
from syndicate.subscribers import Subscriber

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


async def send_confirmations(
    settings: Settings,
    engine: Engine,
    clock: Clock,
    ids: Iterable[int] | None = None,
    *,
    sender: Sender,
    rng: random.Random | None = None,
) -> int:
    """Send the confirmation emails that are due through ``sender``; returns how many went.

    ``ids`` limits it to those subscribers (the form and the CLI send theirs at
    once); None takes whatever is due, retries included (the deliver step). Each
    is claimed first, so two processes never send the same one twice. The
    caller owns ``sender`` and closes it.
    """
    now = clock.now()
    claimed = _claim(engine, now, None if ids is None else list(ids))
    if not claimed:
        return 0
    with engine.connect() as conn:
        people = [s for i in claimed if (s := subscribers.get(conn, i)) is not None]
    # Claimed rows are this process's alone until it records them: the count read
    # at the claim is still the current one.
    rng = rng or random.Random()
    render = ConfirmationRenderer(settings, load_signer(settings))
    sent = 0
    for person in people:
        now = clock.now()
        try:
            body = render.message(person, confirm_url(settings, person.id, now), now)
            await sender.send(Envelope(_bare(settings.digest.from_), person.email, body))
        except DeliveryError as exc:
            _record_failure(engine, settings, person, claimed[person.id] + 1, exc, now, rng)
            continue
        except Exception:  # a bug must not block the others; the lease brings it back
            log.exception("confirmation to %s failed", mask(person.email))
            continue
        with engine.begin() as conn:
            conn.execute(
                update(db.subscribers)
                .where(db.subscribers.c.id == person.id)
                .values(confirm_due_at=None, confirm_attempts=claimed[person.id] + 1)
            )
        sent += 1
        metrics.CONFIRMATIONS_SENT.inc()
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


def _bare(address: str) -> str:
    from email.utils import parseaddr

    return parseaddr(address)[1] or address
