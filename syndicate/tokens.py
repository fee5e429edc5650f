"""Signed subscriber tokens: HMAC-SHA256, one purpose per token, optional expiry.

A token is ``base64url(payload).base64url(mac)`` where the payload is
``purpose:subscriber_id:expires`` (expires 0 = never). The purpose is part of
what is signed, so an unsubscribe token can never confirm or change preferences.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime

from syndicate.errors import InputError

PURPOSES = ("confirm", "unsubscribe", "preferences", "digest")


class BadToken(InputError):
    field = "token"


class ExpiredToken(BadToken):
    """Genuine, but past its expiry: the reader needs a fresh link, not a warning."""


@dataclass(frozen=True)
class TokenClaims:
    purpose: str
    subscriber_id: int
    expires: int  # unix seconds; 0 = never


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(secret: str, payload: bytes) -> bytes:
    if not secret:
        raise InputError(
            "SYNDICATE_SECRET is not set; subscriber links cannot be signed",
            hint="export SYNDICATE_SECRET to a long random value (e.g. `openssl rand -hex 32`)",
        )
    return hmac.new(secret.encode("utf-8"), payload, hashlib.sha256).digest()[:20]


def sign(secret: str, purpose: str, subscriber_id: int, expires_at: datetime | None = None) -> str:
    if purpose not in PURPOSES:
        raise ValueError(f"unknown token purpose {purpose!r}")
    expires = int(expires_at.timestamp()) if expires_at else 0
    payload = f"{purpose}:{subscriber_id}:{expires}".encode("ascii")
    return f"{_b64(payload)}.{_b64(_mac(secret, payload))}"


def verify(secret: str, purpose: str, token: str, now: datetime) -> TokenClaims:
    """Return the claims of a valid token for ``purpose``; raise BadToken otherwise."""
    try:
        encoded_payload, encoded_mac = (token or "").strip().split(".")
        payload = _unb64(encoded_payload)
        given_mac = _unb64(encoded_mac)
    except (ValueError, TypeError):
        raise BadToken("the link is incomplete or damaged") from None
    if not hmac.compare_digest(given_mac, _mac(secret, payload)):
        raise BadToken("the link is not valid")
    try:
        token_purpose, raw_id, raw_expires = payload.decode("ascii").split(":")
        claims = TokenClaims(token_purpose, int(raw_id), int(raw_expires))
    except (ValueError, UnicodeDecodeError):
        raise BadToken("the link is not valid") from None
    if claims.purpose != purpose:
        raise BadToken("the link is not meant for this page")
    if claims.expires and now.timestamp() > claims.expires:
        raise ExpiredToken("the link has expired")
    return claims
