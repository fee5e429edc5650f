"""Golden files: compare rendered output with a stored copy, or rewrite it on request.

Run with ``SYNDICATE_REGENERATE_GOLDEN=1`` to rewrite every golden file a test
touches; then read the diff in git before committing it.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path

import pytest

GOLDEN_DIR = Path(__file__).parent / "golden"
REGENERATE_ENV = "SYNDICATE_REGENERATE_GOLDEN"


def assert_golden(path: str | Path, actual: bytes | str) -> None:
    """Fail with a unified diff when ``actual`` differs from the golden file at ``path``.

    A relative ``path`` is taken under ``tests/golden/``.
    """
    target = Path(path)
    if not target.is_absolute():
        target = GOLDEN_DIR / target
    data = actual.encode("utf-8") if isinstance(actual, str) else actual
    if os.environ.get(REGENERATE_ENV) == "1":
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        return
    if not target.exists():
        pytest.fail(f"no golden file {target}; run with {REGENERATE_ENV}=1 to create it")
    expected = target.read_bytes()
    if expected == data:
        return
    diff = difflib.unified_diff(
        expected.decode("utf-8", "replace").splitlines(keepends=True),
        data.decode("utf-8", "replace").splitlines(keepends=True),
        fromfile=f"{target} (golden)",
        tofile="actual",
    )
    pytest.fail(
        f"output differs from {target}; if the change is intended, rerun with "
        f"{REGENERATE_ENV}=1\n" + "".join(diff),
        pytrace=False,
    )
