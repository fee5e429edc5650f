"""Articles: the parsed input record, the stored article, and the two input formats.

Parsing is pure: text or a JSON object in, a normalised ``ArticleInput`` out, or
``ArticleRejected`` listing every field that is wrong and how to fix it.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from syndicate import text, uris
from syndicate.config import Settings
from syndicate.errors import InputError

STAFF_BYLINE = "Redacción"
_IMAGE_LABEL = re.compile(r"^\s*(imagen|image|img|foto|photo)\s*:\s*(.*)$", re.I)
_BYLINE_LABEL = re.compile(r"^\s*(redacci[oó]n|by|byline|autor|author|por)\s*:\s*(.*)$", re.I)
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
FUTURE_SLACK = timedelta(days=1)  # clocks and time zones differ; a 9999 date is a typo


@dataclass(frozen=True)
class FieldError:
    field: str
    error: str

    def __str__(self) -> str:
        return f"{self.field}: {self.error}"


class ArticleRejected(InputError):
    def __init__(self, errors: list[FieldError]) -> None:
        self.errors = errors
        super().__init__("; ".join(str(e) for e in errors))


@dataclass(frozen=True)
class ArticleInput:
    """A validated, normalised article as it arrives, before the store gives it times."""

    guid: str
    url: str
    sections: tuple[str, ...]
    headline: str
    lede: str = ""
    lede_is_teaser: bool = False
    body: str = ""
    image_url: str | None = None
    image_alt: str | None = None
    image_caption: str | None = None
    image_credit: str | None = None
    byline: str | None = None
    language: str | None = None
    published_at: datetime | None = None
    updated_at: datetime | None = None
    withdrawn: bool = False
    breaking: bool = False  # alert the readers who asked for breaking news
    correction: str = ""  # the newsroom's correction note (plain text)

    @property
    def section(self) -> str:
        return self.sections[0]

    def content_hash(self) -> str:
        data = asdict(self)
        # Left out while unset, so articles stored before these fields keep their hash.
        for key in ("breaking", "correction"):
            if not data[key]:
                del data[key]
        for key in ("published_at", "updated_at"):
            data[key] = data[key].isoformat() if data[key] else None
        data["sections"] = list(self.sections)
        encoded = json.dumps(data, sort_keys=True, ensure_ascii=False).encode("utf-8")
        return hashlib.sha256(encoded).hexdigest()


@dataclass(frozen=True)
class Article:
    """An article as stored: what the feed builder and the digest read."""

    id: int
    guid: str
    url: str
    sections: tuple[str, ...]
    headline: str
    lede: str
    lede_is_teaser: bool
    body: str
    first_seen_at: datetime
    updated_at: datetime
    published_at: datetime | None = None
    image_url: str | None = None
    image_alt: str | None = None
    image_caption: str | None = None
    image_credit: str | None = None
    byline: str | None = None
    language: str | None = None
    withdrawn: bool = False
    breaking: bool = False
    correction: str = ""
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def section(self) -> str:
        return self.sections[0]

    @property
    def sort_time(self) -> datetime:
        return self.published_at or self.first_seen_at


def note_mark(note: str) -> str:
    """A short fingerprint of a correction note: what a reader was last shown of it."""
    if not note:
        return ""
    return hashlib.sha256(note.encode("utf-8")).hexdigest()[:16]


# -- validation helpers ---------------------------------------------------


def check_url(value: Any) -> str | None:
    """The reason a URL is unusable, or None when it is an absolute http(s) URL."""
    return normal_url(value)[1]


def normal_url(value: Any) -> tuple[str, str | None]:
    """(the URL as stored and published, None) or ("", the reason it is unusable)."""
    if not isinstance(value, str) or not value.strip():
        return "", "missing; give the article's absolute http(s) URL"
    value = value.strip()
    if uris.CONTROL.search(value):
        return "", "contains a control character (NUL, tab, newline...); remove it"
    try:
        parts = urlsplit(value)
    except ValueError:  # e.g. an unclosed "[" in the host
        parts = urlsplit("")
    if parts.scheme.lower() not in uris.SCHEMES or not parts.netloc:
        return "", f"{value[:80]!r} is not an absolute http(s) URL"
    if any(c.isspace() for c in value):
        return "", "contains spaces; percent-encode them"
    normal = uris.absolute(text.clean(value))
    if normal is None:
        return "", f"{value[:80]!r} has no valid host name or port; check the address"
    if len(normal) > uris.MAX_LENGTH:
        return "", f"longer than {uris.MAX_LENGTH} characters (percent-encoded); shorten it"
    return normal, None


def normal_guid(value: str) -> str:
    """A guid as the feeds publish it: plain text, an http(s) one written as a URI."""
    return uris.guid(text.plain(value))


def parse_time(
    value: Any, name: str, errors: list[FieldError], now: datetime | None = None
) -> datetime | None:
    """An aware datetime from 1970 on (and at most a day after ``now`` when given)."""
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        errors.append(FieldError(name, "must be an RFC 3339 string, e.g. 2026-06-19T08:30:00Z"))
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("z", "Z"))
    except ValueError:
        errors.append(
            FieldError(
                name, f"{value[:40]!r} is not an RFC 3339 date; write e.g. 2026-06-19T08:30:00Z"
            )
        )
        return None
    if moment.tzinfo is None:
        errors.append(
            FieldError(name, f"{value[:40]!r} has no timezone; add Z or an offset like -05:00")
        )
        return None
    try:
        utc = moment.astimezone(UTC)
    except OverflowError:  # e.g. 9999-12-31T23:59:59-23:59 is in the year 10000 in UTC
        errors.append(FieldError(name, f"{value[:40]!r} is out of range; give a real date"))
        return None
    if utc < EARLIEST:
        errors.append(FieldError(name, f"{value[:40]!r} is before 1970; give the real date"))
        return None
    if now is not None and utc > now + FUTURE_SLACK:
        errors.append(
            FieldError(name, f"{value[:40]!r} is more than a day in the future; check the date")
        )
        return None
    return moment


def _resolve_sections(
    names: list[Any], settings: Settings, errors: list[FieldError]
) -> tuple[str, ...]:
    slugs: list[str] = []
    for name in names:
        if not isinstance(name, str) or not name.strip():
            errors.append(FieldError("section", "must be a section slug, e.g. 'world'"))
            continue
        slug = settings.find_section(name)
        if slug is None:
            known = ", ".join(settings.section_slugs)
            errors.append(
                FieldError("section", f"unknown section {name.strip()[:40]!r}; use one of {known}")
            )
        elif slug not in slugs:
            slugs.append(slug)
    return tuple(slugs)


def build_input(
    settings: Settings,
    *,
    url: Any,
    sections: list[Any],
    headline: Any,
    lede: Any = "",
    body: Any = "",
    image: dict[str, Any] | None = None,
    byline: Any = None,
    language: Any = None,
    published_at: Any = None,
    updated_at: Any = None,
    guid: Any = None,
    withdrawn: Any = False,
    breaking: Any = False,
    correction: Any = None,
    errors: list[FieldError] | None = None,
    now: datetime | None = None,
) -> ArticleInput:
    """Validate and normalise one article; raise ArticleRejected listing every bad field.

    ``now`` (the caller's clock) bounds how far in the future a date may be.
    """
    errors = list(errors or [])
    clean_url, url_problem = normal_url(url)
    if url_problem:
        errors.append(FieldError("url", url_problem))
    if not sections:
        errors.append(
            FieldError("section", f"missing; use one of {', '.join(settings.section_slugs)}")
        )
    slugs = _resolve_sections(sections, settings, errors)
    for name, value in (("headline", headline), ("lede", lede), ("byline", byline), ("body", body)):
        if value is not None and not isinstance(value, str):
            errors.append(FieldError(name, "must be a string"))
    clean_headline = text.plain(headline) if isinstance(headline, str) else ""
    if not clean_headline and not any(e.field == "headline" for e in errors):
        errors.append(FieldError("headline", "empty; every article needs a headline"))
    image_url: str | None = None
    image_alt = image_caption = image_credit = None
    if image is not None:
        if not isinstance(image, dict):
            errors.append(FieldError("image", "must be an object with url, alt, caption, credit"))
        else:
            for key in ("url", "alt", "caption", "credit"):
                if image.get(key) is not None and not isinstance(image[key], str):
                    errors.append(FieldError(f"image.{key}", "must be a string"))
            if isinstance(image.get("url"), str) and image["url"].strip():
                image_url, problem = normal_url(image["url"])
                if problem:
                    errors.append(FieldError("image.url", problem))
                image_alt = _plain_or_none(image.get("alt"))
                image_caption = _plain_or_none(image.get("caption"))
                image_credit = _plain_or_none(image.get("credit"))
    if language is not None and (
        not isinstance(language, str)
        or not re.fullmatch(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})?", language)
    ):
        errors.append(FieldError("language", "must be a language code such as 'en' or 'es'"))
    published = parse_time(published_at, "published_at", errors, now)
    updated = parse_time(updated_at, "updated_at", errors, now)
    clean_guid = clean_url
    if guid is not None:
        clean_guid = normal_guid(guid) if isinstance(guid, str) else ""
        if not clean_guid:
            errors.append(FieldError("guid", "must be a non-empty string (defaults to the url)"))
        elif len(clean_guid) > uris.MAX_LENGTH:
            errors.append(FieldError("guid", f"longer than {uris.MAX_LENGTH} characters"))
    if not isinstance(withdrawn, bool):
        errors.append(FieldError("withdrawn", "must be true or false"))
    if not isinstance(breaking, bool):
        errors.append(FieldError("breaking", "must be true or false"))
    if correction is not None and not isinstance(correction, str):
        errors.append(FieldError("correction", "must be a string (the correction note)"))
    if errors:
        raise ArticleRejected(errors)

    clean_body = text.sanitize_html(body if isinstance(body, str) else "", base=clean_url)
    clean_lede = text.plain(lede) if isinstance(lede, str) else ""
    if clean_lede:
        teaser = text.is_teaser(clean_lede)
    else:
        clean_lede, teaser = text.lede_from_body(clean_body)
    clean_byline = text.plain(byline) if isinstance(byline, str) else ""
    return ArticleInput(
        guid=clean_guid,
        url=clean_url,
        sections=slugs,
        headline=clean_headline,
        lede=clean_lede,
        lede_is_teaser=teaser,
        body=clean_body,
        image_url=image_url,
        image_alt=image_alt,
        image_caption=image_caption,
        image_credit=image_credit,
        byline=clean_byline or None,
        language=language.lower()
        if isinstance(language, str)
        else settings.section_language(slugs[0]),
        published_at=published,
        updated_at=updated,
        withdrawn=bool(withdrawn),
        breaking=bool(breaking),
        correction=text.plain(correction) if isinstance(correction, str) else "",
    )


def _plain_or_none(value: Any) -> str | None:
    return (text.plain(value) or None) if isinstance(value, str) else None


# -- the publisher's text export -------------------------------------------------


def parse_seed(raw: str, settings: Settings, now: datetime | None = None) -> ArticleInput:
    """Parse one article in the publisher's export format (see shared seeds).

    section / ``Imagen:`` [url] / headline / ``Redacción:`` [byline] / lede / URL / body
    """
    lines = raw.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    position = 0

    def next_line() -> str | None:
        nonlocal position
        while position < len(lines):
            line = lines[position].strip()
            position += 1
            if line:
                return line
        return None

    section = next_line()
    if section is None:
        raise ArticleRejected([FieldError("section", "the file is empty")])
    image_url: str | None = None
    line = next_line()
    if line is not None and (match := _IMAGE_LABEL.match(line)):
        image_url = match[2].strip() or None
        line = next_line()
    headline = line or ""
    line = next_line()
    byline: str | None = STAFF_BYLINE
    if line is not None and (match := _BYLINE_LABEL.match(line)):
        byline = match[2].strip() or STAFF_BYLINE
        line = next_line()
    lede = ""
    if line is not None and check_url(line) is not None:
        lede = line
        line = next_line()
    url = line or ""
    body = "\n".join(lines[position:]).strip()
    return build_input(
        settings,
        url=url or None,
        sections=[section],
        headline=headline,
        lede=lede,
        body=body,
        image={"url": image_url} if image_url else None,
        byline=byline,
        now=now,
    )


def parse_json(obj: Any, settings: Settings, now: datetime | None = None) -> ArticleInput:
    """Validate one article object of the ingest API / JSON Lines import."""
    if not isinstance(obj, dict):
        raise ArticleRejected([FieldError("(record)", "must be a JSON object")])
    sections: list[Any]
    if "sections" in obj and obj["sections"] is not None:
        value = obj["sections"]
        sections = list(value) if isinstance(value, list) else [value]
    elif obj.get("section") is not None:
        sections = [obj["section"]]
    else:
        sections = []
    image = obj.get("image")
    if isinstance(image, str):
        image = {"url": image}
    return build_input(
        settings,
        url=obj.get("url"),
        sections=sections,
        headline=obj.get("headline"),
        lede=obj.get("lede") or "",
        body=obj.get("body") or "",
        image=image,
        byline=obj.get("byline"),
        language=obj.get("language"),
        published_at=obj.get("published_at"),
        updated_at=obj.get("updated_at"),
        guid=obj.get("guid"),
        withdrawn=obj.get("withdrawn", False),
        breaking=obj.get("breaking", False),
        correction=obj.get("correction"),
        now=now,
    )
