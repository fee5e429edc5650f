"""The DATA bytes the pool writes are exactly what aiosmtplib's own data() would write."""

from __future__ import annotations

import pytest
from aiosmtplib.protocol import PERIOD_REGEX, normalize_message_line_endings

from syndicate.mail.wire import data_payload


def aiosmtplib_payload(message: bytes) -> bytes:
    return PERIOD_REGEX.sub(b"..", normalize_message_line_endings(message)) + b".\r\n"


@pytest.mark.parametrize(
    "message",
    [
        b"Subject: x\r\n\r\nbody\r\n",
        b"Subject: x\r\n\r\nno final line ending",
        b".starts with a dot\r\n.\r\n..two\r\nmid.dle\r\n.",
        b"lone LF\nlone CR\rmixed\r\n\n\r\r\n.dot after LF\n.dot after CR\r.x",
        b"\r\n\r\n.\r\n",
        b"",
        b".",
        "Grüße, señora: ñandú\r\n.—\r\n".encode(),
    ],
)
def test_data_payload_matches_aiosmtplib(message: bytes) -> None:
    assert data_payload(message) == aiosmtplib_payload(message)


def test_a_crlf_message_with_leading_dots_has_them_doubled() -> None:
    assert data_payload(b"a\r\n.b\r\n") == b"a\r\n..b\r\n.\r\n"


@pytest.mark.parametrize("message", [b"a\r\n.b\r\n", b".x\r\ny", b"plain\r\n\r\nbody"])
def test_bytes_known_to_be_crlf_only_give_the_same_payload(message: bytes) -> None:
    assert data_payload(message, crlf_only=True) == aiosmtplib_payload(message)
