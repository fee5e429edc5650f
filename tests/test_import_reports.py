"""Imports say what they did: unchanged rows counted as such, progress per record with a total."""

from __future__ import annotations

import json
import mailbox
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from syndicate import console
from syndicate.cli import _register, cli
from syndicate.importer import count_records
from tests.cli import syndicate
from tests.conftest import ROOT, write_config

CSV = (
    "email,sections,timezone,language,digest_time,status\n"
    "ana@example.org,world,America/Lima,en,07:00,active\n"
    "ben@example.org,,Europe/Madrid,es,08:30,pending\n"
    "carla@example.org,world;mundo,America/New_York,en,06:45,active\n"
)


def test_an_unchanged_csv_is_reported_unchanged(tmp_path: Path) -> None:
    path = write_config(tmp_path)
    assert syndicate(path, "init").returncode == 0
    people = tmp_path / "people.csv"
    people.write_text(CSV, encoding="utf-8")
    first = syndicate(path, "subscribers", "import", str(people))
    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines()[-1] == "3 new, 0 updated, 0 unchanged, 0 rejected"
    again = syndicate(path, "subscribers", "import", str(people))
    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines()[-1] == "0 new, 0 updated, 3 unchanged, 0 rejected"
    # The pending reader was emailed once, not again for an import that changed nothing.
    box = mailbox.Maildir(tmp_path / "var" / "outbox", create=False)
    assert len(box) == 1
    people.write_text(CSV.replace("08:30", "09:00"), encoding="utf-8")
    changed = syndicate(path, "subscribers", "import", str(people))
    assert changed.stdout.splitlines()[-1] == "0 new, 1 updated, 2 unchanged, 0 rejected"


def test_records_are_counted_where_the_files_tell(tmp_path: Path) -> None:
    lines = tmp_path / "many.jsonl"
    lines.write_text("\n".join(json.dumps({"n": i}) for i in range(5)) + "\n\n")
    seed = tmp_path / "one.txt"
    seed.write_text("World\n")
    listed = tmp_path / "list.json"
    listed.write_text("[]")
    assert count_records([lines, seed]) == 6
    assert count_records([lines, listed]) is None


@pytest.fixture
def bar(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    seen: dict[str, Any] = {"updates": []}

    @contextmanager
    def recording(description: str, total: int | None) -> Iterator[Any]:
        seen["total"] = total
        yield lambda completed=0, text="": seen["updates"].append(completed)

    monkeypatch.setattr(console, "progress", recording)
    return seen


def test_the_article_import_bar_advances_per_record(
    tmp_path: Path, bar: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_config(tmp_path)
    monkeypatch.setenv("SYNDICATE_SECRET", "x" * 40)
    _register()
    runner = CliRunner()
    assert runner.invoke(cli, ["--config", str(path), "init"]).exit_code == 0
    folder = ROOT / "examples" / "articles"
    result = runner.invoke(cli, ["--config", str(path), "import", str(folder)])
    assert result.exit_code == 0, result.output
    records = count_records(sorted(folder.iterdir()))
    assert records is not None and records > 3
    assert bar["total"] == records
    # One step per record read (and one more when each file is stored), ending at the total.
    assert bar["updates"][: records // 2] == sorted(bar["updates"][: records // 2])
    assert set(range(1, records + 1)) <= set(bar["updates"])
    assert bar["updates"][-1] == records
