"""The published feed tree, held in memory with everything a response needs precomputed.

Feed readers poll often and mostly get ``304``; answering from memory (bytes,
gzip bytes, ETag, Last-Modified already computed) keeps a poll down to a dict
lookup. The tree on disk is the source of truth: a build in this process calls
``refresh()``; builds in other processes are noticed by a stat scan at most once
per ``check_seconds``, never by reading files per request.
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import formatdate
from pathlib import Path

log = logging.getLogger(__name__)

# File name -> media type. Anything else in the tree is not served.
MEDIA_TYPES = {
    "rss.xml": "application/rss+xml; charset=utf-8",
    "atom.xml": "application/atom+xml; charset=utf-8",
    "feed.json": "application/feed+json; charset=utf-8",
}
# Stylesheets that make a feed readable when opened in a browser.
EXTENSION_TYPES = {
    ".xsl": "text/xsl; charset=utf-8",
    ".css": "text/css; charset=utf-8",
}
# Larger files (a feed over its [feeds] max_bytes, written by hand or an older build) are
# still served, streamed from disk and without gzip, rather than held in memory.
MAX_FILE_BYTES = 32 * 1024 * 1024
_CHUNK = 1024 * 1024
# Browsers show application/rss+xml and application/atom+xml as raw source and never
# apply the feed's xml-stylesheet; served as application/xml they render the page.
BROWSER_XML_TYPE = "application/xml; charset=utf-8"
# What a browser opening one of these files gets instead: the section's HTML page.
PAGED_TYPES = frozenset(MEDIA_TYPES.values())
PAGE_TYPE = "text/html; charset=utf-8"


def media_type(name: str) -> str | None:
    if name in MEDIA_TYPES:
        return MEDIA_TYPES[name]
    return EXTENSION_TYPES.get(os.path.splitext(name)[1])


_STATUS_LINES = {200: b"HTTP/1.1 200 OK\r\n", 304: b"HTTP/1.1 304 Not Modified\r\n"}


@dataclass(frozen=True, slots=True)
class Reply:
    """One complete answer: for ASGI as a header list, for the wire as ready bytes."""

    status: int
    headers: list[tuple[bytes, bytes]]
    head: bytes  # status line and header lines, without Date and the closing blank line
    body: bytes
    disk: Path | None = None  # the body is this file's content, to be streamed

    @classmethod
    def of(
        cls,
        status: int,
        headers: list[tuple[bytes, bytes]],
        body: bytes,
        disk: Path | None = None,
    ) -> Reply:
        lines = b"".join(name + b": " + value + b"\r\n" for name, value in headers)
        return cls(status, headers, _STATUS_LINES[status] + lines, body, disk)


@dataclass(frozen=True)
class FeedFile:
    """One published file and its precomputed response headers."""

    path: str  # relative, e.g. "world/rss.xml"
    body: bytes
    gzipped: bytes
    etag: str  # strong, quoted; the gzip variant adds "-gz" inside the quotes
    gzip_etag: str
    mtime: float  # whole seconds: what Last-Modified can express
    last_modified: str
    media_type: str
    stamp: tuple[int, int, int]  # (mtime_ns, size, inode): changes when the file is replaced
    # Every answer a hit can get, built once: [plain 200, gzip 200, plain 304, gzip 304].
    replies: tuple[Reply, ...]
    # The same four for a browser (Accept: text/html) opening an RSS or Atom feed.
    browser_replies: tuple[Reply, ...]
    tags: frozenset[bytes]  # both ETags as sent, for the common exact-match revalidation
    disk: Path | None = None  # set for a file too large to hold: its replies stream it

    @classmethod
    def load(
        cls,
        path: str,
        file: Path,
        stamp: tuple[int, int, int],
        cache_control: str,
        extra: list[tuple[bytes, bytes]] | None = None,
    ) -> FeedFile:
        """``extra``: headers every answer carries (a feed's WebSub ``Link`` header)."""
        kind = media_type(os.path.basename(path)) or "application/octet-stream"
        if stamp[1] > MAX_FILE_BYTES:
            hasher = hashlib.sha256()
            with file.open("rb") as handle:
                while chunk := handle.read(_CHUNK):
                    hasher.update(chunk)
            content = Content(b"", b"", hasher.hexdigest()[:32], stamp[1])
            return cls.of(path, content, stamp, kind, cache_control, extra or [], disk=file)
        body = file.read_bytes()
        return cls.of(path, Content.of(body), stamp, kind, cache_control, extra or [])

    @classmethod
    def of(
        cls,
        path: str,
        content: Content,
        stamp: tuple[int, int, int],
        kind: str,
        cache_control: str,
        extra: list[tuple[bytes, bytes]],
        disk: Path | None = None,
    ) -> FeedFile:
        """The file's answers, from its bytes (or, for ``disk``, its digest and size alone)."""
        large = disk is not None
        size = zipped_size = content.size
        if not large:
            size, zipped_size = len(content.body), len(content.gzipped)
        mtime = float(stamp[0] // 1_000_000_000)
        last_modified = formatdate(mtime, usegmt=True)
        etag, gzip_etag = f'"{content.digest}"', f'"{content.digest}-gz"'
        styled = kind.startswith(("application/rss+xml", "application/atom+xml"))
        # Feeds (and the page standing in for them) differ by Accept: a browser gets the page.
        paged = styled or kind in PAGED_TYPES or kind == PAGE_TYPE
        vary = b"Accept-Encoding, Accept" if paged else b"Accept-Encoding"

        def common(tag: str) -> list[tuple[bytes, bytes]]:
            return [
                (b"etag", tag.encode()),
                (b"last-modified", last_modified.encode()),
                (b"cache-control", cache_control.encode()),
                (b"vary", vary),
                *extra,
            ]

        def variants(content_type: str) -> tuple[Reply, ...]:
            plain = [
                (b"content-type", content_type.encode()),
                (b"content-length", str(size).encode()),
                *common(etag),
            ]
            if large:  # streamed as it is: the same reply whatever the client accepts
                full = Reply.of(200, plain, b"", disk=disk)
                unchanged = Reply.of(304, common(etag), b"")
                return (full, full, unchanged, unchanged)
            zipped = [
                (b"content-type", content_type.encode()),
                (b"content-encoding", b"gzip"),
                (b"content-length", str(zipped_size).encode()),
                *common(gzip_etag),
            ]
            return (
                Reply.of(200, plain, content.body),
                Reply.of(200, zipped, content.gzipped),
                Reply.of(304, common(etag), b""),
                Reply.of(304, common(gzip_etag), b""),
            )

        replies = variants(kind)
        return cls(
            path=path,
            body=content.body,
            gzipped=content.gzipped,
            etag=etag,
            gzip_etag=gzip_etag,
            mtime=mtime,
            last_modified=last_modified,
            media_type=kind,
            stamp=stamp,
            replies=replies,
            browser_replies=variants(BROWSER_XML_TYPE) if styled else replies,
            tags=frozenset((etag.encode(), gzip_etag.encode())),
            disk=disk,
        )


@dataclass(frozen=True, slots=True)
class Content:
    """A body as served: the bytes, gzipped once, and the digest its ETags come from."""

    body: bytes
    gzipped: bytes
    digest: str
    size: int

    @classmethod
    def of(cls, body: bytes) -> Content:
        digest = hashlib.sha256(body).hexdigest()[:32]
        return cls(body, gzip.compress(body, compresslevel=9, mtime=0), digest, len(body))


def _stamp(entry: os.DirEntry[str]) -> tuple[int, int, int]:
    info = entry.stat(follow_symlinks=False)
    return (info.st_mtime_ns, info.st_size, info.st_ino)


# A published path -> the headers each answer for it carries besides the usual ones.
ExtraHeaders = Callable[[str], list[tuple[bytes, bytes]]]
# (section, its feed.json) -> the section's HTML page, or None when there is none to show.
PageMaker = Callable[[str, bytes], bytes | None]


def _no_headers(path: str) -> list[tuple[bytes, bytes]]:
    return []


class FeedCache:
    """Maps "section/file" to a FeedFile. Reads are lock-free dict lookups.

    With a ``page`` maker, each section's HTML page (what a browser opening one of
    its feeds gets) is rendered from its feed.json when that file changes, so once
    per feed build, and held beside the feeds with its own ETag.
    """

    def __init__(
        self,
        root: str | os.PathLike[str],
        sections: list[str],
        cache_control: str = "public, max-age=60",
        check_seconds: float = 1.0,
        feed_headers: ExtraHeaders = _no_headers,
        page: PageMaker | None = None,
        page_headers: ExtraHeaders = _no_headers,
    ) -> None:
        self.root = Path(root)
        self.sections = frozenset(sections)
        self.cache_control = cache_control
        self.check_seconds = check_seconds
        self.feed_headers = feed_headers
        self.page_maker = page
        self.page_headers = page_headers
        self._files: dict[str, FeedFile] = {}
        self._pages: dict[str, FeedFile] = {}  # feed path -> the page a browser gets there
        self._page_sources: dict[str, FeedFile] = {}  # section -> the feed.json it came from
        self._checked = float("-inf")
        self._lock = threading.Lock()
        self.refresh()

    def get(self, path: str) -> FeedFile | None:
        if time.monotonic() - self._checked >= self.check_seconds:
            self.refresh()
        return self._files.get(path)

    def page(self, path: str) -> FeedFile | None:
        """The HTML page a browser gets at feed ``path`` (None: serve the feed)."""
        return self._pages.get(path)

    def has_section(self, section: str) -> bool:
        return section in self.sections

    def files(self) -> dict[str, FeedFile]:
        return dict(self._files)

    def refresh(self) -> int:
        """Rescan the tree; reload only files whose (mtime, size, inode) moved. Returns how many."""
        with self._lock:
            self._checked = time.monotonic()
            found: dict[str, tuple[Path, tuple[int, int, int]]] = {}
            self._scan(self.root, "", found)
            for section in sorted(self.sections):
                self._scan(self.root / section, f"{section}/", found)
            fresh: dict[str, FeedFile] = {}
            reloaded = 0
            for path, (file, stamp) in found.items():
                known = self._files.get(path)
                if known is not None and known.stamp == stamp:
                    fresh[path] = known
                    continue
                extra = self.feed_headers(path) if os.path.basename(path) in MEDIA_TYPES else []
                try:
                    fresh[path] = FeedFile.load(path, file, stamp, self.cache_control, extra)
                except OSError:
                    # Replaced or removed between the scan and the read: keep what we had.
                    if known is not None:
                        fresh[path] = known
                    continue
                reloaded += 1
            if reloaded or fresh.keys() != self._files.keys():
                self._files = fresh  # one reference swap: readers see old or new, never half
            if self.page_maker is not None:
                self._refresh_pages(self.page_maker)
            return reloaded

    def _refresh_pages(self, make: PageMaker) -> None:
        """Render the page of each section whose feed.json changed; drop those that went."""
        pages = dict(self._pages)
        sources: dict[str, FeedFile] = {}
        for section in sorted(self.sections):
            source = self._files.get(f"{section}/feed.json")
            if source is not None and self._page_sources.get(section) is source:
                sources[section] = source
                continue
            for name in MEDIA_TYPES:
                pages.pop(f"{section}/{name}", None)
            if source is None or source.disk is not None:
                continue
            sources[section] = source
            try:
                html = make(section, source.body)
            except Exception:  # a bad feed.json must not stop the feeds being served
                log.exception("%s: the feed's HTML page could not be rendered", section)
                continue
            if html is None:
                continue
            content = Content.of(html)
            for name in MEDIA_TYPES:
                path = f"{section}/{name}"
                extra = self.page_headers(path)
                pages[path] = FeedFile.of(
                    path, content, source.stamp, PAGE_TYPE, self.cache_control, extra
                )
        self._pages, self._page_sources = pages, sources

    @staticmethod
    def _scan(
        folder: Path, prefix: str, found: dict[str, tuple[Path, tuple[int, int, int]]]
    ) -> None:
        try:
            entries = list(os.scandir(folder))
        except (FileNotFoundError, NotADirectoryError):
            return
        for entry in entries:
            # Only regular files with a known name: no symlinks, dot files or temp files.
            if entry.name.startswith(".") or media_type(entry.name) is None:
                continue
            if not entry.is_file(follow_symlinks=False):
                continue
            found[prefix + entry.name] = (Path(entry.path), _stamp(entry))
