"""Email addresses: one checked, normalised form to store and key subscribers by,
and the form SMTP and message headers carry.

email-validator does syntax, lengths, IDNA (UTS-46 mapping) and SMTPUTF8
detection; DNS is never asked. The stored form keeps the local part as given
(Unicode NFC) and writes the domain as its lower-case Unicode form, so
``idn@bücher.example`` and ``idn@xn--bcher-kva.example`` are one subscriber.
UTS-46 folds fullwidth letters and the ideographic full stop in a domain into
their plain forms; invisible and format characters (zero-width space, soft
hyphen, BOM, bidi controls) anywhere in an address are refused, never dropped.
On the wire the domain is always the A-label: only a non-ASCII local part
needs SMTPUTF8.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from syndicate.errors import InputError

if TYPE_CHECKING:
    from email_validator import ValidatedEmail

_HINT = "give an address like reader@example.com"
LOCAL_PART_OCTETS = 64


class BadAddress(InputError):
    """``reason`` (from InputError) says what is wrong without the address, for logs
    that mask addresses."""

    field = "email"


def normalise_address(value: str) -> str:
    """Return the stored form of an address, or raise BadAddress saying why."""
    address = (value or "").strip(" \t\r\n")
    if not address:
        raise BadAddress("email: missing", hint=_HINT)
    return _validated(address).normalized


def smtp_form(address: str) -> str:
    """The address as MAIL FROM, RCPT TO and the To header carry it: domain as A-label.

    ASCII stays as it is (a stored address is already normalised); anything else
    is checked again, so an address stored before these rules raises BadAddress.
    """
    if address.isascii():
        return address
    result = _validated(address)
    return f"{result.local_part}@{result.ascii_domain}"


def needs_smtputf8(address: str) -> bool:
    """True when the local part is not ASCII: only a relay offering SMTPUTF8 can take it."""
    return not smtp_form(address).isascii()


def parse_mailbox(value: str) -> tuple[str, str]:
    """``Display Name <addr>`` or a bare address, as written in config: (name, address).

    The name is everything before the last ``<``, so ``News: Daily <a@b.org>`` keeps
    its colon (an RFC 5322 parser would read a group). A name in double quotes
    loses the quotes. Raises BadAddress unless it is exactly one valid mailbox.
    """
    name, addr = split_mailbox(value)
    return name, normalise_address(addr)


def split_mailbox(value: str) -> tuple[str, str]:
    """``parse_mailbox`` without checking the address: for a value config has checked."""
    text = value.strip()
    name, addr = "", text
    if text.endswith(">") and "<" in text:
        name, _, addr = text[:-1].rpartition("<")
        name = name.strip()
        if len(name) >= 2 and name[0] == name[-1] == '"':
            name = _unquote(name[1:-1])
    if "<" in name or ">" in name or "<" in addr:
        raise BadAddress(
            f"{value!r} is not one mailbox", hint="write one address: 'Name <name@example.com>'"
        )
    return name, addr.strip()


def _unquote(quoted: str) -> str:
    out: list[str] = []
    escaped = False
    for char in quoted:
        if escaped or char != "\\":
            out.append(char)
            escaped = False
        else:
            escaped = True
    return "".join(out)


@lru_cache(maxsize=4096)
def _validated(address: str) -> ValidatedEmail:
    # Imported on first use: delivery workers, which only send stored addresses,
    # start without it.
    import email_validator

    try:
        result = email_validator.validate_email(
            address,
            check_deliverability=False,
            allow_smtputf8=True,
            allow_quoted_local=False,
            allow_domain_literal=False,
            allow_display_name=False,
            allow_empty_local=False,
            strict=True,
        )
    except email_validator.EmailNotValidError as exc:
        reason = str(exc).rstrip(".")
        reason = reason[:1].lower() + reason[1:]
        raise BadAddress(f"email {address[:80]!r}: {reason}", _HINT, reason=reason) from None
    if len(result.local_part.encode("utf-8")) > LOCAL_PART_OCTETS:
        reason = f"the part before @ is longer than {LOCAL_PART_OCTETS} bytes (RFC 5321)"
        raise BadAddress(f"email {address[:80]!r}: {reason}", _HINT, reason=reason)
    return result


def mask(address: str) -> str:
    """For info-level logs: r***@example.com."""
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain}" if domain else "***"
