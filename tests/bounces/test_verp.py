"""The VERP return path: signed, short, case-insensitive, and off when not configured."""

from __future__ import annotations

import pytest

from syndicate.bounces.verp import envelope_sender, row_of
from syndicate.tokens import BadToken, sign_short, verify_short

SECRET = "test-secret-of-at-least-32-characters"
RETURN = "bounces@news.example.org"


def test_empty_return_path_keeps_the_from_address() -> None:
    assert envelope_sender(7, "news@example.org", "", SECRET) == "news@example.org"
    assert envelope_sender(7, "news@example.org", RETURN, "") == "news@example.org"


@pytest.mark.parametrize("row_id", [0, 1, 36, 123456789, 2**40])
def test_the_envelope_sender_names_its_row(row_id: int) -> None:
    address = envelope_sender(row_id, "news@example.org", RETURN, SECRET)
    local, _, domain = address.rpartition("@")
    assert domain == "news.example.org"
    assert local.startswith("bounces+")
    assert len(local) <= 64
    assert row_of(address, RETURN, SECRET) == row_id
    # Some servers fold the local part to upper or lower case on the way back.
    assert row_of(address.upper(), RETURN, SECRET) == row_id
    assert row_of(f"<{address}>", RETURN, SECRET) == row_id


def test_a_forged_or_foreign_address_names_no_row() -> None:
    address = envelope_sender(41, "news@example.org", RETURN, SECRET)
    token = address.split("+", 1)[1].split("@")[0]
    forged = token.replace(token.split("-")[0], "42", 1)
    assert row_of(f"bounces+{forged}@news.example.org", RETURN, SECRET) is None
    assert row_of(address, RETURN, "another-secret-of-at-least-32-characters") is None
    assert row_of(address.replace("news.example.org", "other.org"), RETURN, SECRET) is None
    assert row_of("bounces@news.example.org", RETURN, SECRET) is None
    assert row_of(address, "", SECRET) is None


def test_short_tokens_are_bound_to_their_purpose() -> None:
    token = sign_short(SECRET, "bounce", 99)
    assert verify_short(SECRET, "bounce", token) == 99
    with pytest.raises(BadToken):
        verify_short(SECRET, "bounce", token[:-1] + ("a" if token[-1] != "a" else "b"))
    with pytest.raises(BadToken):
        verify_short(SECRET, "bounce", "zz")
    with pytest.raises(ValueError):
        sign_short(SECRET, "confirm", 1)
