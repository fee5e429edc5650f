"""The built-in templates are found wherever the package is, and their absence is one line."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from syndicate import resources
from tests.conftest import ROOT, write_config


def test_every_template_in_the_tree_is_found() -> None:
    for kind in (resources.EMAIL, resources.WEB):
        folder = resources.template_folder(kind)
        shipped = sorted(p.name for p in (ROOT / "templates" / kind).iterdir())
        assert shipped and sorted(p.name for p in folder.iterdir()) == shipped
        assert set(resources.REQUIRED[kind]) <= set(shipped)
    assert resources.missing_templates() == []


def installed_copy(tmp_path: Path, templates: Path | None) -> Path:
    """The package as an install lays it out: ``syndicate/`` with (or without) ``templates/``."""
    site = tmp_path / "site-packages"
    shutil.copytree(
        ROOT / "syndicate", site / "syndicate", ignore=shutil.ignore_patterns("__pycache__")
    )
    if templates is not None:
        shutil.copytree(templates, site / "syndicate" / "templates")
    return site


def run(site: Path, config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "syndicate", "--config", str(config), *args],
        capture_output=True,
        text=True,
        cwd=site,
        env={
            **os.environ,
            "PYTHONPATH": str(site),
            "SYNDICATE_SECRET": "test-secret-of-at-least-32-characters",
        },
        timeout=60,
    )


@pytest.mark.parametrize("command", [["config", "check"], ["serve"], ["run"]])
def test_no_templates_anywhere_is_one_line(tmp_path: Path, command: list[str]) -> None:
    site = installed_copy(tmp_path, templates=None)
    config = write_config(tmp_path)
    assert run(site, config, "init").returncode == 0
    result = run(site, config, *command)
    assert result.returncode == (2 if command[0] == "config" else 1)
    first, *rest = result.stderr.splitlines()
    assert first.startswith(
        "error: built-in templates not found: email/digest.html.j2, email/digest.txt.j2, "
        "email/confirm.html.j2 and 15 more missing under "
        f"{site / 'syndicate' / 'templates'}; reinstall syndicate"
    ), result.stderr
    assert all(line.startswith("hint:") for line in rest) and "Traceback" not in result.stderr


def test_one_template_missing_from_the_package_is_named(tmp_path: Path) -> None:
    partial = tmp_path / "partial"
    shutil.copytree(ROOT / "templates", partial)
    (partial / "web" / "subscribe.html").unlink()
    site = installed_copy(tmp_path, templates=partial)
    result = run(site, write_config(tmp_path), "config", "check")
    assert result.returncode == 2
    assert result.stderr.startswith(
        "error: built-in templates not found: web/subscribe.html missing under "
        f"{site / 'syndicate' / 'templates'};"
    ), result.stderr


def test_a_complete_package_checks_ok_without_the_tree(tmp_path: Path) -> None:
    site = installed_copy(tmp_path, templates=ROOT / "templates")
    result = run(site, write_config(tmp_path), "config", "check")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok")
