"""What a report mailed back says: RFC 3464 DSNs, RFC 5965 ARF complaints, the rest.

Pure: the bytes of one message (and the envelope recipients it came to) in, a
``Report`` out. Standard reports are read with the ``email`` package; other
bounce shapes with flufl.bounce's detectors. Auto-replies (vacation, out of
office, RFC 3834 ``Auto-Submitted``) are recognised and never count as bounces.
Anything else is ``unparsed``: kept and counted, never guessed at.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email import message_from_bytes, message_from_string
from email.header import decode_header, make_header
from email.message import Message
from email.utils import getaddresses, parsedate_to_datetime

from flufl.bounce import all_failures

# What a report says about the message it is about.
HARD, SOFT, COMPLAINT, DELIVERED = "hard", "soft", "complaint", "delivered"
AUTO_REPLY, IGNORED, UNPARSED = "auto_reply", "ignored", "unparsed"
KINDS = (HARD, SOFT, COMPLAINT, DELIVERED, AUTO_REPLY, IGNORED, UNPARSED)
_SEVERITY = {HARD: 3, SOFT: 2, DELIVERED: 1}

_MESSAGE_ID = re.compile(r"^\s*Message-ID:\s*(<[^>\s]+>)", re.IGNORECASE | re.MULTILINE)
_STATUS = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")
# Subjects of vacation and out-of-office replies, in the languages readers write in.
_AUTO_SUBJECT = re.compile(
    r"out of (the )?office|vacation|on holiday|auto(matic)?[- ]?(reply|response|antwort)|"
    r"abwesen|fuera de la oficina|ausente|respuesta autom|vacaciones|absence|"
    r"r[ée]ponse automatique|risposta automatica",
    re.IGNORECASE,
)
_DAEMONS = ("mailer-daemon", "postmaster", "mail delivery", "mail-daemon")


@dataclass(frozen=True)
class Report:
    kind: str  # one of KINDS
    addresses: tuple[str, ...] = ()  # the failed recipients, or who complained
    message_id: str = ""  # the original message's Message-ID, when the report quotes it
    sent_to: tuple[str, ...] = ()  # where the report was addressed (a VERP address)
    reason: str = ""  # status code and diagnostic, for the operator
    reported_at: datetime | None = None
    key: str = ""  # identifies this report: the same report read twice has the same key


def parse(raw: bytes, envelope_to: Sequence[str] = ()) -> Report:
    """Read one report; never raises for any input."""
    key = "mail:" + hashlib.sha256(raw).hexdigest()[:40]
    try:
        message = message_from_bytes(raw)
        found = _classify(message)
    except Exception as exc:  # a malformed message is a report we keep, not a crash
        return Report(UNPARSED, sent_to=tuple(envelope_to), reason=f"unreadable: {exc}", key=key)
    sent_to = tuple(dict.fromkeys([*envelope_to, *_addresses(message, _SENT_TO)]))
    when = found.reported_at or _date(message.get("Date"))
    return Report(
        found.kind, found.addresses, found.message_id, sent_to, found.reason[:500], when, key
    )


_SENT_TO = ("Delivered-To", "X-Original-To", "Envelope-To", "To")


def _classify(message: Message) -> Report:
    if message.get_content_type() == "multipart/report":
        report_type = str(message.get_param("report-type") or "").lower()
        if report_type == "delivery-status":
            found = _dsn(message)
            if found is not None:
                return found
        if report_type == "feedback-report":
            found = _arf(message)
            if found is not None:
                return found
    if _auto_reply(message):
        return Report(AUTO_REPLY, reason=f"auto-reply: {_subject(message)[:120]}")
    found = _non_standard(message)
    if found is not None:
        return found
    return Report(UNPARSED, reason=f"not a report: {_subject(message)[:120]}")


def _dsn(message: Message) -> Report | None:
    """RFC 3464: one block per recipient in the message/delivery-status part."""
    status_part = _part(message, "message/delivery-status")
    if status_part is None:
        return None
    blocks = _blocks(status_part)
    per_message, recipients = (blocks[0], blocks[1:]) if len(blocks) > 1 else ({}, blocks)
    kind, addresses, reasons = "", [], []
    for block in recipients:
        address = _typed_address(block.get("final-recipient") or block.get("original-recipient"))
        action = block.get("action", "").strip().lower()
        status = block.get("status", "").strip()
        diagnostic = block.get("diagnostic-code", "").strip()
        this = _dsn_kind(action, status)
        if not this:
            continue
        if address:
            addresses.append(address)
        reasons.append(" ".join(part for part in (status, diagnostic) if part) or action)
        if _SEVERITY[this] > _SEVERITY.get(kind, 0):
            kind = this
    if not kind:
        return None
    arrival = _date(per_message.get("arrival-date"))
    return Report(
        kind,
        tuple(dict.fromkeys(addresses)),
        _quoted_message_id(message),
        reason="; ".join(dict.fromkeys(reasons)),
        reported_at=arrival,
    )


def _dsn_kind(action: str, status: str) -> str:
    if action in ("delivered", "relayed", "expanded"):
        return DELIVERED
    if action == "delayed":
        return SOFT  # still being retried by the far end: counts as a soft bounce
    if action != "failed":
        return ""
    code = _STATUS.search(status)
    if code is None:
        return HARD  # failed, for good, without saying why
    # A full mailbox (x.2.2) may empty again: soft even when the server said 5.
    if code[1] == "4" or (code[2], code[3]) == ("2", "2"):
        return SOFT
    return HARD if code[1] == "5" else ""


def _arf(message: Message) -> Report | None:
    """RFC 5965: a feedback report about one message (a spam complaint, mostly)."""
    part = _part(message, "message/feedback-report")
    if part is None:
        return None
    blocks = _blocks(part)
    fields = blocks[0] if blocks else {}
    feedback = fields.get("feedback-type", "").strip().lower()
    original = _original_headers(message)
    address = _typed_address(fields.get("original-rcpt-to"))
    addresses = (address,) if address else tuple(_addresses(original, ("To",)) if original else ())
    message_id = _quoted_message_id(message)
    when = _date(fields.get("arrival-date") or fields.get("received-date"))
    if feedback == "not-spam":
        return Report(IGNORED, addresses, message_id, reason="feedback: not-spam")
    return Report(
        COMPLAINT,
        addresses,
        message_id,
        reason=f"complaint ({feedback or 'unspecified'})",
        reported_at=when,
    )


def _auto_reply(message: Message) -> bool:
    """RFC 3834 and the headers vacation programs add; a mail daemon's bounce is not one."""
    if any(message.get(name) for name in ("X-Autoreply", "X-Autorespond", "X-Vacation")):
        return True
    if (message.get("Precedence") or "").strip().lower() == "auto_reply":
        return True
    if _AUTO_SUBJECT.search(_subject(message)):
        return True
    submitted = (message.get("Auto-Submitted") or "no").strip().lower()
    return not submitted.startswith("no") and not _from_daemon(message)


def _from_daemon(message: Message) -> bool:
    if (message.get("Return-Path") or "").strip() == "<>":
        return True
    sender = " ".join(str(v) for v in (message.get_all("From") or [])).lower()
    return any(name in sender for name in _DAEMONS)


def _non_standard(message: Message) -> Report | None:
    """flufl.bounce's detectors: the shapes qmail, Exchange, Yahoo and others still send."""
    try:
        temporary, permanent = all_failures(message)
    except Exception:  # a detector that trips over odd input: the report is unparsed
        return None
    if permanent:
        kind, addresses = HARD, permanent
    elif temporary:
        kind, addresses = SOFT, temporary
    else:
        return None
    decoded = sorted(a.decode("utf-8", "replace").strip().strip("<>") for a in addresses)
    body = _text(message)
    code = _STATUS.search(body)
    return Report(
        kind,
        tuple(decoded),
        _quoted_message_id(message),
        reason=f"{code[0] if code else kind} (non-standard bounce)",
    )


# -- reading the parts ----------------------------------------------------------


def _part(message: Message, content_type: str) -> Message | None:
    for part in message.walk():
        if part.get_content_type() == content_type:
            return part
    return None


def _blocks(part: Message) -> list[dict[str, str]]:
    """The header blocks of a message/delivery-status or message/feedback-report part."""
    payload = part.get_payload()
    if isinstance(payload, list):
        texts = [block.as_string() for block in payload if isinstance(block, Message)]
        # compat32 parses each block as a message; folding spares the field names.
        return [_fields(message_from_string(text)) for text in texts]
    raw = payload if isinstance(payload, str) else ""
    return [_fields(message_from_string(chunk)) for chunk in re.split(r"\r?\n\s*\r?\n", raw)]


def _fields(block: Message) -> dict[str, str]:
    return {name.lower(): str(value) for name, value in block.items()}


def _original_headers(message: Message) -> Message | None:
    for part in message.walk():
        kind = part.get_content_type()
        if kind == "message/rfc822":
            payload = part.get_payload()
            if isinstance(payload, list) and payload and isinstance(payload[0], Message):
                return payload[0]
        if kind == "text/rfc822-headers":
            text = part.get_payload(decode=True)
            if isinstance(text, bytes):
                return message_from_bytes(text)
    return None


def _quoted_message_id(message: Message) -> str:
    original = _original_headers(message)
    if original is not None and original.get("Message-ID"):
        found = re.search(r"<[^>\s]+>", str(original.get("Message-ID")))
        if found:
            return found[0]
    # Non-standard bounces quote the original inline, in the text.
    found_inline = _MESSAGE_ID.search(_text(message, skip_reports=True))
    return found_inline[1] if found_inline else ""


def _text(message: Message, skip_reports: bool = False) -> str:
    chunks: list[str] = []
    for part in message.walk():
        if part.is_multipart():
            continue
        if skip_reports and part.get_content_type().startswith("message/"):
            continue
        if part.get_content_maintype() == "text":
            data = part.get_payload(decode=True)
            if isinstance(data, bytes):
                chunks.append(data.decode(part.get_content_charset() or "utf-8", "replace"))
    return "\n".join(chunks)


def _typed_address(value: str | None) -> str:
    """``rfc822; someone@example.org`` (DSN and ARF address fields) -> the address."""
    text = (value or "").strip()
    if ";" in text:
        text = text.split(";", 1)[1]
    text = text.strip().strip("<>").strip()
    return text if "@" in text else ""


def _addresses(message: Message, names: Iterable[str]) -> list[str]:
    values = [str(v) for name in names for v in (message.get_all(name) or [])]
    return [address for _, address in getaddresses(values) if "@" in address]


def _subject(message: Message) -> str:
    raw = message.get("Subject")
    if raw is None:
        return ""
    try:
        return str(make_header(decode_header(str(raw))))
    except Exception:  # an undecodable encoded word: the raw text says enough
        return str(raw)


def _date(value: str | None) -> datetime | None:
    if not value:
        return None
    text = value.split(";")[-1].strip()
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
