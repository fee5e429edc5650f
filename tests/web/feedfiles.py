"""A published feed file for the serving tests."""

from __future__ import annotations

import os
from pathlib import Path

RSS = b'<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel><title>World</title></channel></rss>\n'


def publish(root: Path, section: str, name: str, body: bytes) -> Path:
    """Write the way the feed publisher does: a temp file, then an atomic rename."""
    folder = root / section
    folder.mkdir(parents=True, exist_ok=True)
    temp = folder / f".{name}.tmp"
    temp.write_bytes(body)
    os.replace(temp, folder / name)
    return folder / name
