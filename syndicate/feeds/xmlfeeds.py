"""RSS 2.0 and Atom 1.0 with feedgen, plus one extension for what feedgen gets wrong.

feedgen 1.0 traps this module works around (each one fails the W3C validator):
Atom entry links lose ``rel``/``type`` (an image enclosure would become a second
``alternate`` link), so images are written by the extension; a name-only RSS
``author`` is invalid, so bylines go to ``dc:creator``; ``media:group`` around a
single ``media:content`` is an error, so there is no group; RSS
``description`` is HTML, so the plain-text lede is escaped once more there.
HTML (RSS description and content:encoded, Atom content) is written as CDATA.
"""

from __future__ import annotations

import copy
import functools
from typing import Any

from feedgen.entry import FeedEntry
from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator
from lxml import etree

from syndicate.feeds.entries import GENERATOR, STYLESHEET, Channel, Entry

ATOM_NS = "http://www.w3.org/2005/Atom"
CONTENT_NS = "http://purl.org/rss/1.0/modules/content/"
MEDIA_NS = "http://search.yahoo.com/mrss/"
DC_NS = "http://purl.org/dc/elements/1.1/"
_EXT = "syndicate"

# The stylesheet sits in the folder above each section's feeds.
_PROLOGUE = (
    b"<?xml version='1.0' encoding='UTF-8'?>\n"
    b'<?xml-stylesheet type="text/xsl" href="../' + STYLESHEET.encode() + b'"?>\n'
)


def _sub(parent: Any, tag: str, text: str | None = None, **attrs: str) -> Any:
    element = etree.SubElement(parent, tag, attrs)
    if text is not None:
        element.text = text
    return element


def _as_cdata(element: Any, value: str) -> None:
    """HTML as a CDATA section: the markup reads as written ("AT&amp;T", not "AT&amp;amp;T").

    ``value`` is the element's text, passed in (reading it back from lxml copies it).
    A CDATA section cannot hold "]]>"; such a value keeps the usual escaping.
    """
    if element is not None and ("&" in value or "<" in value) and "]]>" not in value:
        element.text = etree.CDATA(value)


def _media(parent: Any, entry: Entry) -> None:
    image = entry.image
    if image is None:
        return
    content = _sub(parent, f"{{{MEDIA_NS}}}content", url=image.url, medium="image", type=image.type)
    if image.description:
        _sub(content, f"{{{MEDIA_NS}}}description", image.description, type="plain")
    if image.credit:
        _sub(content, f"{{{MEDIA_NS}}}credit", image.credit)
    _sub(parent, f"{{{MEDIA_NS}}}thumbnail", url=image.url)


class _FeedExtension(BaseExtension):
    channel: Channel

    def extend_ns(self) -> dict[str, str]:
        return {"media": MEDIA_NS, "dc": DC_NS}

    def extend_rss(self, feed: Any) -> Any:
        if self.channel.hub:
            channel = feed[0]
            _sub(channel, f"{{{ATOM_NS}}}link", href=self.channel.hub, rel="hub")
        return feed


class _EntryExtension(BaseEntryExtension):
    entry: Entry

    def extend_rss(self, item: Any) -> Any:
        entry = self.entry
        description = item.find("description")
        if description is not None and entry.summary:
            description.text = entry.summary_html
            _as_cdata(description, entry.summary_html)
        elif description is not None:  # no summary: feedgen put the body there
            _as_cdata(description, entry.content_html)
        if entry.content_html and entry.summary:
            _as_cdata(item.find(f"{{{CONTENT_NS}}}encoded"), entry.content_html)
        _sub(item, f"{{{DC_NS}}}creator", entry.author)
        if entry.image is not None:
            _sub(item, "enclosure", url=entry.image.url, length="0", type=entry.image.type)
        _media(item, entry)
        return item

    def extend_atom(self, element: Any) -> Any:
        # feedgen keeps one id for both formats; Atom needs an IRI even when the guid is not.
        element.find("id").text = self.entry.atom_id
        if self.entry.content_html:
            _as_cdata(element.find("content"), self.entry.content_html)
        if self.entry.image is not None:
            # feedgen writes Atom with a default namespace on un-namespaced elements.
            _sub(
                element,
                "link",
                href=self.entry.image.url,
                rel="enclosure",
                type=self.entry.image.type,
            )
        _media(element, self.entry)
        return element


def _generator(channel: Channel, entries: list[Entry], reuse: bool) -> FeedGenerator:
    fg = FeedGenerator()
    fg.register_extension(_EXT, _FeedExtension, _EntryExtension)
    getattr(fg, _EXT).channel = channel
    fg.id(channel.url("atom.xml"))
    fg.title(channel.title)
    fg.subtitle(channel.description)
    fg.description(channel.description)
    fg.language(channel.language)
    fg.author({"name": channel.author})
    fg.generator(GENERATOR)
    fg.ttl(channel.ttl_minutes)
    fg.updated(channel.updated)
    fg.lastBuildDate(channel.updated)
    # RSS takes its channel <link> from the last link added: the site must come last.
    fg.link(href=channel.url("rss.xml"), rel="self", type="application/rss+xml")
    if channel.hub:
        fg.link(href=channel.hub, rel="hub")
    fg.link(href=channel.site_url, rel="alternate", type="text/html")
    for entry in entries:
        fg.add_entry(_BuiltEntry(entry) if reuse else _feed_entry(entry), order="append")
    return fg


def _feed_entry(entry: Entry) -> FeedEntry:
    fe = FeedEntry()
    fe.register_extension(_EXT, _EntryExtension)
    getattr(fe, _EXT).entry = entry
    fe.guid(entry.guid, permalink=entry.permalink)
    fe.title(entry.title)
    fe.link(href=entry.url, rel="alternate", type="text/html")
    fe.published(entry.published)
    fe.updated(entry.updated)
    fe.author({"name": entry.author})
    fe.category(term=entry.category_term, label=entry.category_label)
    if entry.summary:
        fe.summary(entry.summary)
    if entry.content_html:
        fe.content(entry.content_html, type="html")
    return fe


# feedgen builds an entry's elements from the entry alone, and building them is most
# of a render. A republish renders 50 entries per feed of which one or two changed,
# so each entry's built pair is kept (about 20 KB with a full-text body).
@functools.lru_cache(maxsize=1024)
def _elements(entry: Entry) -> tuple[Any, Any]:
    fe = _feed_entry(entry)
    return fe.rss_entry(), fe.atom_entry()


class _BuiltEntry(FeedEntry):
    """Hands feedgen a copy of the entry's elements, built once."""

    def __init__(self, entry: Entry) -> None:
        super().__init__()
        self.entry = entry

    def rss_entry(self, extensions: bool = True) -> Any:
        return copy.deepcopy(_elements(self.entry)[0])

    def atom_entry(self, extensions: bool = True) -> Any:
        return copy.deepcopy(_elements(self.entry)[1])


def render(channel: Channel, entries: list[Entry], reuse: bool = True) -> tuple[bytes, bytes]:
    """(rss.xml, atom.xml) bytes for one section.

    ``reuse`` keeps each entry's built elements for the next render. A build of
    every section passes False: it meets each entry once or twice, too far apart
    for a bounded cache to help, and remembering them would only cost time.
    """
    fg = _generator(channel, entries, reuse)
    rss = fg.rss_str(pretty=True, xml_declaration=False)
    # The Atom self link must name atom.xml; RSS already took its copy.
    fg.link(
        [
            {"href": channel.url("atom.xml"), "rel": "self", "type": "application/atom+xml"},
            *([{"href": channel.hub, "rel": "hub"}] if channel.hub else []),
            {"href": channel.site_url, "rel": "alternate", "type": "text/html"},
        ],
        replace=True,
    )
    atom = fg.atom_str(pretty=True, xml_declaration=False)
    return _PROLOGUE + rss, _PROLOGUE + atom
