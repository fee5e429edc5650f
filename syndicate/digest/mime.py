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
import re
import string
from collections.abc import Sequence
from dataclasses import dataclass

from syndicate.addresses import smtp_form

CRLF = b"\r\n"
MAX_LINE = 76  # RFC 2045 limit for quoted-printable lines
_SOFT_BREAK = b"=\r\n"
_HEADER_WIDTH = 78
# 39 bytes of UTF-8 make 52 base64 characters: one encoded word fits a folded line.
_WORD_BYTES = 39
_ATEXT = frozenset(string.ascii_letters + string.digits + "!#$%&'*+-/=?^_`{|}~")
# What a reader or a parser may take for the end of a header line.
_LINE_BREAKS = frozenset("\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")


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
    _one_line(name, value)
    words = value.split(" ")
    if _safe_ascii(value) and all(len(w) <= _HEADER_WIDTH - len(name) - 2 for w in words):
        pieces = words
    else:
        pieces = _encoded_words(value)
    return _fold(name, pieces)


def _one_line(name: str, value: str) -> None:
    if any(char in _LINE_BREAKS for char in value):
        raise ValueError(f"{name}: header values are one line")


def _fold(name: str, pieces: Sequence[str]) -> bytes:
    """Join ``pieces`` with single spaces, breaking the line between pieces only."""
    lines: list[str] = []
    current = f"{name}:"
    for piece in pieces:
        if len(current) + 1 + len(piece) > _HEADER_WIDTH and current.strip() != f"{name}:":
            lines.append(current)
            current = ""
        current += " " + piece
    lines.append(current)
    return ("\r\n".join(lines) + "\r\n").encode("ascii")


def phrase_words(display: str) -> list[str]:
    """A display name as the words of an RFC 5322 phrase, so it can never spill into
    the address next to it. Runs of spaces count as one.

    Plain words stay atoms. ASCII with specials (``:``, ``,``, ``.``) becomes one
    quoted string. Otherwise each run of words that are not atoms becomes RFC
    2047 encoded words, the spaces inside the run encoded with it (as the stdlib
    folder does); a name with quotes or backslashes is encoded too, which every
    reader decodes the same way, where quoted-pair handling varies.
    """
    collapsed = " ".join(display.split())
    if not collapsed:
        return []
    _one_line("display name", collapsed)
    words = collapsed.split(" ")
    if all(_is_atom(word) for word in words):
        return words
    if _safe_ascii(collapsed) and '"' not in collapsed and "\\" not in collapsed:
        # Folding white space may stand inside a quoted string: break it at its spaces.
        return f'"{collapsed}"'.split(" ")
    pieces: list[str] = []
    run: list[str] = []
    for word in words:
        if _is_atom(word):
            if run:
                pieces.extend(_encoded_words(" ".join(run)))
                run = []
            pieces.append(word)
        else:
            run.append(word)
    if run:
        pieces.extend(_encoded_words(" ".join(run)))
    return pieces


def _is_atom(word: str) -> bool:
    return bool(word) and _ATEXT.issuperset(word) and "=?" not in word


def mailbox(name: str, display: str, addr_spec: str) -> bytes:
    """A mailbox header (From): the display name as a phrase, the address intact.

    ``addr_spec`` must be ASCII (domain as A-label); an address that needs
    SMTPUTF8 goes in ``recipient`` instead.
    """
    if not addr_spec.isascii():
        raise ValueError(f"{name}: {addr_spec!r} must be ASCII here")
    words = phrase_words(display)
    return _fold(name, [*words, f"<{addr_spec}>"] if words else [addr_spec])


def recipient(addr_spec: str) -> bytes:
    """The To header for one address as SMTP carries it.

    A non-ASCII local part is written as UTF-8 (RFC 6532): such a message may
    only travel with SMTPUTF8, which the sender checks before it goes.
    """
    _one_line("To", addr_spec)
    return b"To: " + addr_spec.encode("utf-8") + CRLF


def list_id(description: str, identifier: str) -> bytes:
    """RFC 2919: ``List-Id: phrase <identifier>``."""
    return _fold("List-Id", [*phrase_words(description), f"<{identifier}>"])


def domain_of(addr: str) -> str:
    """The domain Message-IDs are made under: the sender's (as its A-label), else ``localhost``."""
    return smtp_form(addr).rpartition("@")[2].lower() or "localhost"


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
