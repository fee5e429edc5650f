"""Writing the published tree: whole files only, replaced atomically."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from syndicate.errors import OperationalError

STYLESHEET_SOURCE = Path(__file__).with_name("feed.xsl")


def write_atomic(path: Path, data: bytes) -> None:
    """Temp file in the same folder, fsync, rename: readers see the old file or the new one."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(temp, 0o644)  # mkstemp makes 0600; the web server must read it
            os.replace(temp, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp)
            raise
    except OSError as exc:
        raise OperationalError(
            f"cannot write {path}: {exc.strerror or exc}",
            hint="check that [feeds] output_dir exists and is writable by this user",
        ) from exc


def sync_folder(folder: Path) -> None:
    """Make the renames in ``folder`` durable."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def differs(path: Path, data: bytes) -> bool:
    try:
        return path.read_bytes() != data
    except (FileNotFoundError, NotADirectoryError):
        return True


def write_changed(folder: Path, files: dict[str, bytes]) -> list[str]:
    """Write the files whose bytes differ from what is on disk; their names, in order."""
    written = [name for name, data in files.items() if differs(folder / name, data)]
    for name in written:
        write_atomic(folder / name, files[name])
    if written:
        sync_folder(folder)
    return written


def ensure_stylesheet(output_dir: Path) -> bool:
    """Publish the XSL stylesheet beside the feeds; True when it was (re)written."""
    return bool(write_changed(output_dir, {STYLESHEET_SOURCE.name: STYLESHEET_SOURCE.read_bytes()}))
