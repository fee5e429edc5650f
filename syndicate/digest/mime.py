"""RFC 5322 / MIME bytes assembled from pre-encoded parts.

Building an ``email.message.EmailMessage`` per subscriber costs milliseconds; a
digest only differs between subscribers in a few short values (address, links).
So each body is rendered once, cut at those slots, and every static chunk is
quoted-printable encoded once. A chunk that stops mid-line ends in a soft line
break (``=`` CRLF), which decodes to nothing, so chunks and per-message values
can be joined byte for byte and still decode to exactly the rendered text.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from email.utils import formataddr, parseaddr

CRLF = b"\r\n"
MAX_LINE = 76  # RFC 2045 limit for quoted-printable lines
_SOFT_BREAK = b"=\r\n"
_HEADER_WIDTH = 78
# 39 bytes of UTF-8 make 52 base64 characters: one encoded word fits a folded line.
_WORD_BYTES = 39


def qp_encode(text: str) -> bytes:
    """Quoted-printable with CRLF line ends; a text not ending in a newline ends in a soft break."""
    if not text:
        return b""
    data = text.replace("\r\n", "\n").replace("\r", "\n").encode("utf-8")
    lines = binascii.b2a_qp(data, quotetabs=False, istext=True, header=False).split(b"\n")
    if data.endswith(b"\n"):
        lines.pop()  # the split's empty tail after the final newline
        return CRLF.join(lines) + CRLF
    last = lines[-1]
    if len(last) >= MAX_LINE:
        cut = MAX_LINE - 1
        # Never split inside an =XX escape.
        if last[cut - 1 : cut] == b"=":
            cut -= 1
        elif last[cut - 2 : cut - 1] == b"=":
            cut -= 2
        lines[-1:] = [last[:cut] + b"=", last[cut:]]
    return CRLF.join(lines) + _SOFT_BREAK


def _safe_ascii(value: str) -> bool:
    return value.isascii() and value.isprintable() and "=?" not in value


def _encoded_words(value: str) -> list[str]:
    words: list[str] = []
    chunk = bytearray()
    for char in value:
        encoded = char.encode("utf-8")
        if len(chunk) + len(encoded) > _WORD_BYTES:
            words.append(_word(bytes(chunk)))
            chunk.clear()
        chunk.extend(encoded)
    if chunk:
        words.append(_word(bytes(chunk)))
    return words


def _word(data: bytes) -> str:
    return "=?utf-8?b?" + base64.b64encode(data).decode("ascii") + "?="


def header(name: str, value: str) -> bytes:
    """One folded header field, CRLF-terminated. ``value`` must already be one line.

    ASCII text is folded at spaces. Anything else, or text that merely looks
    like an RFC 2047 encoded word, becomes encoded words, so a reader's mail
    client shows exactly ``value`` and no decoding can smuggle in a line break.
    """
    if "\r" in value or "\n" in value:
        raise ValueError(f"{name}: header values are one line")
    words = value.split(" ")
    if _safe_ascii(value) and all(len(w) <= _HEADER_WIDTH - len(name) - 2 for w in words):
        pieces = words
    else:
        pieces = _encoded_words(value)
    lines: list[str] = []
    current = f"{name}:"
    for piece in pieces:
        if len(current) + 1 + len(piece) > _HEADER_WIDTH and current.strip() != f"{name}:":
            lines.append(current)
            current = ""
        current += " " + piece
    lines.append(current)
    return ("\r\n".join(lines) + "\r\n").encode("ascii")


def address(display: str, addr: str) -> str:
    """A mailbox for a header, the display name encoded when it is not plain ASCII."""
    local, _, domain = addr.rpartition("@")
    with contextlib.suppress(UnicodeError):
        domain = domain.encode("idna").decode("ascii")
    return formataddr((display, f"{local}@{domain}"), charset="utf-8")


def phrase(display: str) -> str:
    """A display name as it may stand before an <address> (quoted or encoded)."""
    return formataddr((display, "x@x"), charset="utf-8").rsplit(" <", 1)[0]


def split_from(value: str) -> tuple[str, str]:
    name, addr = parseaddr(value)
    return name, addr


def domain_of(addr: str) -> str:
    """The domain Message-IDs are made under: the sender's, else ``localhost``."""
    return addr.rpartition("@")[2].lower() or "localhost"


@dataclass(frozen=True)
class Part:
    """One body part: its content type and its chunks (encoded bytes, or a slot name)."""

    content_type: str
    chunks: tuple[bytes | str, ...]


SLOT_PREFIX = "SYNDICATESLOT"
_SLOT = re.compile(SLOT_PREFIX + r"([a-z_]+)X")


def slot_marker(name: str) -> str:
    return f"{SLOT_PREFIX}{name}X"


def prepare_part(content_type: str, rendered: str) -> Part:
    """Cut a rendered body at its slot markers and encode the static chunks once."""
    if not rendered.endswith("\n"):
        rendered += "\n"
    chunks: list[bytes | str] = []
    position = 0
    for match in _SLOT.finditer(rendered):
        chunks.append(qp_encode(rendered[position : match.start()]))
        chunks.append(match[1])
        position = match.end()
    chunks.append(qp_encode(rendered[position:]))
    return Part(content_type, tuple(c for c in chunks if c != b""))


def part_bytes(part: Part, values: dict[str, str]) -> bytes:
    out = [
        b"Content-Type: ",
        part.content_type.encode("ascii"),
        b'; charset="utf-8"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n',
    ]
    for chunk in part.chunks:
        out.append(chunk if isinstance(chunk, bytes) else qp_encode(values[chunk]))
    return b"".join(out)


def multipart(headers: Sequence[bytes], parts: Sequence[bytes], boundary: str) -> bytes:
    """A multipart/alternative message: headers, then each part in order (text first)."""
    mark = b"--" + boundary.encode("ascii")
    out = list(headers)
    out.append(b"MIME-Version: 1.0\r\n")
    out.append(b'Content-Type: multipart/alternative; boundary="' + boundary.encode() + b'"\r\n')
    out.append(CRLF)
    for number, body in enumerate(parts):
        # Each delimiter after the first owns the CRLF in front of it (RFC 2046).
        out.append((mark if number == 0 else CRLF + mark) + CRLF)
        out.append(body)
    out.append(CRLF + mark + b"--" + CRLF)
    return b"".join(out)
