"""The validity rules the feeds must meet, checked in the tests (W3C validator's main ones).

Each ``*_problems`` function returns a list of human-readable problems; empty
means the document passes.
"""

from __future__ import annotations

import json
import re
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import feedparser
from lxml import etree

ATOM = "{http://www.w3.org/2005/Atom}"
MEDIA = "{http://search.yahoo.com/mrss/}"
DC = "{http://purl.org/dc/elements/1.1/}"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}"
RFC822 = re.compile(
    r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
    r"\d{4} \d{2}:\d{2}:\d{2} [+-]\d{4}$"
)
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def is_absolute(url: str | None) -> bool:
    parts = urlsplit(url or "")
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def parse(data: bytes) -> Any:
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    return etree.fromstring(data, parser)


def _required(parent: Any, tags: list[str], where: str, problems: list[str]) -> None:
    for tag in tags:
        found = parent.find(tag)
        if found is None or not (found.text or "").strip():
            problems.append(f"{where}: missing <{tag}>")


def rss_problems(data: bytes) -> list[str]:
    problems: list[str] = []
    root = parse(data)
    if root.tag != "rss" or root.get("version") != "2.0":
        return ["root is not <rss version='2.0'>"]
    channel = root.find("channel")
    _required(channel, ["title", "link", "description"], "channel", problems)
    if not is_absolute(channel.findtext("link")):
        problems.append("channel <link> is not absolute")
    selfs = [ln for ln in channel.findall(f"{ATOM}link") if ln.get("rel") == "self"]
    if len(selfs) != 1 or not is_absolute(selfs[0].get("href")):
        problems.append("channel needs exactly one absolute atom:link rel=self")
    for date in root.iter("pubDate", "lastBuildDate"):
        if not RFC822.match(date.text or ""):
            problems.append(f"<{date.tag}> {date.text!r} is not an RFC 822 date")
        else:
            parsedate_to_datetime(date.text)
    guids: set[str] = set()
    for number, item in enumerate(channel.findall("item"), 1):
        where = f"item {number}"
        _required(item, ["title", "link", "guid", "pubDate"], where, problems)
        if not is_absolute(item.findtext("link")):
            problems.append(f"{where}: <link> is not absolute")
        guid = item.find("guid")
        if guid is not None:
            if guid.text in guids:
                problems.append(f"{where}: duplicate guid {guid.text!r}")
            guids.add(guid.text or "")
            if guid.get("isPermaLink") == "true" and not is_absolute(guid.text):
                problems.append(f"{where}: permalink guid is not an absolute URL")
        if item.find("author") is not None:
            problems.append(f"{where}: <author> must be an email; use dc:creator")
        if item.find(f"{MEDIA}group") is not None:
            problems.append(f"{where}: media:group around one media:content")
        for enclosure in item.findall("enclosure"):
            if not is_absolute(enclosure.get("url")) or not enclosure.get("type"):
                problems.append(f"{where}: enclosure needs an absolute url and a type")
            if not (enclosure.get("length") or "").isdigit():
                problems.append(f"{where}: enclosure length is not a number")
        for media in item.iter(f"{MEDIA}content", f"{MEDIA}thumbnail"):
            if not is_absolute(media.get("url")):
                problems.append(f"{where}: media url is not absolute")
        for element in item.iter():
            if element.tag in ("description", f"{CONTENT}encoded", "title") and not element.text:
                problems.append(f"{where}: empty <{element.tag}>")
    return problems


def atom_problems(data: bytes) -> list[str]:
    problems: list[str] = []
    root = parse(data)
    if root.tag != f"{ATOM}feed":
        return ["root is not an Atom <feed>"]
    _required(root, [f"{ATOM}id", f"{ATOM}title", f"{ATOM}updated"], "feed", problems)
    feed_has_author = root.find(f"{ATOM}author/{ATOM}name") is not None
    selfs = [ln for ln in root.findall(f"{ATOM}link") if ln.get("rel") == "self"]
    if len(selfs) != 1:
        problems.append("feed needs exactly one link rel=self")
    for stamp in root.iter(f"{ATOM}updated", f"{ATOM}published"):
        if not RFC3339.match(stamp.text or ""):
            problems.append(f"<{stamp.tag}> {stamp.text!r} is not an RFC 3339 date")
    for link in root.iter(f"{ATOM}link"):
        if not is_absolute(link.get("href")):
            problems.append(f"link {link.get('href')!r} is not absolute")
    ids: set[str] = set()
    for number, entry in enumerate(root.findall(f"{ATOM}entry"), 1):
        where = f"entry {number}"
        _required(entry, [f"{ATOM}id", f"{ATOM}title", f"{ATOM}updated"], where, problems)
        entry_id = entry.findtext(f"{ATOM}id") or ""
        if entry_id in ids:
            problems.append(f"{where}: duplicate id {entry_id!r}")
        ids.add(entry_id)
        if not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$", entry_id):
            problems.append(f"{where}: id {entry_id!r} is not an IRI")
        alternates = [
            ln for ln in entry.findall(f"{ATOM}link") if ln.get("rel", "alternate") == "alternate"
        ]
        if len(alternates) != 1:
            problems.append(f"{where}: {len(alternates)} alternate links, want 1")
        if not feed_has_author and entry.find(f"{ATOM}author/{ATOM}name") is None:
            problems.append(f"{where}: no author")
        content = entry.find(f"{ATOM}content")
        if content is not None and content.get("type") != "html":
            problems.append(f"{where}: content is not type='html'")
        if entry.find(f"{MEDIA}group") is not None:
            problems.append(f"{where}: media:group around one media:content")
    return problems


def json_problems(data: bytes) -> list[str]:
    problems: list[str] = []
    feed = json.loads(data)
    if feed.get("version") != "https://jsonfeed.org/version/1.1":
        problems.append("version is not JSON Feed 1.1")
    if not feed.get("title"):
        problems.append("no title")
    for key in ("home_page_url", "feed_url"):
        if not is_absolute(feed.get(key)):
            problems.append(f"{key} is not absolute")
    ids: set[str] = set()
    for number, item in enumerate(feed.get("items", []), 1):
        where = f"item {number}"
        if not isinstance(item.get("id"), str) or item["id"] in ids:
            problems.append(f"{where}: missing or duplicate id")
        ids.add(item.get("id"))
        if not is_absolute(item.get("url")):
            problems.append(f"{where}: url is not absolute")
        if not (item.get("content_html") or item.get("content_text")):
            problems.append(f"{where}: needs content_html or content_text")
        for key in ("date_published", "date_modified"):
            if key in item and not RFC3339.match(item[key]):
                problems.append(f"{where}: {key} is not RFC 3339")
        if "image" in item and not is_absolute(item["image"]):
            problems.append(f"{where}: image is not absolute")
    return problems


def feedparser_images(data: bytes) -> list[str]:
    """Parse with feedparser (asserting bozo == 0) and return each entry's image URL or ''."""
    parsed = feedparser.parse(data)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    images = []
    for entry in parsed.entries:
        urls = {e.get("href") for e in entry.get("enclosures", [])}
        urls |= {m.get("url") for m in entry.get("media_content", [])}
        urls.discard(None)
        assert len(urls) <= 1, urls
        images.append(urls.pop() if urls else "")
    return images


def all_problems(files: dict[str, bytes]) -> list[str]:
    problems = [f"rss.xml: {p}" for p in rss_problems(files["rss.xml"])]
    problems += [f"atom.xml: {p}" for p in atom_problems(files["atom.xml"])]
    problems += [f"feed.json: {p}" for p in json_problems(files["feed.json"])]
    return problems
