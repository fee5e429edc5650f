"""SendGrid's signed event webhook: ECDSA (P-256, SHA-256) over timestamp + body.

The verification key (SYNDICATE_WEBHOOK_SECRET_SENDGRID) is the public key SendGrid
shows: base64 DER, or PEM.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from syndicate.bounces import reports
from syndicate.bounces.providers import (
    BadPayload,
    Parsed,
    Refused,
    bracketed,
    fresh,
    header,
    load_json,
)
from syndicate.bounces.providers import moment as to_moment

SIGNATURE_HEADER = "X-Twilio-Email-Event-Webhook-Signature"
TIMESTAMP_HEADER = "X-Twilio-Email-Event-Webhook-Timestamp"


def public_key(text: str) -> ec.EllipticCurvePublicKey:
    try:
        if "BEGIN PUBLIC KEY" in text:
            key = serialization.load_pem_public_key(text.encode())
        else:
            key = serialization.load_der_public_key(base64.b64decode("".join(text.split())))
    except (ValueError, binascii.Error):
        raise Refused(403, "SYNDICATE_WEBHOOK_SECRET_SENDGRID is not a public key") from None
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise Refused(403, "SYNDICATE_WEBHOOK_SECRET_SENDGRID is not an elliptic-curve key")
    return key


def verify(body: bytes, headers: Mapping[str, str], secret: str, now: datetime) -> None:
    if not secret:
        raise Refused(403, "SYNDICATE_WEBHOOK_SECRET_SENDGRID is not set")
    signature, timestamp = header(headers, SIGNATURE_HEADER), header(headers, TIMESTAMP_HEADER)
    if not signature or not timestamp:
        raise Refused(401, f"{SIGNATURE_HEADER} and {TIMESTAMP_HEADER} are required")
    try:
        der = base64.b64decode(signature, validate=True)
        public_key(secret).verify(der, timestamp.encode() + body, ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, ValueError, binascii.Error):
        raise Refused(403, "the signature does not match") from None
    if not fresh(timestamp, now):
        raise Refused(403, "the signature's timestamp is too old or in the future")


def parse(body: bytes, headers: Mapping[str, str], secret: str, now: datetime) -> Parsed:
    verify(body, headers, secret, now)
    data = load_json(body)
    if not isinstance(data, list):
        raise BadPayload("expected a JSON array of events")
    return Parsed([_report(event) for event in data if isinstance(event, dict)])


def _report(event: dict[str, Any]) -> reports.Report:
    name = str(event.get("event", "")).lower()
    if name == "bounce":
        # "blocked" is the far end refusing for now (reputation, content): soft.
        kind = reports.SOFT if event.get("type") == "blocked" else reports.HARD
    elif name in ("deferred", "blocked"):
        kind = reports.SOFT
    elif name == "spamreport":
        kind = reports.COMPLAINT
    elif name == "delivered":
        kind = reports.DELIVERED
    else:
        kind = reports.IGNORED  # processed, open, click, dropped, ...
    address = str(event.get("email", ""))
    reason = " ".join(str(event.get(k)) for k in ("status", "reason", "response") if event.get(k))
    ident = event.get("sg_event_id") or f"{event.get('sg_message_id')}:{name}:{address}"
    return reports.Report(
        kind,
        (address,) if address else (),
        bracketed(event.get("smtp-id")),
        reason=f"sendgrid {name}: {reason or name}"[:500],
        reported_at=to_moment(event.get("timestamp")),
        key=f"sendgrid:{ident}",
    )
