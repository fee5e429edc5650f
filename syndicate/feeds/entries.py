"""What goes into a feed, decided once for all three formats.

The builders never see an ``Article`` directly: they get a ``Channel`` and
``Entry`` values whose text has been cleaned again here, so a value that
slipped past import (or an ``Article`` made by hand) cannot break a document.
"""

from __future__ import annotations

import functools
import html
import math
import mimetypes
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote, urlsplit

from syndicate import text, uris
from syndicate.articles import Article
from syndicate.config import ALL_SLUG, Settings

FEED_FILES = ("rss.xml", "atom.xml", "feed.json")
STYLESHEET = "feed.xsl"
GENERATOR = "syndicate"
_SPACE = re.compile(r"\s+")
# A urn: or tag: guid that is already a valid URI (RFC 3986 characters, one fragment).
_PART = r"(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?]|%[0-9A-Fa-f]{2})*"
_OPAQUE_ID = re.compile(rf"^(?:urn|tag):(?!/)(?=.){_PART}(?:#{_PART})?$", re.I)
_IMAGE_TYPES = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".svg": "image/svg+xml",
}


def line(value: str | None) -> str:
    """One line of plain text: forbidden characters removed, whitespace collapsed.

    Stored headlines are already plain text, so this must not strip tags or
    decode entities a second time ("&lt;b&gt;" in a headline is meant literally).
    """
    return _SPACE.sub(" ", text.clean(value)).strip()


def feed_time(moment: datetime) -> datetime:
    # Sub-second digits stay: articles imported together differ only there, and
    # Atom readers (and the W3C validator) expect distinct entry times.
    return moment.astimezone(UTC)


def image_type(url: str) -> str:
    path = urlsplit(url).path.lower()
    suffix = path[path.rfind(".") :] if "." in path.rsplit("/", 1)[-1] else ""
    return _IMAGE_TYPES.get(suffix) or mimetypes.guess_type(path)[0] or "image/jpeg"


@dataclass(frozen=True)
class Image:
    url: str
    type: str
    description: str  # alt text, else the caption
    credit: str


@dataclass(frozen=True)
class Entry:
    guid: str
    atom_id: str
    url: str
    title: str
    summary: str  # plain text, with "…" when the lede is a teaser
    content_html: str  # sanitised body; empty when full_text is off or there is none
    published: datetime
    updated: datetime
    author: str
    category_term: str
    category_label: str
    image: Image | None

    @property
    def permalink(self) -> bool:
        return self.guid == self.url

    @property
    def summary_html(self) -> str:
        return html.escape(self.summary, quote=False)


@dataclass(frozen=True)
class Channel:
    slug: str
    title: str
    description: str
    language: str
    site_url: str
    feed_base: str  # public URL of this section's folder, ending in "/"
    hub: str
    ttl_minutes: int
    updated: datetime
    author: str

    def url(self, name: str) -> str:
        return self.feed_base + name


def atom_id(guid: str, url: str, first_seen: datetime) -> str:
    """A URI for Atom's <id>: the guid when it already is one, else a tag: URI."""
    if _OPAQUE_ID.match(guid) or (guid[:4].lower() == "http" and uris.absolute(guid) == guid):
        return guid
    host = quote(urlsplit(url).hostname or "localhost", safe=".-")
    return f"tag:{host},{first_seen:%Y-%m-%d}:{quote(guid, safe='')}"


def to_entry(article: Article, settings: Settings) -> Entry | None:
    """Clean one article for the feeds; None when it cannot be shown at all."""
    home = article.section
    try:
        label = line(settings.section(home).title) or home
    except KeyError:  # a section since removed from the config
        label = home
    return _entry(article, settings.feeds.full_text, label, line(settings.site.title))


CORRECTION_LABEL = {"en": "Correction", "es": "Corrección"}


# An article usually sits in two feeds (its section and all), and a poll rebuilds a
# section when one of its 50 articles changed: cleaning (most of the build time) is
# pure, so each article's cleaned entry is kept. Article equality covers every field.
@functools.lru_cache(maxsize=4096)
def _entry(article: Article, full_text: bool, label: str, site_title: str) -> Entry | None:
    url = uris.absolute(line(article.url))
    title = line(article.headline)
    if url is None or not title:
        return None
    guid = uris.guid(line(article.guid)) or url
    lede = line(article.lede)
    body = text.sanitize_html(article.body, base=url)
    teaser = article.lede_is_teaser
    if not lede and body:
        lede, teaser = text.lede_from_body(body)
    published = feed_time(article.sort_time)
    # The store stamps updated_at with the import time when the source gives none; an
    # article never edited since is as new as its publication.
    edited = article.updated_at != article.first_seen_at
    updated = max(feed_time(article.updated_at), published) if edited else published
    image = None
    image_url = uris.absolute(line(article.image_url)) if article.image_url else None
    if image_url:
        image = Image(
            url=image_url,
            type=image_type(image_url),
            description=line(article.image_alt) or line(article.image_caption),
            credit=line(article.image_credit),
        )
    summary = text.with_ellipsis(lede, teaser) or ("" if body else title)
    note = line(article.correction)
    if note:
        # The note goes with the entry, first; the store moved ``updated_at`` when it came.
        label_word = CORRECTION_LABEL.get((article.language or "en")[:2], CORRECTION_LABEL["en"])
        summary = f"{label_word}: {note} {summary}".strip()
        if body:
            body = f"<p><strong>{label_word}:</strong> {html.escape(note, quote=False)}</p>{body}"
    return Entry(
        guid=guid,
        atom_id=atom_id(guid, url, feed_time(article.first_seen_at)),
        url=url,
        title=title,
        # Atom wants some text in every entry: a bare headline repeats as its summary.
        summary=summary,
        content_html=body if full_text else "",
        published=published,
        updated=updated,
        author=line(article.byline) or site_title,
        category_term=article.section,
        category_label=label,
        image=image,
    )


def select(
    settings: Settings, slug: str, articles: Iterable[Article]
) -> list[tuple[Article, Entry]]:
    """The newest ``[feeds] items`` shown articles of a section, newest first, ties by guid."""
    chosen = [a for a in articles if not a.withdrawn and (slug == ALL_SLUG or slug in a.sections)]
    chosen.sort(key=lambda a: (a.sort_time, a.guid), reverse=True)
    out: list[tuple[Article, Entry]] = []
    # Stored guids that publish alike (written before import normalised them) show once.
    published: set[str] = set()
    for article in chosen:
        entry = to_entry(article, settings)
        if entry is not None and entry.guid not in published and entry.atom_id not in published:
            published.update((entry.guid, entry.atom_id))
            out.append((article, entry))
            if len(out) == settings.feeds.items:
                break
    return out


def channel(settings: Settings, slug: str, entries: list[Entry], fallback: datetime) -> Channel:
    site = line(settings.site.title) or "News"
    if slug == ALL_SLUG:
        title, description, language = site, f"Every section of {site}", settings.site.language
    else:
        section = settings.section(slug)
        title = f"{site}: {line(section.title)}"
        description = line(section.description) or f"{line(section.title)} from {site}"
        language = settings.section_language(slug)
    updated = max((e.updated for e in entries), default=feed_time(fallback))
    return Channel(
        slug=slug,
        title=title,
        description=description,
        language=language,
        site_url=_uri(settings.site.url + "/"),
        feed_base=_uri(f"{settings.public_url}/feeds/{slug}/"),
        hub=_uri(settings.feeds.websub_hub) if settings.feeds.websub_hub else "",
        ttl_minutes=max(1, math.ceil(settings.schedule.poll_seconds / 60)),
        updated=updated,
        author=site,
    )


def _uri(address: str) -> str:
    # Config URLs were checked at load; an IDN host or a non-ASCII path still needs writing as a URI.
    return uris.absolute(address) or address
