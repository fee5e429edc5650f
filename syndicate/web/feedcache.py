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
import os
import threading
import time
from dataclasses import dataclass
from email.utils import formatdate
from pathlib import Path

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
        cls, path: str, file: Path, stamp: tuple[int, int, int], cache_control: str
    ) -> FeedFile:
        large = stamp[1] > MAX_FILE_BYTES
        if large:
            hasher = hashlib.sha256()
            with file.open("rb") as handle:
                while chunk := handle.read(_CHUNK):
                    hasher.update(chunk)
            digest = hasher.hexdigest()[:32]
            body = gzipped = b""
            size = zipped_size = stamp[1]
        else:
            body = file.read_bytes()
            digest = hashlib.sha256(body).hexdigest()[:32]
            gzipped = gzip.compress(body, compresslevel=9, mtime=0)
            size, zipped_size = len(body), len(gzipped)
        mtime = float(stamp[0] // 1_000_000_000)
        last_modified = formatdate(mtime, usegmt=True)
        kind = media_type(os.path.basename(path)) or "application/octet-stream"
        etag, gzip_etag = f'"{digest}"', f'"{digest}-gz"'
        styled = kind.startswith(("application/rss+xml", "application/atom+xml"))
        vary = b"Accept-Encoding, Accept" if styled else b"Accept-Encoding"

        def common(tag: str) -> list[tuple[bytes, bytes]]:
            return [
                (b"etag", tag.encode()),
                (b"last-modified", last_modified.encode()),
                (b"cache-control", cache_control.encode()),
                (b"vary", vary),
            ]

        def variants(content_type: str) -> tuple[Reply, ...]:
            plain = [
                (b"content-type", content_type.encode()),
                (b"content-length", str(size).encode()),
                *common(etag),
            ]
            if large:  # streamed as it is: the same reply whatever the client accepts
                full = Reply.of(200, plain, b"", disk=file)
                unchanged = Reply.of(304, common(etag), b"")
                return (full, full, unchanged, unchanged)
            zipped = [
                (b"content-type", content_type.encode()),
                (b"content-encoding", b"gzip"),
                (b"content-length", str(zipped_size).encode()),
                *common(gzip_etag),
            ]
            return (
                Reply.of(200, plain, body),
                Reply.of(200, zipped, gzipped),
                Reply.of(304, common(etag), b""),
                Reply.of(304, common(gzip_etag), b""),
            )

        replies = variants(kind)
        return cls(
            path=path,
            body=body,
            gzipped=gzipped,
            etag=etag,
            gzip_etag=gzip_etag,
            mtime=mtime,
            last_modified=last_modified,
            media_type=kind,
            stamp=stamp,
            replies=replies,
            browser_replies=variants(BROWSER_XML_TYPE) if styled else replies,
            tags=frozenset((etag.encode(), gzip_etag.encode())),
            disk=file if large else None,
        )


def _stamp(entry: os.DirEntry[str]) -> tuple[int, int, int]:
    info = entry.stat(follow_symlinks=False)
    return (info.st_mtime_ns, info.st_size, info.st_ino)


class FeedCache:
    """Maps "section/file" to a FeedFile. Reads are lock-free dict lookups."""

    def __init__(
        self,
        root: str | os.PathLike[str],
        sections: list[str],
        cache_control: str = "public, max-age=60",
        check_seconds: float = 1.0,
    ) -> None:
        self.root = Path(root)
        self.sections = frozenset(sections)
        self.cache_control = cache_control
        self.check_seconds = check_seconds
        self._files: dict[str, FeedFile] = {}
        self._checked = float("-inf")
        self._lock = threading.Lock()
        self.refresh()

    def get(self, path: str) -> FeedFile | None:
        if time.monotonic() - self._checked >= self.check_seconds:
            self.refresh()
        return self._files.get(path)

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
                try:
                    fresh[path] = FeedFile.load(path, file, stamp, self.cache_control)
                except OSError:
                    # Replaced or removed between the scan and the read: keep what we had.
                    if known is not None:
                        fresh[path] = known
                    continue
                reloaded += 1
            if reloaded or fresh.keys() != self._files.keys():
                self._files = fresh  # one reference swap: readers see old or new, never half
            return reloaded

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
