"""Double opt-in: the confirmation email for pending subscribers, from the web form or the CLI."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

from sqlalchemy import Engine

from syndicate import metrics, subscribers, tokens, transport
from syndicate.addresses import mask
from syndicate.clock import Clock
from syndicate.config import Settings
from syndicate.subscribers import Subscriber
from syndicate.transport import DeliveryError, Envelope, Sender

log = logging.getLogger(__name__)
CONFIRM_VALID = timedelta(days=7)


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
    ids: Iterable[int],
    sender: Sender | None = None,
) -> int:
    """Email a confirmation link to each pending subscriber in ``ids``; returns how many went."""
    with engine.connect() as conn:
        people = [s for i in ids if (s := subscribers.get(conn, i)) and s.status == "pending"]
    if not people:
        return 0
    own = sender is None
    out = sender if sender is not None else make_sender(settings)
    sent = 0
    try:
        for person in people:
            now = clock.now()
            body = message(settings, person, confirm_url(settings, person.id, now), now)
            envelope = Envelope(_bare(settings.digest.from_), person.email, body)
            try:
                await out.send(envelope)
            except DeliveryError as exc:
                log.warning("confirmation to %s not sent: %s", mask(person.email), exc.reply)
                continue
            sent += 1
            metrics.CONFIRMATIONS_SENT.inc()
    finally:
        if own:
            await out.close()
    return sent


def _bare(address: str) -> str:
    from email.utils import parseaddr

    return parseaddr(address)[1] or address
