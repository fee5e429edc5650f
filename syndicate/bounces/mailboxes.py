"""The messages in what a local MTA or fetchmail leaves: a Maildir, an mbox, ``.eml`` files.

Each message comes out as its bytes and where it was found, so one that cannot
be read is reported by place and the others go on.
"""

from __future__ import annotations

import mailbox
from collections.abc import Iterable, Iterator
from pathlib import Path

from syndicate.errors import InputError


def _is_maildir(path: Path) -> bool:
    return path.is_dir() and all((path / sub).is_dir() for sub in ("cur", "new"))


def _is_mbox(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(5) == b"From "


def messages(paths: Iterable[Path]) -> Iterator[tuple[str, bytes]]:
    """(where, bytes) for every message under ``paths``; InputError for a path that is none."""
    for path in paths:
        if not path.exists():
            raise InputError(f"{path}: no such file or folder", hint="give a Maildir, mbox or .eml")
        if _is_maildir(path):
            box = mailbox.Maildir(path, factory=None, create=False)
            for key in sorted(box.keys()):
                yield f"{path}/{key}", box.get_bytes(key)
        elif path.is_dir():
            for child in sorted(path.iterdir()):
                if child.is_file() and child.suffix.lower() == ".eml":
                    yield str(child), child.read_bytes()
        elif _is_mbox(path):
            box_file = mailbox.mbox(path, create=False)
            try:
                for number, key in enumerate(box_file.keys(), 1):
                    yield f"{path}#{number}", box_file.get_bytes(key)
            finally:
                box_file.close()
        else:
            yield str(path), path.read_bytes()
