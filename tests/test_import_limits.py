"""`syndicate import` with records past every limit: each is rejected alone, the rest stored.

Run through the real command on a SQLite file and on PostgreSQL (where a value past
a column's size or a NUL would otherwise abort the whole file).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from syndicate import config, store
from syndicate.clock import FixedClock
from syndicate.importer import import_paths
from syndicate.store.tables import articles

from .cli import syndicate
from .conftest import write_config

LONG = "https://news.example.org/" + "a" * 2100
DEEP = '{"url": ' + "[" * 1000 + "]" * 1000 + "}"
DEEPER = '{"url": "https://news.example.org/x", "image": ' + "{" * 100_000


def record(slug: str, **overrides: Any) -> str:
    data: dict[str, Any] = {
        "url": f"https://news.example.org/{slug}",
        "section": "world",
        "headline": f"Story {slug}",
    }
    data.update(overrides)
    return json.dumps(data)


# (line, field named in the reason, words of the reason)
BAD = [
    (record("o", published_at="9999-12-31T23:59:59-23:59"), "published_at", "out of range"),
    (record("o2", updated_at="0001-01-01T00:00:00+01:00"), "updated_at", "out of range"),
    (record("f", published_at="2099-01-01T00:00:00Z"), "published_at", "in the future"),
    (record("e", published_at="1969-12-31T23:59:59Z"), "published_at", "before 1970"),
    (DEEP, "(json)", "nested too deeply"),
    (DEEPER, "(json)", ""),
    (record("l", url=LONG), "url", "longer than 2048"),
    (record("g", guid="g" * 2049), "guid", "longer than 2048"),
    (record("i", image={"url": LONG}), "image.url", "longer than 2048"),
    (record("n", url="https://news.example.org/a\u0000b"), "url", "control character"),
    (record("c", url="https://news.example.org/a\u001fb"), "url", "control character"),
    (record("d", url="https://news.example.org/a\u007f"), "url", "control character"),
    (record("c1", url="https://news.example.org/\u0085x"), "url", "control character"),
    (record("in", image={"url": "https://img.example.org/\u0000.jpg"}), "image.url", "control"),
    (record("h", url="https://exa<mple.org/x"), "url", "valid host"),
    (record("p", url="https://news.example.org:8o/x"), "url", "valid host"),
    (record("alt", image={"url": "https://img.example.org/a.jpg", "alt": [[[]]]}), "image.alt", ""),
]


@pytest.fixture
def config_path(tmp_path: Path, db_url: str) -> Path:
    path = write_config(tmp_path, database_url=db_url)
    result = syndicate(path, "init")
    assert result.returncode == 0, result.stderr
    return path


def stored(path: Path) -> dict[str, dict[str, Any]]:
    settings = config.load(path, env={"SYNDICATE_SECRET": "x"})
    engine = store.open_engine(settings.database.url)
    with engine.connect() as conn:
        rows = {r.url: dict(r._mapping) for r in conn.execute(select(articles))}
    engine.dispose()
    return rows


def test_each_bad_record_is_rejected_alone(config_path: Path, tmp_path: Path) -> None:
    lines = [record("first")]
    lines += [line for line, _, _ in BAD]
    # U+2028, U+2029 and U+0085 are text inside a string, not line ends.
    lines.append(
        record("separators", headline="One\u2028two", lede="Lede\u2029 here.", body="a\u0085b")
    )
    lines.append(record("last"))
    source = tmp_path / "batch.jsonl"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = syndicate(config_path, "import", str(source))
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    reasons = {}
    for line in result.stderr.splitlines():
        label, _, reason = line.partition(": rejected: ")
        reasons[label] = reason
    for number, (_, field, words) in enumerate(BAD, start=2):
        reason = reasons.get(f"{source}:{number}", "")
        assert reason.startswith(f"{field}: ") and words in reason, (number, reason)
    assert result.stdout.strip().endswith(f"3 new, 0 updated, 0 unchanged, {len(BAD)} rejected")
    rows = stored(config_path)
    assert set(rows) == {
        "https://news.example.org/first",
        "https://news.example.org/separators",
        "https://news.example.org/last",
    }
    assert rows["https://news.example.org/separators"]["headline"] == "One two"


def test_a_bad_file_in_a_folder_costs_only_itself(config_path: Path, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.json").write_text(record("a"), encoding="utf-8")
    (folder / "b.json").write_text("[" * 5000 + "]" * 5000, encoding="utf-8")
    (folder / "c.json").write_text(
        "[" + record("c", published_at="9999-12-31T23:59:59-23:59") + "," + record("c2") + "]",
        encoding="utf-8",
    )
    result = syndicate(config_path, "import", str(folder))
    assert result.returncode == 2
    assert f"{folder / 'b.json'}: rejected: (json): nested too deeply" in result.stderr
    assert f"{folder / 'c.json'} #1: rejected: published_at:" in result.stderr
    assert result.stdout.strip().endswith("2 new, 0 updated, 0 unchanged, 2 rejected")
    assert set(stored(config_path)) == {
        "https://news.example.org/a",
        "https://news.example.org/c2",
    }


def test_a_file_removed_during_a_folder_import(
    engine, db_settings: config.Settings, tmp_path: Path, clock: FixedClock
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("1", "2", "3"):
        (folder / f"{name}.jsonl").write_text(record(name) + "\n", encoding="utf-8")

    def remove_the_next(report) -> None:  # as another process would, mid-import
        if report.files == 1:
            (folder / "2.jsonl").unlink(missing_ok=True)

    report = import_paths(engine, db_settings, [folder], clock, remove_the_next)
    assert (report.new, report.files) == (2, 3)
    [rejection] = report.rejected
    assert rejection.file == str(folder / "2.jsonl")
    assert "cannot be read" in rejection.reason
    assert report.summary() == "2 new, 0 updated, 0 unchanged, 1 rejected"


def test_future_dates_are_measured_from_the_given_clock(
    engine, db_settings: config.Settings, tmp_path: Path, clock: FixedClock
) -> None:
    now = clock.now()
    source = tmp_path / "dates.jsonl"
    source.write_text(
        "\n".join(
            [
                record("soon", published_at="2026-11-29T11:00:00Z"),  # 23 hours ahead: fine
                record("late", published_at="2026-11-29T13:00:00+00:00"),  # 25 hours
                record("offset", published_at="2026-11-29T08:00:00-05:00"),  # 25 hours
                record("epoch", published_at="1970-01-01T00:00:00Z"),
            ]
        ),
        encoding="utf-8",
    )
    report = import_paths(engine, db_settings, [source], clock)
    assert now.isoformat() == "2026-11-28T12:00:00+00:00"
    assert report.new == 2
    assert sorted(r.record for r in report.rejected) == [":2", ":3"]
    assert all("in the future" in r.reason for r in report.rejected)
