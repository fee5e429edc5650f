"""Normalising newsroom text: plain text for headlines, sanitised HTML for bodies.

Every value that reaches a feed or an email goes through here, at import and
again on the way into the builders, so one stray control character can never
break a document.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable
from typing import Any

import lxml.html
import nh3

from syndicate import uris

# XML 1.0 allows tab, LF, CR and everything from U+0020 up, less surrogates and
# U+FFFE/U+FFFF. C1 controls are allowed by XML but are never meant in news text.
_FORBIDDEN_CHARS = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff\ufdd0-\ufdef"
# Invisible format characters: zero-width space, soft hyphen, BOM, word joiners, the
# bidi marks, embeddings, overrides and isolates (they can reorder what a reader sees).
# ZWJ and ZWNJ stay: emoji and several scripts need them.
_INVISIBLE_CHARS = (
    "\u00ad\u061c\u180e\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb"
)
# One pass for both (each pass over a long body costs as much as the rest of clean()).
_REMOVED = re.compile(f"[{_FORBIDDEN_CHARS}{_INVISIBLE_CHARS}]")
_ASCII_REMOVED = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# NEL, LINE SEPARATOR and PARAGRAPH SEPARATOR end a line: a newline, so words stay apart.
_LINE_END = re.compile("[\u0085\u2028\u2029]")
_TAG = re.compile(r"<[^>]*>")
_HIDDEN_ELEMENT = re.compile(r"<(script|style|template)\b[^>]*>.*?(</\1\s*>|$)", re.I | re.S)
_SPACE = re.compile(r"\s+")
_BLOCK_TAG = re.compile(r"<\s*(br|/p|/div|/li|/h[1-6]|/blockquote|/tr)\b[^>]*>", re.I)
_SENTENCE_END = re.compile(r"[.!?…]['\"”’»)\]]*$")
_HAS_TAG = re.compile(r"<[a-zA-Z/!][^>]*>")

ALLOWED_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "caption",
    "cite",
    "code",
    "dd",
    "del",
    "dl",
    "dt",
    "em",
    "figcaption",
    "figure",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "ins",
    "li",
    "ol",
    "p",
    "pre",
    "q",
    "s",
    "small",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "u",
    "ul",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "abbr": {"title"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    "blockquote": {"cite"},
    "q": {"cite"},
}
URL_SCHEMES = {"http", "https", "mailto"}
_URL_ATTRIBUTES = {"href", "src", "cite"}
# Containers the sanitiser does not keep: their edges are paragraph breaks, not nothing.
_FLATTENED = {
    "address",
    "article",
    "aside",
    "center",
    "details",
    "dialog",
    "div",
    "fieldset",
    "footer",
    "form",
    "h1",
    "header",
    "hgroup",
    "main",
    "nav",
    "search",
    "section",
    "summary",
}
_KEPT_BLOCKS = {
    "blockquote",
    "dl",
    "figure",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "ol",
    "p",
    "pre",
    "table",
    "ul",
}
_HAS_FLATTENED = re.compile(r"<\s*(" + "|".join(sorted(_FLATTENED)) + r")\b", re.I)


def clean(value: str | None) -> str:
    """NFC, without characters XML forbids or control characters (tab and newlines stay)."""
    if not value:
        return ""
    if value.isascii():
        return _ASCII_REMOVED.sub("", value)
    value = unicodedata.normalize("NFC", value)
    if "\u2028" in value or "\u2029" in value or "\x85" in value:
        value = _LINE_END.sub("\n", value)
    return _REMOVED.sub("", value)


def plain(value: str | None) -> str:
    """One line of plain text: tags removed, entities decoded, whitespace collapsed."""
    if not value:
        return ""
    text = _TAG.sub(" ", _HIDDEN_ELEMENT.sub(" ", value)) if "<" in value else value
    if "&" in text:
        text = html.unescape(text)
    text = clean(text)
    return _SPACE.sub(" ", text).strip()


def sanitize_html(value: str | None, base: str | None = None) -> str:
    """Body HTML with only harmless tags; plain text bodies become paragraphs.

    With ``base`` (the article's URL) every link and image address is made an
    absolute URI against it, and one that cannot be is dropped.
    """
    value = clean(value)
    if not value.strip():
        return ""
    if not _HAS_TAG.search(value):
        paragraphs = [p.strip() for p in re.split(r"\n\s*\n", value) if p.strip()]
        return "".join(f"<p>{html.escape(_SPACE.sub(' ', p), quote=False)}</p>" for p in paragraphs)
    if _HAS_FLATTENED.search(value):
        value = _as_paragraphs(
            nh3.clean(
                value,
                tags=ALLOWED_TAGS | _FLATTENED,
                attributes=ALLOWED_ATTRIBUTES,
                url_schemes=URL_SCHEMES,
                strip_comments=True,
            )
        )
    return nh3.clean(
        value,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=_link_filter(base) if base else None,
        url_schemes=URL_SCHEMES,
        link_rel="noopener",
        strip_comments=True,
    ).strip()


def _link_filter(base: str) -> Callable[[str, str, str], str | None]:
    def keep(element: str, attribute: str, value: str) -> str | None:
        return uris.resolve(base, value) if attribute in _URL_ATTRIBUTES else value

    return keep


def _as_paragraphs(fragment: str) -> str:
    """Replace each flattened container by its content, loose text and inline runs as <p>."""
    root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    out: list[str] = []
    run: list[str] = []

    def flush() -> None:
        joined = "".join(run).strip()
        if joined:
            out.append(f"<p>{joined}</p>")
        run.clear()

    def walk(element: Any) -> None:
        if element.text:
            run.append(html.escape(element.text, quote=False))
        for child in element:
            if child.tag in _FLATTENED:
                flush()
                walk(child)
                flush()
            elif child.tag in _KEPT_BLOCKS:
                flush()
                out.append(lxml.html.tostring(child, encoding="unicode", with_tail=False))
            else:
                run.append(lxml.html.tostring(child, encoding="unicode", with_tail=False))
            if child.tail:
                run.append(html.escape(child.tail, quote=False))

    walk(root)
    flush()
    return "".join(out)


def html_to_paragraphs(value: str) -> list[str]:
    """Plain-text paragraphs of an HTML fragment (for text emails and ledes)."""
    if not value:
        return []
    marked = _BLOCK_TAG.sub("\n\n", value)
    chunks = re.split(r"\n\s*\n", marked)
    return [p for p in (plain(chunk) for chunk in chunks) if p]


def is_teaser(lede: str) -> bool:
    """A lede that stops mid-sentence (the export cuts them) is a teaser."""
    stripped = lede.rstrip()
    return bool(stripped) and not _SENTENCE_END.search(stripped)


def lede_from_body(body_html: str, limit: int = 280) -> tuple[str, bool]:
    """The first sentences of the body, up to ``limit`` characters; and whether it was cut."""
    paragraphs = html_to_paragraphs(body_html)
    if not paragraphs:
        return "", False
    text = paragraphs[0]
    if len(text) <= limit:
        return text, is_teaser(text)
    sentences = re.split(r"(?<=[.!?…])\s+", text)
    lede = ""
    for sentence in sentences:
        if len(lede) + len(sentence) + 1 > limit:
            break
        lede = f"{lede} {sentence}".strip()
    if lede:
        return lede, False
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut, True


def with_ellipsis(lede: str, teaser: bool) -> str:
    return f"{lede.rstrip()}…" if teaser and lede else lede
