"""Provider webhooks: check that a request really comes from the provider, then read its events.

Pure: the body, the headers, the secrets and the time in, reports out (SES also
needs its signing certificate, which the caller fetches and caches). A request
that fails authentication raises ``Refused`` with the HTTP status to answer.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from syndicate.bounces.reports import Report

PROVIDERS = ("ses", "postmark", "mailgun", "sendgrid")
SECRET_ENV = {
    "postmark": "SYNDICATE_WEBHOOK_SECRET_POSTMARK",
    "mailgun": "SYNDICATE_WEBHOOK_SECRET_MAILGUN",
    "sendgrid": "SYNDICATE_WEBHOOK_SECRET_SENDGRID",
}
# A signed request older (or newer) than this is a replay or a wrong clock: refused.
FRESH_SECONDS = 15 * 60


class Refused(Exception):
    """Authentication failed: answer ``status`` (401 no credentials, 403 wrong ones)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class BadPayload(ValueError):
    """Authenticated, but not the shape the provider documents (answered 400)."""


@dataclass
class Parsed:
    reports: list[Report] = field(default_factory=list)
    confirm_url: str = ""  # SES: a subscription to confirm by fetching this URL


def load_json(body: bytes) -> Any:
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise BadPayload("the body is not JSON") from None


def header(headers: Mapping[str, str], name: str) -> str:
    return next((v for k, v in headers.items() if k.lower() == name.lower()), "")


def fresh(timestamp: str, now: datetime) -> bool:
    try:
        moment = float(timestamp)
    except ValueError:
        return False
    return abs(now.timestamp() - moment) <= FRESH_SECONDS


def moment(value: Any) -> datetime | None:
    """An RFC 3339 text or unix seconds, as an aware datetime (None when unreadable)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, UTC)
    if isinstance(value, str) and value:
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    return None


def bracketed(message_id: Any) -> str:
    text = str(message_id or "").strip()
    if not text:
        return ""
    return text if text.startswith("<") else f"<{text}>"


def table(value: Any) -> dict[str, Any]:
    """``value`` when it is a JSON object, else an empty one: a missing part reads as empty."""
    return value if isinstance(value, dict) else {}
