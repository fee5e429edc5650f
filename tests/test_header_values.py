"""Values that end up in mail headers: config refuses what cannot be one clean header value,
and what it accepts is written so that Python's parser reads back exactly that."""

from __future__ import annotations

import email
import email.policy
import textwrap
import tomllib
from email.errors import NonASCIILocalPartDefect
from email.header import decode_header, make_header
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import idna
import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from syndicate import config
from syndicate.digest import DigestRenderer, build_confirmation_message, mime, select_edition
from syndicate.errors import ConfigError
from tests.cli import syndicate
from tests.conftest import BASE_CONFIG
from tests.digest_data import NOW, english_edition, subscriber

SECTION = '[[sections]]\nslug = "world"\ntitle = "World"\n'


def load(tmp_path: Path, **tables: dict[str, Any]) -> config.Settings:
    raw = tomllib.loads(textwrap.dedent(BASE_CONFIG))
    for name, keys in tables.items():
        raw.setdefault(name, {}).update(keys)
    return config.from_mapping(raw, base_dir=tmp_path, env={"SYNDICATE_SECRET": "s"})


def problems(tmp_path: Path, body: str) -> list[str]:
    path = tmp_path / "config.toml"
    path.write_text(SECTION + body, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        config.load(path, env={})
    return caught.value.problems


def parse(raw: bytes) -> EmailMessage:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    found = [(name, message[name].defects) for name in message if message[name].defects]
    found += [(p.get_content_type(), p.defects) for p in message.walk() if p.defects]
    assert not found, found
    return message


def digest(settings: config.Settings, **reader: Any) -> EmailMessage:
    person = subscriber(**reader)
    edition = select_edition(person, english_edition(), None, NOW, settings)
    return parse(DigestRenderer(settings).message(edition, person).message)


def confirmation(settings: config.Settings, **reader: Any) -> bytes:
    url = "https://feeds.example.org/confirm?token=abc"
    return build_confirmation_message(settings, subscriber(**reader), url, NOW)


# -- control characters: refused, with the key named ---------------------------------

CONTROL = [
    ("[site] title", '[site]\ntitle = "News\\r\\nBcc: victim@example.org"\n'),
    ("[site] title", '[site]\ntitle = "News\\u0085Bcc: victim@example.org"\n'),
    ("[site] title", '[site]\ntitle = "News\\u2028Daily"\n'),
    ("[site] title", '[site]\ntitle = "News\\tDaily"\n'),
    ("[site] title", '[site]\ntitle = "News \\u202eyliaD"\n'),
    ("[digest] from", '[digest]\nfrom = "News <news@example.com>\\r\\nBcc: a@example.org"\n'),
    ("[digest] from", '[digest]\nfrom = "News\\u0085 <news@example.com>"\n'),
    ("[digest] subject", '[digest]\nsubject = "{{ date }}\\nBcc: a@example.org"\n'),
    ("[digest] unsubscribe_mailto", '[digest]\nunsubscribe_mailto = "a@example.org\\r\\nBcc: b"\n'),
    ("[digest] dkim_selector", '[digest]\ndkim_selector = "mail\\r\\nBcc: a@example.org"\n'),
    ("[digest] dkim_domain", '[digest]\ndkim_domain = "example.org\\n"\n'),
    ("[smtp] host", '[smtp]\nhost = "relay.example.org\\r\\nRSET"\n'),
    ("[smtp] username", '[smtp]\nusername = "me\\u0000"\n'),
    ("[server] public_url", '[server]\npublic_url = "https://feeds.example.org/\\r\\nBcc: x"\n'),
    ("[site] url", '[site]\nurl = "https://news.example.org/\\u0085x"\n'),
]


@pytest.mark.parametrize(("key", "body"), CONTROL)
def test_a_control_character_in_a_header_bound_value_is_refused(tmp_path, key, body):
    lines = problems(tmp_path, body)
    assert len(lines) == 1, lines
    assert f"{key}: " in lines[0]
    assert "control character" in lines[0]
    assert "\n" not in lines[0] and "\r" not in lines[0]


def test_a_section_title_with_a_line_break_is_refused(tmp_path):
    body = '[[sections]]\nslug = "mundo"\ntitle = "Mundo\\nBcc: x"\n'
    [line] = problems(tmp_path, body)
    assert "[[sections]] #2 title: " in line and "U+000A" in line


# -- values that must parse to one thing -----------------------------------------------

MALFORMED = [
    ("[digest] from", '[digest]\nfrom = "a@example.org, b@example.org"\n', "invalid"),
    ("[digest] from", '[digest]\nfrom = "A <a@example.org>, B <b@example.org>"\n', "one mailbox"),
    ("[digest] from", '[digest]\nfrom = "News"\n', "@-sign"),
    ("[digest] from", '[digest]\nfrom = "News <news@example>"\n', "period"),
    ("[digest] from", '[digest]\nfrom = "News <josé@example.com>"\n', "ASCII"),
    ("[digest] from", '[digest]\nfrom = "News <news@exam\\u200bple.com>"\n', "ZERO WIDTH"),
    ("[digest] from", '[digest]\nfrom = "News <news@example.com"\n', "one mailbox"),
    ("[digest] unsubscribe_mailto", '[digest]\nunsubscribe_mailto = "a@b.org?subject=x"\n', "one"),
    ("[digest] unsubscribe_mailto", '[digest]\nunsubscribe_mailto = "a@b.org, c@d.org"\n', "one"),
    ("[digest] unsubscribe_mailto", '[digest]\nunsubscribe_mailto = "leave"\n', "@-sign"),
    ("[digest] unsubscribe_mailto", '[digest]\nunsubscribe_mailto = "mailto:ba ja@x.org"\n', ""),
    ("[digest] unsubscribe_mailto", '[digest]\nunsubscribe_mailto = "Leave <l@x.org>"\n', "one"),
    ("[digest] dkim_selector", '[digest]\ndkim_selector = "mail_2026"\n', "DNS name"),
    ("[digest] dkim_selector", '[digest]\ndkim_selector = "-mail"\n', "DNS name"),
    ("[digest] dkim_selector", '[digest]\ndkim_selector = "sel ector"\n', "DNS name"),
    ("[digest] dkim_selector", '[digest]\ndkim_selector = "a..b"\n', "DNS name"),
    ("[digest] dkim_selector", '[digest]\ndkim_selector = "sélecteur"\n', "DNS name"),
    ("[digest] dkim_domain", '[digest]\ndkim_domain = "exa mple.com"\n', "domain"),
    ("[digest] dkim_domain", '[digest]\ndkim_domain = "localhost"\n', "domain"),
]


@pytest.mark.parametrize(("key", "body", "reason"), MALFORMED)
def test_a_header_value_that_does_not_parse_is_refused(tmp_path, key, body, reason):
    lines = problems(tmp_path, body)
    assert len(lines) == 1, lines
    assert f"{key}: " in lines[0] and reason in lines[0], lines[0]


@pytest.mark.parametrize(
    ("key", "body"),
    [
        ("[site] title", '[site]\ntitle = "Noticias\\r\\nBcc: victim@example.org"\n'),
        ("[digest] from", '[digest]\nfrom = "A <a@example.org>, B <b@example.org>"\n'),
        ("[digest] unsubscribe_mailto", '[digest]\nunsubscribe_mailto = "a@b.org?x=1"\n'),
        ("[digest] dkim_selector", '[digest]\ndkim_selector = "mail\\u0085x"\n'),
    ],
)
def test_config_check_names_the_key_on_one_line_and_exits_2(tmp_path, key, body):
    path = tmp_path / "config.toml"
    path.write_text(SECTION + body, encoding="utf-8")
    result = syndicate(path, "config", "check")
    assert result.returncode == 2, result.stderr
    lines = result.stderr.splitlines()
    assert lines[0].startswith(f"error: {path}: {key}: "), lines
    assert lines[1].startswith("hint: ") and len(lines) == 2
    assert "Traceback" not in result.stderr


def test_config_check_accepts_international_header_values(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text(
        SECTION
        + '[site]\ntitle = "Noticias Perú · أخبار"\n'
        + '[digest]\nfrom = "Noticias Perú <digest@500palabras.pe>"\n'
        + 'unsubscribe_mailto = "baja@perú.example"\n',
        encoding="utf-8",
    )
    result = syndicate(path, "config", "check")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok")


# -- what config accepts, headers carry intact ------------------------------------------

NAMES = [
    "Noticias Perú",
    "News: Daily",
    "Doe, Jane",
    'The "Daily" News',
    "Back\\slash",
    "News (Lima)",
    "J. R. Editor",
    "=?utf-8?q?Fake?=",
    "أخبار اليوم",
    "新闻 日报",
    "📰 Morning Brief",
    "word " * 20 + "end",
    "é" * 90,
]


def read_phrase(raw: bytes) -> str:
    """The display name as an RFC 2047 reader sees it: adjacent encoded words joined.

    Python's structured-header parser keeps the space between two adjacent encoded
    words (RFC 2047 section 6.2 says to drop it), so a name longer than one encoded
    word is checked here as mail clients read it.
    """
    value = raw.decode("ascii").split(":", 1)[1].replace("\r\n", "").strip()
    if not value.endswith(">"):
        return ""  # a bare address: no name
    phrase = value.rsplit(" <", 1)[0]
    if phrase.startswith('"'):
        return phrase[1:-1]
    return str(make_header(decode_header(phrase)))


@pytest.mark.parametrize("name", NAMES)
def test_the_display_name_is_encoded_and_the_address_kept(tmp_path, name):
    settings = load(tmp_path, digest={"from": f"{name} <digest@500palabras.pe>"})
    assert settings.digest.from_name == name
    expected = " ".join(name.split())
    for message in (digest(settings), parse(confirmation(settings))):
        [mailbox] = message["From"].addresses
        assert mailbox.addr_spec == "digest@500palabras.pe"
        if len(name.encode()) <= 39:
            assert mailbox.display_name == expected
        assert mailbox.display_name.replace(" ", "") == expected.replace(" ", "")
    raw = DigestRenderer(settings).from_header
    assert read_phrase(raw) == expected
    assert raw.isascii() and all(len(line) <= 78 for line in raw.split(b"\r\n") if b" " in line)


def test_a_quoted_display_name_in_config_loses_only_its_quotes(tmp_path):
    settings = load(tmp_path, digest={"from": '"News: Daily, Lima" <news@example.com>'})
    [mailbox] = digest(settings)["From"].addresses
    assert (mailbox.display_name, mailbox.addr_spec) == ("News: Daily, Lima", "news@example.com")


def test_an_idn_from_domain_is_written_as_its_a_label_everywhere(tmp_path):
    settings = load(tmp_path, digest={"from": "Noticias <digest@Perú.example>"})
    ace = idna.encode("perú.example").decode()
    message = digest(settings)
    assert message["From"].addresses[0].addr_spec == f"digest@{ace}"
    assert message["Message-ID"].endswith(f".digest@{ace}>")
    assert message["List-Id"].endswith(f"<digest.{ace}>")


@pytest.mark.parametrize(
    "title", ["Noticias Perú", 'Diario "El Sol"', "News: Daily", "Tageblatt " * 12, "مثال"]
)
def test_list_id_keeps_its_identifier_whatever_the_title(tmp_path, title):
    settings = load(tmp_path, site={"title": title})
    message = digest(settings)
    assert message["List-Id"].endswith(" <digest.example.com>")
    # Python reads List-Id as unstructured text: a quoted phrase keeps its quotes.
    unquoted = message["List-Id"].replace('"', "")
    assert " ".join(title.replace('"', "").split()) + " digest <" in unquoted
    confirm = parse(confirmation(settings))
    assert " ".join(title.split()) in confirm["Subject"]


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("baja@perú.example", "baja@perú.example"),
        ("mailto:Baja@PERÚ.example", "Baja@perú.example"),
        ("leave@example.com", "leave@example.com"),
        ("  leave@ｅｘａｍｐｌｅ.com ", "leave@example.com"),
    ],
)
def test_unsubscribe_mailto_is_normalised_and_written_as_ascii(tmp_path, given, stored):
    settings = load(tmp_path, digest={"unsubscribe_mailto": given})
    assert settings.digest.unsubscribe_mailto == stored
    local, _, domain = stored.partition("@")
    expected = f"<mailto:{local}@{idna.encode(domain).decode()}?subject=unsubscribe%20"
    assert expected in digest(settings)["List-Unsubscribe"]


def test_dkim_domain_and_urls_become_ascii(tmp_path):
    settings = load(
        tmp_path,
        digest={"dkim_domain": "Perú.Example", "dkim_selector": "mail-2026.a"},
        server={"public_url": "https://noticias.perú/boletín/"},
    )
    peru = idna.encode("perú").decode()
    assert settings.digest.dkim_domain == f"{peru}.example"
    assert settings.public_url == f"https://noticias.{peru}/bolet%C3%ADn"
    unsubscribe = digest(settings)["List-Unsubscribe"]
    assert unsubscribe.startswith(f"<https://noticias.{peru}/bolet%C3%ADn/unsubscribe?token=")


@pytest.mark.parametrize(
    ("address", "to"),
    [
        ("reader@example.org", "reader@example.org"),
        ("idn@bücher.example", "idn@xn--bcher-kva.example"),
        ("o'brien+news@example.ie", "o'brien+news@example.ie"),
    ],
)
def test_the_to_header_is_ascii_when_the_local_part_is(tmp_path, address, to):
    settings = load(tmp_path)
    message = digest(settings, email=address)
    assert message["To"] == to
    assert mime.recipient(to).isascii()


@pytest.mark.parametrize(
    "address", ["josé@example.org", "δοκιμή@παράδειγμα.example", "用户@例子.example"]
)
def test_a_utf8_local_part_is_written_as_rfc_6532_utf8(tmp_path, address):
    settings = load(tmp_path)
    person = subscriber(email=address)
    edition = select_edition(person, english_edition(), None, NOW, settings)
    raw = DigestRenderer(settings).message(edition, person).message
    head = raw.split(b"\r\n\r\n", 1)[0].decode("utf-8")
    local, _, domain = address.partition("@")
    assert f"\r\nTo: {local}@{idna.encode(domain).decode()}\r\n" in head
    message = email.message_from_string(raw.decode("utf-8"), policy=email.policy.default)
    [mailbox] = message["To"].addresses
    assert mailbox.username == local
    # The standard library notes every non-ASCII local part; that is the only remark.
    assert [type(d) for d in message["To"].defects] == [NonASCIILocalPartDefect]
    others = [name for name in message if name != "To" and message[name].defects]
    assert others == []


# Display names as operators may write them: any text without control characters.
_NAME = st.text(
    st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp"), blacklist_characters="<>"),
    min_size=1,
    max_size=60,
)


@hypothesis_settings(max_examples=200, deadline=None)
@given(name=_NAME)
def test_any_display_name_reads_back_exactly(name):
    raw = mime.mailbox("From", name, "news@example.com")
    assert raw.isascii()
    message = email.message_from_bytes(raw + b"\r\n", policy=email.policy.default)
    header = message["From"]
    assert not header.defects, (name, raw)
    [mailbox] = header.addresses
    expected = " ".join(name.split())
    assert mailbox.addr_spec == "news@example.com"
    assert mailbox.display_name.replace(" ", "") == expected.replace(" ", "")
    assert read_phrase(raw) == expected
