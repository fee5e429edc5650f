"""Double opt-in: the confirmation email for pending subscribers, from the web form or the CLI."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from urllib.parse import urlencode

from sqlalchemy import Engine

from syndicate import metrics, subscribers, tokens
from syndicate.addresses import mask
from syndicate.clock import Clock
from syndicate.config import Settings
from syndicate.subscribers import Subscriber
from syndicate.transport import DeliveryError, Envelope, MaildirSender, Sender

log = logging.getLogger(__name__)
CONFIRM_VALID = timedelta(days=7)


def link(settings: Settings, route: str, purpose: str, subscriber_id: int, expires=None) -> str:
    token = tokens.sign(settings.secret.get_secret_value(), purpose, subscriber_id, expires)
    return f"{settings.public_url}/{route}?{urlencode({'token': token})}"


def confirm_url(settings: Settings, subscriber_id: int, now: datetime) -> str:
    return link(settings, "confirm", "confirm", subscriber_id, now + CONFIRM_VALID)


def make_sender(settings: Settings) -> Sender:
    # TODO(web): use the delivery area's make_sender once it is on main.
    from pathlib import Path

    Path(settings.delivery.maildir).parent.mkdir(parents=True, exist_ok=True)
    return MaildirSender(settings.delivery.maildir)


_SUBJECT = {"en": "Confirm your subscription to {title}", "es": "Confirma tu suscripción a {title}"}
_BODY = {
    "en": "Someone, hopefully you, asked to receive the {title} daily digest at this address.\n\n"
    "Confirm within 7 days by opening this link:\n{url}\n\n"
    "If it was not you, ignore this message: nothing will be sent.\n",
    "es": "Alguien, esperamos que tú, pidió recibir el resumen diario de {title} en esta dirección.\n\n"
    "Confirma en los próximos 7 días abriendo este enlace:\n{url}\n\n"
    "Si no fuiste tú, ignora este mensaje: no enviaremos nada.\n",
}


def message(settings: Settings, subscriber: Subscriber, url: str, now: datetime) -> bytes:
    # TODO(web): use the digest area's build_confirmation_message once it is on main.
    lang = subscriber.language if subscriber.language in _SUBJECT else "en"
    mail = EmailMessage()
    mail["From"] = settings.digest.from_
    mail["To"] = subscriber.email
    mail["Subject"] = _SUBJECT[lang].format(title=settings.site.title)
    mail["Date"] = format_datetime(now)
    mail["Message-ID"] = make_msgid(domain=_bare(settings.digest.from_).rpartition("@")[2])
    mail["Auto-Submitted"] = "auto-generated"
    mail.set_content(_BODY[lang].format(title=settings.site.title, url=url))
    return mail.as_bytes(policy=mail.policy.clone(linesep="\r\n"))


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
