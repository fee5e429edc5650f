"""Normalising newsroom text: plain text for headlines, sanitised HTML for bodies.

Every value that reaches a feed or an email goes through here, at import and
again on the way into the builders, so one stray control character can never
break a document.
"""

from __future__ import annotations

import html
import re
import unicodedata

import nh3

# XML 1.0 allows tab, LF, CR and everything from U+0020 up, less surrogates and
# U+FFFE/U+FFFF. C1 controls are allowed by XML but are never meant in news text.
_FORBIDDEN = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff\ufdd0-\ufdef]"
)
_INVISIBLE = re.compile("[\u200b\u2028\u2029\u00ad\ufeff]")
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


def clean(value: str | None) -> str:
    """NFC, without characters XML forbids or control characters (tab and newlines stay)."""
    if not value:
        return ""
    value = unicodedata.normalize("NFC", value)
    value = _FORBIDDEN.sub("", value)
    return _INVISIBLE.sub("", value)


def plain(value: str | None) -> str:
    """One line of plain text: tags removed, entities decoded, whitespace collapsed."""
    if not value:
        return ""
    text = _TAG.sub(" ", _HIDDEN_ELEMENT.sub(" ", value)) if "<" in value else value
    if "&" in text:
        text = html.unescape(text)
    text = clean(text)
    return _SPACE.sub(" ", text).strip()


def sanitize_html(value: str | None) -> str:
    """Body HTML with only harmless tags; plain text bodies become paragraphs."""
    value = clean(value)
    if not value.strip():
        return ""
    if not _HAS_TAG.search(value):
        paragraphs = [p.strip() for p in re.split(r"\n\s*\n", value) if p.strip()]
        return "".join(f"<p>{html.escape(_SPACE.sub(' ', p), quote=False)}</p>" for p in paragraphs)
    return nh3.clean(
        value,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener",
        strip_comments=True,
    ).strip()


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
