"""Signed subscriber tokens: HMAC-SHA256, one purpose per token, optional expiry.

A token is ``base64url(payload).base64url(mac)`` where the payload is
``purpose:subscriber_id:expires:link_key`` (expires 0 = never). The purpose is
part of what is signed, so an unsubscribe token can never confirm or change
preferences. The link key is the subscriber row's own random key: a token made
for a row that is gone never names another row, even one with the same id.
Tokens made before keys existed have three fields; ``bound_to`` says whether
the row still honours those.
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
    link_key: str = ""  # "" in a token made before links carried a key


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


def sign(
    secret: str,
    purpose: str,
    subscriber_id: int,
    expires_at: datetime | None = None,
    *,
    link_key: str,
) -> str:
    if purpose not in PURPOSES:
        raise ValueError(f"unknown token purpose {purpose!r}")
    if not link_key or ":" in link_key:
        raise ValueError("a subscriber link needs the row's link key")
    expires = int(expires_at.timestamp()) if expires_at else 0
    payload = f"{purpose}:{subscriber_id}:{expires}:{link_key}".encode("ascii")
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
        token_purpose, raw_id, raw_expires, *key = payload.decode("ascii").split(":")
        if len(key) > 1:
            raise ValueError("too many fields")
        claims = TokenClaims(token_purpose, int(raw_id), int(raw_expires), "".join(key))
    except (ValueError, UnicodeDecodeError):
        raise BadToken("the link is not valid") from None
    if claims.purpose != purpose:
        raise BadToken("the link is not meant for this page")
    if claims.expires and now.timestamp() > claims.expires:
        raise ExpiredToken("the link has expired")
    return claims


def bound_to(claims: TokenClaims, link_key: str, unkeyed_links: bool) -> bool:
    """Whether a verified token was made for the row that now has ``claims.subscriber_id``.

    A keyed token must carry that row's key; a keyless one (older than keys) is
    honoured only by a row that was on the list before keys, so never by one added since.
    """
    if not claims.link_key:
        return unkeyed_links
    return hmac.compare_digest(claims.link_key.encode("ascii"), link_key.encode("ascii"))


# -- short tokens: a number (an outbox row) signed for one purpose --------------
# They travel in an address's local part (VERP), which must stay short (64 characters)
# and which some servers fold to lower case: hence base 36 and base 32, lower case.
SHORT_PURPOSES = ("bounce",)
_SHORT_MAC_BYTES = 10  # 80 bits: guessing one is out of reach; 16 characters in base 32


def _short_mac(secret: str, purpose: str, number: int) -> str:
    if purpose not in SHORT_PURPOSES:
        raise ValueError(f"unknown short token purpose {purpose!r}")
    mac = _mac(secret, f"short:{purpose}:{number}".encode("ascii"))[:_SHORT_MAC_BYTES]
    return base64.b32encode(mac).decode("ascii").lower()


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    text = ""
    while True:
        number, rest = divmod(number, 36)
        text = digits[rest] + text
        if not number:
            return text


def sign_short(secret: str, purpose: str, number: int) -> str:
    """``number`` in base 36, a dash, and a MAC over the purpose and the number."""
    if number < 0:
        raise ValueError("a short token names a row id (0 or more)")
    return f"{_base36(number)}-{_short_mac(secret, purpose, number)}"


def verify_short(secret: str, purpose: str, token: str) -> int:
    """The number a genuine short token for ``purpose`` names; BadToken otherwise."""
    raw_number, _, mac = (token or "").strip().lower().partition("-")
    try:
        number = int(raw_number, 36)
    except ValueError:
        raise BadToken("the token is incomplete or damaged") from None
    if number < 0 or not hmac.compare_digest(mac, _short_mac(secret, purpose, number)):
        raise BadToken("the token is not valid")
    return number
