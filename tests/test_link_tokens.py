"""Signed links carry the subscriber row's key; keyless ones (older) are told apart."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest

from syndicate import tokens

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _legacy(purpose: str, subscriber_id: int, expires: int = 0) -> str:
    payload = f"{purpose}:{subscriber_id}:{expires}".encode("ascii")
    mac = hmac.new(b"s3cret", payload, hashlib.sha256).digest()[:20]
    return ".".join(
        base64.urlsafe_b64encode(part).rstrip(b"=").decode("ascii") for part in (payload, mac)
    )


def test_the_key_is_signed_and_read_back() -> None:
    token = tokens.sign("s3cret", "unsubscribe", 42, link_key="Abc-_123xyz")
    claims = tokens.verify("s3cret", "unsubscribe", token, NOW)
    assert (claims.subscriber_id, claims.link_key, claims.expires) == (42, "Abc-_123xyz", 0)
    expiring = tokens.sign("s3cret", "confirm", 42, NOW + timedelta(days=7), link_key="k1")
    assert tokens.verify("s3cret", "confirm", expiring, NOW).link_key == "k1"
    with pytest.raises(tokens.BadToken, match="expired"):
        tokens.verify("s3cret", "confirm", expiring, NOW + timedelta(days=8))


@pytest.mark.parametrize("key", ["", "a:b"])
def test_a_link_without_a_usable_key_is_never_made(key: str) -> None:
    with pytest.raises(ValueError, match="link key"):
        tokens.sign("s3cret", "preferences", 1, link_key=key)


def test_bound_to_the_row_it_was_made_for() -> None:
    keyed = tokens.verify(
        "s3cret", "preferences", tokens.sign("s3cret", "preferences", 5, link_key="mine"), NOW
    )
    assert tokens.bound_to(keyed, "mine", unkeyed_links=False)
    assert tokens.bound_to(keyed, "mine", unkeyed_links=True)
    assert not tokens.bound_to(keyed, "theirs", unkeyed_links=True)
    assert not tokens.bound_to(keyed, "min", unkeyed_links=False)
    assert not tokens.bound_to(keyed, "", unkeyed_links=True)


def test_keyless_links_still_verify_and_need_an_old_row() -> None:
    claims = tokens.verify("s3cret", "unsubscribe", _legacy("unsubscribe", 9), NOW)
    assert (claims.subscriber_id, claims.link_key) == (9, "")
    assert tokens.bound_to(claims, "any-key", unkeyed_links=True)
    assert not tokens.bound_to(claims, "any-key", unkeyed_links=False)


def test_extra_fields_are_refused() -> None:
    payload = b"unsubscribe:9:0:key:more"
    mac = hmac.new(b"s3cret", payload, hashlib.sha256).digest()[:20]
    token = ".".join(
        base64.urlsafe_b64encode(part).rstrip(b"=").decode("ascii") for part in (payload, mac)
    )
    with pytest.raises(tokens.BadToken, match="not valid"):
        tokens.verify("s3cret", "unsubscribe", token, NOW)
