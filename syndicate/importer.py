"""`syndicate import`: read seed text, JSON and JSON Lines files; one transaction per file."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from syndicate.articles import ArticleInput, ArticleRejected, FieldError, parse_json, parse_seed
from syndicate.clock import Clock
from syndicate.config import Settings
from syndicate.errors import InputError
from syndicate.store.articles import upsert

SUFFIXES = {".txt", ".json", ".jsonl", ".ndjson"}


@dataclass
class Rejection:
    file: str
    record: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}{self.record}: rejected: {self.reason}"


@dataclass
class ImportReport:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    changed_sections: set[str] = field(default_factory=set)
    files: int = 0
    records: int = 0  # read so far, good or rejected

    def summary(self) -> str:
        return (
            f"{self.new} new, {self.updated} updated, {self.unchanged} unchanged, "
            f"{len(self.rejected)} rejected"
        )


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM); Windows-1252 when the bytes are not UTF-8."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def expand(paths: list[Path]) -> list[Path]:
    """Files to import, folders walked in name order; a missing path is an input error."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(
                sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES)
            )
        elif path.is_file():
            files.append(path)
        else:
            raise InputError(
                f"{path}: no such file or folder", hint="check the path you gave to import"
            )
    return files


def load_json(raw: str | bytes) -> Any:
    """json.loads, with malformed or absurdly nested input as a rejection naming the problem."""
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ArticleRejected(
            [FieldError("(json)", f"malformed JSON: {exc.msg} at column {exc.colno}")]
        ) from None
    except RecursionError:
        raise ArticleRejected(
            [FieldError("(json)", "nested too deeply; an article is a flat object")]
        ) from None


def read_records(
    path: Path, settings: Settings, now: datetime | None = None
) -> Iterator[tuple[str, ArticleInput | ArticleRejected]]:
    """Yield (record label, article or rejection) for every record of one file."""
    suffix = path.suffix.lower()
    try:
        content = decode(path.read_bytes())
    except OSError as exc:  # removed or unreadable since the folder was listed
        reason = exc.strerror or type(exc).__name__
        yield "", ArticleRejected([FieldError("(file)", f"cannot be read: {reason}")])
        return
    if suffix in (".jsonl", ".ndjson"):
        # Only "\n" ends a record: U+2028, U+0085 and the like are text inside strings.
        for number, line in enumerate(content.split("\n"), start=1):
            if not line.strip():
                continue
            label = f":{number}"
            try:
                obj = load_json(line)
            except ArticleRejected as rejected:
                yield label, rejected
                continue
            yield label, _parse(parse_json, obj, settings, now)
    elif suffix == ".json":
        try:
            data = load_json(content)
        except ArticleRejected as rejected:
            yield "", rejected
            return
        items = data if isinstance(data, list) else [data]
        for index, obj in enumerate(items, start=1):
            yield (
                (f" #{index}" if isinstance(data, list) else ""),
                _parse(parse_json, obj, settings, now),
            )
    elif suffix == ".txt":
        yield "", _parse(parse_seed, content, settings, now)
    else:
        yield (
            "",
            ArticleRejected(
                [FieldError("(file)", f"unknown file type {suffix!r}; use .txt, .json or .jsonl")]
            ),
        )


def count_records(files: list[Path]) -> int | None:
    """How many records these files hold, when that is known without parsing them.

    A seed file is one record and a JSON Lines file one per non-blank line; a
    JSON file may hold a list, so one of those makes the total unknown.
    """
    total = 0
    for path in files:
        suffix = path.suffix.lower()
        if suffix in (".jsonl", ".ndjson"):
            total += sum(1 for line in path.read_bytes().splitlines() if line.strip())
        elif suffix == ".json":
            return None
        else:
            total += 1
    return total


def _malformed(exc: json.JSONDecodeError) -> ArticleRejected:
    return ArticleRejected(
        [FieldError("(json)", f"malformed JSON: {exc.msg} at column {exc.colno}")]
    )


def _parse(
    parser: Callable[..., ArticleInput],
    source: Any,
    settings: Settings,
    now: datetime | None,
) -> ArticleInput | ArticleRejected:
    try:
        return parser(source, settings, now)
    except ArticleRejected as rejected:
        return rejected
    except RecursionError:
        return ArticleRejected([FieldError("(record)", "nested too deeply")])


def import_paths(
    engine: Engine,
    settings: Settings,
    paths: list[Path],
    clock: Clock,
    on_record: Callable[[ImportReport], None] | None = None,
) -> ImportReport:
    report = ImportReport()
    now = clock.now()
    for path in expand(paths):
        report.files += 1
        good: list[ArticleInput] = []
        for label, item in read_records(path, settings, now):
            report.records += 1
            if isinstance(item, ArticleRejected):
                report.rejected.append(Rejection(str(path), label, str(item)))
            else:
                good.append(item)
            if on_record:
                on_record(report)
        if good:
            with engine.begin() as conn:
                result = upsert(conn, good, clock.now())
            report.new += result.new
            report.updated += result.updated
            report.unchanged += result.unchanged
            report.changed_sections.update(result.changed_sections)
            if on_record:
                on_record(report)
    return report
