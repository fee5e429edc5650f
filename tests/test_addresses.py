"""Address checks: one normalised form per inbox, invisible characters refused, the wire form."""

from __future__ import annotations

import pytest

from syndicate import subscribers
from syndicate.addresses import (
    BadAddress,
    needs_smtputf8,
    normalise_address,
    parse_mailbox,
    smtp_form,
)
from syndicate.config import Settings
from syndicate.store import subscribers as subscriber_store


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("idn@bücher.example", "idn@bücher.example"),
        ("idn@xn--bcher-kva.example", "idn@bücher.example"),
        ("idn@XN--BCHER-KVA.EXAMPLE", "idn@bücher.example"),
        ("idn@BÜCHER.example", "idn@bücher.example"),
        ("victim@ｅｘａｍｐｌｅ.org", "victim@example.org"),  # fullwidth letters fold
        ("victim@example。org", "victim@example.org"),  # ideographic full stop
        ("victim@example．org", "victim@example.org"),  # fullwidth full stop
        ("victim@example｡org", "victim@example.org"),  # halfwidth ideographic full stop
        ("jose\u0301@example.org", "jos\u00e9@example.org"),  # NFC
        ("Reader@Example.ORG", "Reader@example.org"),  # local part kept as given
        ("a@straße.example", "a@straße.example"),  # IDNA 2008: ß is not ss
        ("r@مثال.example", "r@مثال.example"),
        ("\t x@example.org \r\n", "x@example.org"),
    ],
)
def test_one_stored_form_per_inbox(given: str, stored: str) -> None:
    assert normalise_address(given) == stored


@pytest.mark.parametrize(
    ("bad", "why"),
    [
        ("victim@exam\u200bple.org", "ZERO WIDTH SPACE"),
        ("victim@exam\u00adple.org", "SOFT HYPHEN"),
        ("victim@\ufeffexample.org", "ZERO WIDTH NO-BREAK SPACE"),
        ("\ufeffvictim@example.org", "ZERO WIDTH NO-BREAK SPACE"),
        ("victim@exam\u202eple.org", "RIGHT-TO-LEFT OVERRIDE"),
        ("vic\u2066tim@example.org", "LEFT-TO-RIGHT ISOLATE"),
        ("vic\u200dtim@example.org", "ZERO WIDTH JOINER"),
        ("victim@example.org\u0085", "U+0085"),
        ("vic\u2028tim@example.org", "LINE SEPARATOR"),
        ("a\r\nbcc@example.org", "invalid"),
        ('"a b"@example.org', "quoting"),
        ("a@[127.0.0.1]", "bracketed"),
        ("a@localhost", "period"),
        ("user@news.test", "special-use"),
        ("é" * 33 + "@example.org", "64 bytes"),
        ("x" * 65 + "@example.org", "too long"),
        ("a@example.org.", "period"),
        ("", "missing"),
    ],
)
def test_invisible_and_malformed_addresses_are_refused(bad: str, why: str) -> None:
    with pytest.raises(BadAddress) as caught:
        normalise_address(bad)
    assert why in str(caught.value)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("stored", "wire", "utf8"),
    [
        ("reader@example.org", "reader@example.org", False),
        ("idn@bücher.example", "idn@xn--bcher-kva.example", False),
        ("josé@example.org", "josé@example.org", True),
        ("josé@bücher.example", "josé@xn--bcher-kva.example", True),
    ],
)
def test_the_wire_form_uses_the_a_label(stored: str, wire: str, utf8: bool) -> None:
    assert smtp_form(stored) == wire
    assert needs_smtputf8(stored) is utf8


def test_an_address_stored_before_these_checks_is_refused_on_the_way_out() -> None:
    with pytest.raises(BadAddress):
        smtp_form("victim@exam\u200bple.org")


@pytest.mark.parametrize(
    ("value", "name", "address"),
    [
        ("Noticias Perú <digest@500palabras.pe>", "Noticias Perú", "digest@500palabras.pe"),
        ("News: Daily <news@example.com>", "News: Daily", "news@example.com"),
        ('"Doe, Jane" <jane@example.com>', "Doe, Jane", "jane@example.com"),
        ('"Say \\"hi\\"" <hi@example.com>', 'Say "hi"', "hi@example.com"),
        ("news@Example.COM", "", "news@example.com"),
        ("<news@example.com>", "", "news@example.com"),
        ("Boletín <boletin@perú.example>", "Boletín", "boletin@perú.example"),
    ],
)
def test_a_configured_mailbox_keeps_its_whole_name(value: str, name: str, address: str) -> None:
    assert parse_mailbox(value) == (name, address)


@pytest.mark.parametrize(
    "value",
    [
        "A <a@example.org>, B <b@example.org>",
        "a@example.org, b@example.org",
        "News <news@example.com",
        "News <<news@example.com>>",
        "News",
    ],
)
def test_more_or_less_than_one_mailbox_is_refused(value: str) -> None:
    with pytest.raises(BadAddress):
        parse_mailbox(value)


def test_csv_rows_with_invisible_characters_are_reported_and_the_rest_imported(
    engine, db_settings: Settings, clock
) -> None:
    content = (
        "email,status\n"
        "first@example.org,active\n"
        "victim@exam\u200bple.org,active\n"
        "victim@exam\u00adple.org,active\n"
        "josé@example.org,active\n"
        "idn@bücher.example,active\n"
        "idn@xn--bcher-kva.example,active\n"
        "last@example.org,active\n"
    )
    parsed = subscribers.parse_csv(db_settings, content, "s.csv")
    with engine.begin() as conn:
        report = subscriber_store.save_all(conn, parsed.rows, clock.now())
        stored = [s.email for s in subscriber_store.list_all(conn)]
    # The A-label spelling is the same inbox, already stored as it is.
    assert (report.new, report.updated, report.unchanged) == (4, 0, 1)
    assert [line.split(": ", 1)[0] for line in parsed.errors] == ["s.csv:3", "s.csv:4"]
    assert "ZERO WIDTH SPACE" in parsed.errors[0] and "SOFT HYPHEN" in parsed.errors[1]
    assert stored == [
        "first@example.org",
        "josé@example.org",
        "idn@bücher.example",
        "last@example.org",
    ]
