"""Reading reports: DSNs, ARF, non-standard bounces, auto-replies and junk (pure)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from syndicate.bounces import reports
from tests import bounce_mail

TO = "bounces+1-aaaaaaaaaaaaaaaa@news.example.org"
WHEN = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def test_a_hard_dsn_names_the_recipient_the_message_and_the_status() -> None:
    raw = bounce_mail.dsn(
        TO,
        "ana@example.com",
        "<m1@news.example.org>",
        "5.1.1",
        when=WHEN,
        diagnostic="550 5.1.1 user unknown",
    )
    found = reports.parse(raw, envelope_to=["x@news.example.org"])
    assert found.kind == reports.HARD
    assert found.addresses == ("ana@example.com",)
    assert found.message_id == "<m1@news.example.org>"
    assert found.sent_to[0] == "x@news.example.org" and TO in found.sent_to
    assert found.reported_at == WHEN
    assert "5.1.1" in found.reason and "user unknown" in found.reason
    assert found.key == reports.parse(raw).key


@pytest.mark.parametrize(
    ("status", "action", "kind"),
    [
        ("4.2.2", "failed", reports.SOFT),
        ("5.2.2", "failed", reports.SOFT),
        ("4.4.1", "delayed", reports.SOFT),
        ("2.0.0", "delivered", reports.DELIVERED),
        ("5.7.1", "failed", reports.HARD),
    ],
)
def test_dsn_kinds(status: str, action: str, kind: str) -> None:
    raw = bounce_mail.dsn(TO, "ana@example.com", "<m1@x>", status, action=action)
    assert reports.parse(raw).kind == kind


def test_an_arf_complaint() -> None:
    found = reports.parse(bounce_mail.arf(TO, "bea@example.com", "<m2@news.example.org>"))
    assert found.kind == reports.COMPLAINT
    assert found.addresses == ("bea@example.com",)
    assert found.message_id == "<m2@news.example.org>"


def test_a_dsn_quoting_only_the_message_id() -> None:
    raw = bounce_mail.dsn(
        "bounces@news.example.org", "", "<m3@news.example.org>", "5.1.1", quote_recipient=False
    )
    found = reports.parse(raw)
    assert (found.kind, found.addresses, found.message_id) == (
        reports.HARD,
        (),
        "<m3@news.example.org>",
    )


def test_a_qmail_bounce_through_flufl() -> None:
    found = reports.parse(bounce_mail.qmail_bounce(TO, "cai@example.com"))
    assert found.kind == reports.HARD
    assert found.addresses == ("cai@example.com",)


def test_auto_replies_and_junk_never_count() -> None:
    assert reports.parse(bounce_mail.vacation(TO, "dan@example.com")).kind == reports.AUTO_REPLY
    assert reports.parse(bounce_mail.junk(TO)).kind == reports.UNPARSED
    assert reports.parse(b"\x00\xff garbage").kind == reports.UNPARSED
    assert reports.parse(b"").kind == reports.UNPARSED
