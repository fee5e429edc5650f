"""The emails that carry one signed link: the double opt-in confirmation (outbox
kind ``confirmation``) and "send me my preferences link" (kind ``link``).

A request (the form, ``subscribers add``, an import with status ``pending``; the
preferences-link form) enqueues the row; the message, with its signed link, is
rendered when the row is first claimed and stored with it, so every retry sends
the same bytes. The row then goes through the outbox like a digest: claim,
lease, send, record, and the same retry policy.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime, timedelta
from urllib.parse import urlencode

from sqlalchemy import Engine

from syndicate import tokens
from syndicate.clock import Clock
from syndicate.config import Settings
from syndicate.digest.confirmation import ConfirmationRenderer
from syndicate.digest.dkim import load_signer
from syndicate.store import outbox
from syndicate.store import subscribers as subscriber_store
from syndicate.store.queue import Claimed
from syndicate.subscribers.records import Subscriber

CONFIRM_VALID = timedelta(days=7)
_MESSAGE_ID = re.compile(rb"^Message-ID: *(<[^>\r\n]+>)", re.MULTILINE | re.IGNORECASE)


def link(settings: Settings, route: str, purpose: str, subscriber: Subscriber, expires=None) -> str:
    token = tokens.sign(
        settings.secret.get_secret_value(),
        purpose,
        subscriber.id,
        expires,
        link_key=subscriber.link_key,
    )
    return f"{settings.public_url}/{route}?{urlencode({'token': token})}"


def confirm_url(settings: Settings, subscriber: Subscriber, now: datetime) -> str:
    return link(settings, "confirm", "confirm", subscriber, now + CONFIRM_VALID)


def preferences_url(settings: Settings, subscriber: Subscriber, now: datetime) -> str:
    return link(settings, "preferences", "preferences", subscriber, now + CONFIRM_VALID)


# The outbox kinds this module renders.
KINDS = ("confirmation", "link")


class Assembler:
    """Renders a claimed confirmation or link row that has no message yet, and stores
    the bytes."""

    def __init__(self, settings: Settings, engine: Engine, clock: Clock) -> None:
        self.settings = settings
        self.engine = engine
        self.clock = clock
        self._renderer: ConfirmationRenderer | None = None

    def message(self, kind: str, subscriber: Subscriber, now: datetime, serial: int) -> bytes:
        # Built on first use: most delivery runs carry no confirmation at all.
        if self._renderer is None:
            self._renderer = ConfirmationRenderer(self.settings, load_signer(self.settings))
        if kind == "link":
            url = preferences_url(self.settings, subscriber, now)
            return self._renderer.preferences_message(subscriber, url, now, serial=serial)
        url = confirm_url(self.settings, subscriber, now)
        return self._renderer.message(subscriber, url, now, serial=serial)

    def __call__(self, row: Claimed) -> Claimed:
        if row.kind not in KINDS or row.message:
            return row
        with self.engine.connect() as conn:
            person = subscriber_store.get(conn, row.subscriber_id)
        if person is None:  # removed since: the claim's join would not have found it
            return row
        now = self.clock.now()
        body = self.message(row.kind, person, now, serial=row.id)
        found = _MESSAGE_ID.search(body)
        message_id = found.group(1).decode("ascii") if found else ""
        with self.engine.begin() as conn:
            outbox.store_message(conn, row.id, message_id, body)
        return replace(row, message_id=message_id, message=body)
