"""Postmark: HTTP basic auth with the user:password set on the webhook, and its record types."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from syndicate.bounces import reports
from syndicate.bounces.providers import BadPayload, Parsed, Refused, header, load_json
from syndicate.bounces.providers import moment as to_moment

# Bounce types that say the address will not take mail; the others may pass.
_HARD = {"HardBounce", "BadEmailAddress", "ManuallyDeactivated", "Unsubscribe", "AddressChange"}
_SOFT = {"SoftBounce", "Transient", "DnsError", "MailFrontier", "Blocked", "SMTPApiError"}
_COMPLAINT = {"SpamComplaint"}
_IGNORED = {
    "AutoResponder",
    "OpenRelayTest",
    "Unknown",
    "ChallengeVerification",
    "VirusNotification",
}


def check_auth(headers: Mapping[str, str], secret: str) -> None:
    """``secret`` is "user:password" as set in the webhook's URL or its basic-auth fields."""
    if not secret:
        raise Refused(403, "SYNDICATE_WEBHOOK_SECRET_POSTMARK is not set")
    scheme, _, given = header(headers, "authorization").partition(" ")
    if scheme.lower() != "basic" or not given.strip():
        raise Refused(401, "basic authentication required")
    try:
        pair = base64.b64decode(given.strip(), validate=True)
    except ValueError:
        raise Refused(401, "the credentials are not base64") from None
    # Digests of equal length: the comparison says nothing about how close a guess was.
    if not hmac.compare_digest(
        hashlib.sha256(pair).digest(), hashlib.sha256(secret.encode()).digest()
    ):
        raise Refused(403, "wrong user or password")


def parse(body: bytes, headers: Mapping[str, str], secret: str, now: datetime) -> Parsed:
    check_auth(headers, secret)
    data = load_json(body)
    if not isinstance(data, dict):
        raise BadPayload("expected one JSON object")
    return Parsed([_report(data)])


def _report(record: dict[str, Any]) -> reports.Report:
    record_type = str(record.get("RecordType", ""))
    kind_name = str(record.get("Type", ""))
    address = str(record.get("Email") or record.get("Recipient") or "")
    when: Any = record.get("BouncedAt") or record.get("DeliveredAt") or record.get("ReceivedAt")
    if record_type == "SpamComplaint" or kind_name in _COMPLAINT:
        kind = reports.COMPLAINT
    elif record_type == "Delivery":
        kind = reports.DELIVERED
    elif record_type == "Bounce" and kind_name in _HARD:
        kind = reports.HARD
    elif record_type == "Bounce" and kind_name in _SOFT:
        kind = reports.SOFT
    else:
        kind = reports.IGNORED  # auto-responders, tests, record types we do not act on
    ident = record.get("ID") or record.get("MessageID") or ""
    reason = str(record.get("Description") or record.get("Details") or kind_name or record_type)
    return reports.Report(
        kind,
        (address,) if address else (),
        reason=f"postmark {kind_name or record_type}: {reason}"[:500],
        reported_at=to_moment(when),
        key=f"postmark:{record_type}:{ident}:{address}",
    )
