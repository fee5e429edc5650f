"""Mailgun: an HMAC-SHA256 of timestamp + token under the webhook signing key, kept fresh."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from syndicate.bounces import reports
from syndicate.bounces.providers import (
    BadPayload,
    Parsed,
    Refused,
    bracketed,
    fresh,
    load_json,
    table,
)
from syndicate.bounces.providers import moment as to_moment


def parse(body: bytes, headers: Mapping[str, str], secret: str, now: datetime) -> Parsed:
    if not secret:
        raise Refused(403, "SYNDICATE_WEBHOOK_SECRET_MAILGUN is not set")
    data = load_json(body)
    signed = data.get("signature") if isinstance(data, dict) else None
    if not isinstance(signed, dict):
        raise Refused(401, "no signature in the payload")
    timestamp, token = str(signed.get("timestamp", "")), str(signed.get("token", ""))
    given = str(signed.get("signature", ""))
    want = hmac.new(secret.encode(), (timestamp + token).encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(given.lower(), want):
        raise Refused(403, "the signature does not match")
    if not fresh(timestamp, now):
        raise Refused(403, "the signature's timestamp is too old or in the future")
    event = data.get("event-data")
    if not isinstance(event, dict):
        raise BadPayload("no event-data")
    return Parsed([_report(event)])


def _report(event: dict[str, Any]) -> reports.Report:
    name = str(event.get("event", "")).lower()
    status = table(event.get("delivery-status"))
    if name == "failed":
        kind = reports.HARD if event.get("severity") == "permanent" else reports.SOFT
    elif name == "complained":
        kind = reports.COMPLAINT
    elif name == "delivered":
        kind = reports.DELIVERED
    else:
        kind = reports.IGNORED
    message_headers = table(table(event.get("message")).get("headers"))
    recipient = str(event.get("recipient", ""))
    reason = " ".join(
        str(part)
        for part in (status.get("code", ""), status.get("message") or status.get("description"))
        if part
    ) or str(event.get("reason", name))
    return reports.Report(
        kind,
        (recipient,) if recipient else (),
        bracketed(message_headers.get("message-id")),
        reason=f"mailgun {name}: {reason}"[:500],
        reported_at=to_moment(event.get("timestamp")),
        key=f"mailgun:{event.get('id') or hashlib.sha256(repr(event).encode()).hexdigest()}",
    )
