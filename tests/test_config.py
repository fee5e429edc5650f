from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from syndicate import config
from syndicate.errors import ConfigError

from .conftest import ROOT, write_config


def problems(tmp_path: Path, body: str) -> list[str]:
    path = tmp_path / "config.toml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        config.load(path, env={})
    return caught.value.problems


SECTION = '[[sections]]\nslug = "world"\ntitle = "World"\n'


def test_example_config_loads_and_documents_every_key() -> None:
    settings = config.load(ROOT / "config.example.toml", env={})
    assert settings.section_slugs == ["world", "politics", "mundo"]
    assert settings.database.url == f"sqlite:///{ROOT / 'var' / 'syndicate.db'}"
    text = (ROOT / "config.example.toml").read_text()
    for table, model in config._TABLE_MODELS.items():
        for name, field in model.model_fields.items():
            assert f"\n{field.alias or name} = " in text, f"[{table}] {name} undocumented"


def test_defaults_and_relative_paths(tmp_path: Path) -> None:
    path = write_config(tmp_path)
    settings = config.load(path, env={})
    assert settings.feeds.items == 50
    assert settings.feeds.output_dir == str(tmp_path / "var/public/feeds")
    assert settings.delivery.maildir == str(tmp_path / "var/outbox")
    assert settings.delivery.transport == "maildir"
    assert settings.section_language("mundo") == "es"
    assert settings.section_language("world") == "en"


def test_unknown_key_suggests_the_closest(tmp_path: Path) -> None:
    lines = problems(tmp_path, SECTION + "[feeds]\nitmes = 10\n")
    assert len(lines) == 1 and (
        lines[0].endswith("[feeds] itmes: unknown key; did you mean 'items'?")
    )


def test_unknown_table_is_named(tmp_path: Path) -> None:
    lines = problems(tmp_path, SECTION + "[feed]\nitems = 10\n")
    assert any("feed: unknown key; did you mean 'feeds'?" in line for line in lines)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ('[feeds]\nitems = "ten"\n', "[feeds] items: expected a whole number, got 'ten'"),
        ('[site]\ntimezone = "Mars/Base"\n', "[site] timezone: unknown timezone 'Mars/Base'"),
        (
            '[site]\nurl = "example.com"\n',
            "[site] url: 'example.com' is not an absolute http(s) URL",
        ),
        ('[delivery]\ntransport = "smpt"\n', "[delivery] transport: 'smpt' is not allowed"),
        (
            '[schedule]\ndigest_time = "25:00"\n',
            "[schedule] digest_time: '25:00' is not a time of day",
        ),
        ("[feeds]\nitems = 0\n", "[feeds] items: input should be greater than or equal to 1"),
    ],
)
def test_bad_values_name_the_key(tmp_path: Path, body: str, expected: str) -> None:
    lines = problems(tmp_path, SECTION + body)
    assert any(expected in line for line in lines), lines
    assert all(line.startswith(str(tmp_path / "config.toml")) for line in lines)


def test_duplicate_slug_and_missing_sections(tmp_path: Path) -> None:
    lines = problems(tmp_path, SECTION + SECTION)
    assert any("sections: duplicate slug 'world'" in line for line in lines)
    lines = problems(tmp_path, '[site]\ntitle = "x"\n')
    assert any("sections: missing; add at least one [[sections]]" in line for line in lines)


def test_every_mistake_is_reported_at_once(tmp_path: Path) -> None:
    lines = problems(tmp_path, SECTION + "[feeds]\nitems = -1\nfull_txt = true\n[smtp]\nport = 0\n")
    assert len(lines) == 3


def test_secrets_only_from_environment_and_masked(tmp_path: Path) -> None:
    path = write_config(tmp_path)
    env = {"SYNDICATE_SECRET": "s3cr3t-value", "SYNDICATE_SMTP_PASSWORD": "hunter2"}
    settings = config.load(path, env=env)
    assert settings.secret.get_secret_value() == "s3cr3t-value"
    printed = repr(settings) + str(settings.masked())
    assert "s3cr3t-value" not in printed and "hunter2" not in printed
    assert settings.masked()["secrets"]["SYNDICATE_SECRET"] == "set (hidden)"
    with pytest.raises(ConfigError):
        config.from_mapping({"secret": "x", "sections": []}, tmp_path)


def test_bad_toml_and_missing_file(tmp_path: Path) -> None:
    assert "not valid TOML" in problems(tmp_path, "[site\n")[0]
    with pytest.raises(ConfigError) as caught:
        config.load(tmp_path / "nope.toml", env={})
    assert "no such config file" in caught.value.problems[0]


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "syndicate", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
    )


def test_config_check_command(tmp_path: Path) -> None:
    good = run_cli("--config", str(write_config(tmp_path)), "config", "check")
    assert good.returncode == 0, good.stderr
    assert good.stdout.startswith("ok\n") and "world, politics, mundo" in good.stdout
    bad_path = tmp_path / "bad.toml"
    bad_path.write_text(SECTION + '[feeds]\nitmes = 3\n[site]\ntimezone = "Nowhere"\n')
    bad = run_cli("--config", str(bad_path), "config", "check")
    assert bad.returncode == 2
    assert "Traceback" not in bad.stderr
    assert "[feeds] itmes: unknown key; did you mean 'items'?" in bad.stderr
    assert "[site] timezone" in bad.stderr
    assert "hint:" in bad.stderr
