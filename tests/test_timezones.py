"""One timezone rule wherever a timezone is given: the CLI, a CSV import, the config file."""

from __future__ import annotations

import zoneinfo
from pathlib import Path

import pytest

from syndicate.timezones import canonical_timezone, offered_timezones

from .cli import syndicate
from .conftest import write_config

REFUSED = ["localtime", "Factory", "posixrules", "right/UTC", "Etc/GMT0", "US/Eastern", "EST"]


def test_the_rule() -> None:
    offered = offered_timezones()
    assert set(offered) <= zoneinfo.available_timezones()
    assert {"UTC", "America/Lima", "America/Argentina/Buenos_Aires", "Asia/Kolkata"} <= set(offered)
    for zone in REFUSED + ["", " ", "UTC/", "/UTC", "Europe", "Mars/Base", "../../etc/passwd"]:
        assert canonical_timezone(zone) is None, zone
    assert canonical_timezone(" america/LIMA ") == "America/Lima"
    assert canonical_timezone("Etc/GMT+4") == "Etc/GMT+4"  # a fixed UTC-4
    assert canonical_timezone("Etc/GMT+15") is None


@pytest.mark.parametrize("zone", ["localtime", "Factory", "US/Pacific", "posix/UTC"])
def test_the_cli_refuses_non_places(tmp_path: Path, zone: str) -> None:
    path = write_config(tmp_path)
    assert syndicate(path, "init").returncode == 0
    added = syndicate(path, "subscribers", "add", "ana@example.org", "--timezone", zone)
    assert added.returncode == 2
    assert f"timezone: unknown timezone {zone!r}" in added.stderr
    assert "Traceback" not in added.stderr
    ok = syndicate(path, "subscribers", "add", "ana@example.org", "--timezone", "europe/madrid")
    assert ok.returncode == 0, ok.stderr
    listed = syndicate(path, "subscribers", "list")
    assert "Europe/Madrid" in listed.stdout


def test_a_csv_row_with_a_non_place_is_skipped_and_the_rest_go_in(tmp_path: Path) -> None:
    path = write_config(tmp_path)
    assert syndicate(path, "init").returncode == 0
    rows = "email,timezone\n" + "".join(
        f"r{n}@example.org,{zone}\n" for n, zone in enumerate(["UTC", *REFUSED, "Asia/Tokyo"])
    )
    (tmp_path / "s.csv").write_text(rows, encoding="utf-8")
    imported = syndicate(path, "subscribers", "import", str(tmp_path / "s.csv"))
    for zone in REFUSED:
        assert f"unknown timezone {zone!r}" in imported.stdout + imported.stderr
    listed = syndicate(path, "subscribers", "list").stdout
    assert "r0@example.org" in listed and f"r{len(REFUSED) + 1}@example.org" in listed
    assert "r1@example.org" not in listed


@pytest.mark.parametrize("zone", ["localtime", "Factory"])
def test_config_check_refuses_a_site_timezone_that_is_no_place(tmp_path: Path, zone: str) -> None:
    path = write_config(tmp_path)
    path.write_text(
        path.read_text().replace('timezone = "America/Lima"', f'timezone = "{zone}"'),
        encoding="utf-8",
    )
    checked = syndicate(path, "config", "check")
    assert checked.returncode == 2
    assert "[site] timezone" in checked.stderr and repr(zone) in checked.stderr
