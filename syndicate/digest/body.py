"""An edition body, stored once, and the one function that turns it into a reader's message.

A body is everything of a digest that does not depend on the reader: the From,
Subject and List-Id headers, the two pre-encoded parts with their personal
slots open, the boundary, and the site address and unsubscribe mailbox the
links are made under. It is identified by a hash of its own serialised content,
so any two rows whose content is equal share it, however they were made.

``assemble`` fills in what is personal (address, signed links, Message-ID,
Date) and joins bytes: the same body and the same values always give the same
bytes, so a row sent again after a crash carries the same message.
"""

from __future__ import annotations

import hashlib
import html
import json
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import format_datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from syndicate import tokens
from syndicate.addresses import smtp_form
from syndicate.digest import mime

if TYPE_CHECKING:
    from syndicate.digest.dkim import DkimSigner

_FORMAT = 1  # bumped when the serialised layout changes; older bodies stay readable


@dataclass(frozen=True)
class Body:
    subject: str
    from_header: bytes
    subject_header: bytes
    list_id: bytes
    boundary: str
    text: mime.Part
    html: mime.Part
    public_url: str
    mailto: str  # "mailto:..." or ""
    content: bytes = field(default=b"", compare=False, repr=False)

    def __post_init__(self) -> None:
        if not self.content:
            object.__setattr__(self, "content", _serialise(self))

    @cached_property
    def digest(self) -> str:
        """The body's identity: equal content, equal digest."""
        return hashlib.sha256(self.content).hexdigest()


def _chunks(part: mime.Part) -> list[Any]:
    # A slot is a one-item list, a static chunk its ASCII text (quoted-printable already).
    return [[c] if isinstance(c, str) else c.decode("ascii") for c in part.chunks]


def _part(content_type: str, chunks: list[Any]) -> mime.Part:
    return mime.Part(
        content_type,
        tuple(c[0] if isinstance(c, list) else c.encode("ascii") for c in chunks),
    )


def _serialise(body: Body) -> bytes:
    data = {
        "format": _FORMAT,
        "subject": body.subject,
        "headers": [
            body.from_header.decode("ascii"),
            body.subject_header.decode("ascii"),
            body.list_id.decode("ascii"),
        ],
        "boundary": body.boundary,
        "text": _chunks(body.text),
        "html": _chunks(body.html),
        "public_url": body.public_url,
        "mailto": body.mailto,
    }
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


def load(content: bytes) -> Body:
    """A body from its stored content (``Body.content``)."""
    data = json.loads(content)
    if data.get("format") != _FORMAT:
        raise ValueError(f"edition body in format {data.get('format')!r}, expected {_FORMAT}")
    from_header, subject_header, list_id = (h.encode("ascii") for h in data["headers"])
    return Body(
        subject=data["subject"],
        from_header=from_header,
        subject_header=subject_header,
        list_id=list_id,
        boundary=data["boundary"],
        text=_part("text/plain", data["text"]),
        html=_part("text/html", data["html"]),
        public_url=data["public_url"],
        mailto=data["mailto"],
        content=content,
    )


@dataclass(frozen=True)
class Personal:
    """What one outbox row adds to a body."""

    subscriber_id: int
    email: str
    link_key: str
    message_id: str  # with angle brackets
    date: datetime  # the Date header: the end of the edition's window


def message_id(edition_day: Any, subscriber_id: int, link_key: str, domain: str) -> str:
    # The row's key makes it unique to this subscriber, not just to this id.
    return f"<{edition_day:%Y%m%d}.{subscriber_id}.{link_key}.digest@{domain}>"


def assemble(body: Body, person: Personal, secret: str, signer: DkimSigner | None = None) -> bytes:
    """The finished RFC 5322 message for one reader, DKIM-signed when ``signer`` is given."""
    key = person.link_key
    unsubscribe = tokens.sign(secret, "unsubscribe", person.subscriber_id, link_key=key)
    preferences = tokens.sign(secret, "preferences", person.subscriber_id, link_key=key)
    values = {
        "email": person.email,
        "unsubscribe_url": f"{body.public_url}/unsubscribe?token={unsubscribe}",
        "preferences_url": f"{body.public_url}/preferences?token={preferences}",
    }
    escaped = {k: html.escape(v) for k, v in values.items()}
    unsubscribe_field = f"<{values['unsubscribe_url']}>"
    if body.mailto:
        unsubscribe_field += f",\r\n <{body.mailto}?subject={quote('unsubscribe ' + unsubscribe)}>"
    headers = [
        body.from_header,
        mime.recipient(smtp_form(person.email)),
        body.subject_header,
        f"Date: {format_datetime(person.date)}\r\n".encode("ascii"),
        f"Message-ID: {person.message_id}\r\n".encode("ascii"),
        body.list_id,
        f"List-Unsubscribe: {unsubscribe_field}\r\n".encode("ascii"),
        b"List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n",
    ]
    message = mime.multipart(
        headers,
        [mime.part_bytes(body.text, values), mime.part_bytes(body.html, escaped)],
        body.boundary,
    )
    return signer.sign(message) if signer is not None else message
