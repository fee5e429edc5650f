"""What import-linter cannot see in the pure modules: the environment, files, the clock.

The import contracts in pyproject.toml keep these modules away from the
database, the network and the store; this test reads their code (comments and
strings left out) for the other ways a function stops being pure.
"""

from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "syndicate"
PURE = [
    "feeds/build.py",
    "feeds/entries.py",
    "feeds/xmlfeeds.py",
    "feeds/jsonfeed.py",
    "digest/selection.py",
    "digest/render.py",
    "digest/mime.py",
    "digest/confirmation.py",
    "digest/web_edition.py",
    "digest/slots.py",
]
FORBIDDEN = {
    "reads the environment": re.compile(r"\bos\.environ\b|\bgetenv\("),
    "opens files": re.compile(r"(?<![\w.])open\(|\.read_(text|bytes)\(|\.write_(text|bytes)\("),
    "reads the clock": re.compile(
        r"\.now\(|\.utcnow\(|\btoday\(|\btime\.time\(|\bmonotonic\(|\bperf_counter\("
    ),
}


def code_only(source: str) -> str:
    """The source with comments and string literals blanked out, line structure kept."""
    kept: list[str] = []
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type in (tokenize.COMMENT, tokenize.STRING):
            continue
        if token.type in (tokenize.NEWLINE, tokenize.NL):
            kept.append("\n")
        else:
            kept.append(token.string + " ")
    # Tokens are joined by spaces; close up attribute dots and calls so patterns match.
    return (
        "".join(kept).replace(" . ", ".").replace(" .", ".").replace(". ", ".").replace(" (", "(")
    )


@pytest.mark.parametrize("name", PURE)
def test_pure_modules_touch_no_environment_file_or_clock(name: str) -> None:
    code = code_only((ROOT / name).read_text(encoding="utf-8"))
    found = [what for what, pattern in FORBIDDEN.items() if pattern.search(code)]
    assert found == [], f"syndicate/{name} {', '.join(found)}"


def test_the_check_sees_through_layout_but_not_through_strings() -> None:
    assert FORBIDDEN["reads the clock"].search(code_only("x = clock . now ( )\n"))
    assert FORBIDDEN["opens files"].search(code_only("return open(path).read()\n"))
    assert FORBIDDEN["reads the environment"].search(code_only("v = os.environ['A']\n"))
    assert not any(
        pattern.search(code_only('"""Uses now() and open()."""  # os.environ\n'))
        for pattern in FORBIDDEN.values()
    )
