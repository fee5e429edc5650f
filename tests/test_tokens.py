"""Signed subscriber links: what a bad one says about itself, as attributes."""

from __future__ import annotations

from datetime import timedelta

import pytest

from syndicate import tokens
from tests.digest_data import NOW

SECRET = "test-secret"


def test_an_expired_link_is_told_apart_from_a_forged_one() -> None:
    token = tokens.sign(SECRET, "confirm", 5, NOW + timedelta(days=7), link_key="k5")
    assert tokens.verify(SECRET, "confirm", token, NOW).subscriber_id == 5
    with pytest.raises(tokens.ExpiredToken) as expired:
        tokens.verify(SECRET, "confirm", token, NOW + timedelta(days=8))
    assert expired.value.field == "token" and str(expired.value) == "the link has expired"
    for bad in (token[:-3] + "xyz", "", "a.b.c"):
        with pytest.raises(tokens.BadToken) as forged:
            tokens.verify(SECRET, "confirm", bad, NOW)
        assert not isinstance(forged.value, tokens.ExpiredToken)
        assert forged.value.field == "token"
    with pytest.raises(tokens.BadToken, match="not meant for this page"):
        tokens.verify(SECRET, "unsubscribe", token, NOW)
