"""A parsed report applied: matched to its subscriber, recorded once, and acted on.

Matching goes from the surest to the loosest: the VERP token in the address the
report came back to, then the original Message-ID it quotes, then the failed
recipient's address. The report is recorded under its key first: a report
already on record (read twice, a webhook retried) changes nothing more.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine

from syndicate.addresses import mask
from syndicate.bounces import policy
from syndicate.bounces.reports import UNPARSED, Report
from syndicate.bounces.verp import row_of
from syndicate.config import Settings
from syndicate.store import bounces as store

log = logging.getLogger("syndicate.bounces")


@dataclass(frozen=True)
class Applied:
    kind: str
    matched: bool
    duplicate: bool = False
    moved_to: str | None = None  # the status the subscriber was moved to


def _match(conn: Connection, settings: Settings, report: Report) -> store.Target | None:
    secret = settings.secret.get_secret_value()
    for address in report.sent_to:
        row_id = row_of(address, settings.bounces.return_path, secret) if secret else None
        if row_id is not None and (found := store.by_row(conn, row_id)) is not None:
            return found
    if report.message_id and (found := store.by_message_id(conn, report.message_id)):
        return found
    for address in report.addresses:
        if (found := store.by_address(conn, address)) is not None:
            return found
    return None


def apply(
    engine: Engine,
    settings: Settings,
    report: Report,
    source: str,
    now: datetime,
    raw: bytes | None = None,
) -> Applied:
    """Record ``report`` (from ``source``: mail, ses, ...) and move its subscriber if due."""
    with engine.begin() as conn:
        target = _match(conn, settings, report)
        when = report.reported_at or now
        added = store.add_report(
            conn,
            {
                "key": report.key[:200],
                "source": source,
                "kind": report.kind,
                "subscriber_id": target.subscriber_id if target else None,
                "outbox_id": target.outbox_id if target else None,
                "edition_date": target.edition_date if target else None,
                "address": (target.email if target else ",".join(report.addresses))[:320],
                "reason": report.reason[:2000],
                "reported_at": when,
                "received_at": now,
                # Unparsed reports keep their bytes: the operator may want to read them.
                "raw": raw if report.kind == UNPARSED else None,
            },
        )
        if not added:
            return Applied(report.kind, target is not None, duplicate=True)
        if target is None:
            return Applied(report.kind, False)
        window = when - timedelta(days=settings.bounces.soft_window_days)
        softs = store.soft_count(conn, target.subscriber_id, window)
        move = policy.decide_move(
            report.kind, target.status, softs, settings.bounces.soft_limit, report.reason
        )
        if move.reset_soft:
            store.reset_soft(conn, target.subscriber_id, when)
        moved = None
        if move.status and store.suppress(
            conn, target.subscriber_id, move.status, move.reason, when
        ):
            moved = move.status
    if moved:
        log.warning("%s is now %s (%s, from %s)", mask(target.email), moved, move.reason, source)
    return Applied(report.kind, True, moved_to=moved)
