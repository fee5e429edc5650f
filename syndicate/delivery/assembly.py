"""Digest rows become message bytes when they are sent: their edition body, loaded once
per run, and what the row itself keeps (address, link key, Message-ID, date).

Bodies are read by the feeder right after a claim, in its thread, so a lane only
joins bytes; the body cache is bounded (an edition has few distinct bodies).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy import Engine

from syndicate.config import Settings
from syndicate.digest import body as edition_body
from syndicate.digest.dkim import load_signer
from syndicate.store import bodies
from syndicate.store.queue import Claimed, as_claimed

_CACHE_LIMIT = 256


class Assembler:
    def __init__(self, settings: Settings, engine: Engine) -> None:
        self.engine = engine
        self.secret = settings.secret.get_secret_value()
        # Read and checked once per run; DKIM signs here, at send time.
        self.signer = load_signer(settings)
        self._bodies: dict[int, edition_body.Body] = {}

    def load(self, rows: Sequence[Claimed]) -> None:
        """Have the bodies of these rows at hand (one query for those not cached)."""
        wanted = {row.body_id for row in rows if row.body_id is not None and not row.message}
        missing = wanted - self._bodies.keys()
        if not missing:
            return
        if len(self._bodies) + len(missing) > _CACHE_LIMIT:
            self._bodies = {i: b for i, b in self._bodies.items() if i in wanted}
        with self.engine.connect() as conn:
            found = bodies.load(conn, missing)
        for body_id, content in found.items():
            self._bodies[body_id] = edition_body.load(content)

    def stored(self, row: Any) -> bytes | None:
        """The bytes an outbox row (as read from the table) would be sent as; None if none."""
        if row.message or row.body_id is None:
            return row.message
        claimed = as_claimed(row, row.attempts)
        return self(claimed).message

    def __call__(self, row: Claimed) -> Claimed:
        """The row with its message; unchanged when it has its bytes or no body."""
        if row.message or row.body_id is None:
            return row
        found = self._bodies.get(row.body_id)
        if found is None:
            self.load([row])
            found = self._bodies[row.body_id]
        if not row.link_key or row.window_end is None:
            raise ValueError("the row lacks its link key or window")
        person = edition_body.Personal(
            subscriber_id=row.subscriber_id,
            email=row.recipient,
            link_key=row.link_key,
            message_id=row.message_id,
            date=row.window_end,
        )
        return replace(row, message=edition_body.assemble(found, person, self.secret, self.signer))
