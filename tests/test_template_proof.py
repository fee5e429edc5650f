"""Templates are rendered before use: a broken one is named by file and line, nothing is sent."""

from __future__ import annotations

from pathlib import Path

import pytest

from syndicate import config
from syndicate.digest import proof, templates
from syndicate.digest.render import DigestRenderer
from syndicate.digest.template_errors import TemplateFailed
from tests.cli import syndicate
from tests.conftest import ROOT, write_config

KICKER = "<p>{{ article.headline }}</p>\n<p>{{ article.kicker }}</p>\n"
EXTENDS = '{% extends "nosuch_layout.html.j2" %}\n'
SYNTAX = "line one\n{% if %}\n"


def with_override(tmp_path: Path, name: str, source: str) -> Path:
    folder = tmp_path / "overrides"
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(source, encoding="utf-8")
    return write_config(tmp_path, '[digest]\ntemplates_dir = "overrides"\n')


CASES = [
    (
        "_article.html.j2",
        KICKER,
        2,
        "'syndicate.digest.render.ArticleView object' has no attribute 'kicker'",
    ),
    (
        "digest.txt.j2",
        EXTENDS,
        1,
        "no template named 'nosuch_layout.html.j2' in [digest] templates_dir or the built-ins",
    ),
    ("confirm.txt.j2", SYNTAX, 2, "Expected an expression, got 'end of statement block'"),
    # The alert and the Corrections block are proven too.
    (
        "alert.html.j2",
        EXTENDS,
        1,
        "no template named 'nosuch_layout.html.j2' in [digest] templates_dir or the built-ins",
    ),
    (
        "_corrections.txt.j2",
        "{% for item in corrections %}{{ item.note.nope.deeper }}{% endfor %}\n",
        1,
        "'str object' has no attribute 'nope'",
    ),
]


@pytest.mark.parametrize(("name", "source", "line", "message"), CASES)
def test_config_check_names_the_file_and_line(
    tmp_path: Path, name: str, source: str, line: int, message: str
) -> None:
    path = with_override(tmp_path, name, source)
    result = syndicate(path, "config", "check")
    assert result.returncode == 2
    assert result.stderr.splitlines()[0] == (
        f"error: template {tmp_path / 'overrides' / name}:{line}: {message}"
    )
    assert "Traceback" not in result.stderr
    assert "ok" not in result.stdout


def test_the_built_in_templates_pass_in_every_language(settings: config.Settings) -> None:
    env = templates.fresh_environment(settings)
    assert proof.render_problems(settings, env) == []
    assert proof.check_rendering(settings) == []
    loaded = set(env.cache or {}) if env.cache is not None else set()
    # Both parts of the digest and of the confirmation email were rendered.
    names = {key[1] for key in loaded}
    assert {"digest.html.j2", "digest.txt.j2", "confirm.html.j2", "confirm.txt.j2"} <= names
    assert {"_image.html.j2", "_section.txt.j2"} <= names


def test_a_confirmation_only_template_error_is_found(tmp_path: Path) -> None:
    # The confirmation email is rendered too, not only the digest.
    path = with_override(
        tmp_path,
        "confirm.html.j2",
        '{% extends "layout.html.j2" %}\n{% block content %}\n{{ confirm_link }}\n{% endblock %}\n',
    )
    settings = config.load(path, env={})
    assert proof.check_rendering(settings) == [
        f"template {tmp_path / 'overrides' / 'confirm.html.j2'}:3: 'confirm_link' is undefined"
    ]


def test_a_render_error_at_send_time_names_file_and_line(tmp_path: Path) -> None:
    path = with_override(tmp_path, "_article.html.j2", KICKER)
    settings = config.load(path, env={"SYNDICATE_SECRET": "x" * 40})
    edition = proof.sample_editions(settings)[0]
    reader = proof._reader(settings, "en", ())
    renderer = DigestRenderer(settings, env=templates.fresh_environment(settings))
    with pytest.raises(TemplateFailed) as caught:
        renderer.message(edition, reader)
    assert str(caught.value) == (
        f"template {tmp_path / 'overrides' / '_article.html.j2'}:2: "
        "'syndicate.digest.render.ArticleView object' has no attribute 'kicker'"
    )
    assert caught.value.exit_code == 2


def test_digest_preview_with_a_broken_template(tmp_path: Path) -> None:
    path = with_override(tmp_path, "_article.html.j2", KICKER)
    assert syndicate(path, "init").returncode == 0
    imported = syndicate(path, "import", str(ROOT / "examples" / "articles"))
    assert imported.returncode == 0, imported.stderr
    result = syndicate(path, "digest", "preview", "--out", str(tmp_path / "out"))
    assert result.returncode == 2
    assert result.stderr.splitlines()[0] == (
        f"error: template {tmp_path / 'overrides' / '_article.html.j2'}:2: "
        "'syndicate.digest.render.ArticleView object' has no attribute 'kicker'"
    )
    assert "unexpected" not in result.stderr


def test_run_refuses_to_start_with_a_broken_template(tmp_path: Path) -> None:
    path = with_override(tmp_path, "digest.txt.j2", EXTENDS)
    assert syndicate(path, "init").returncode == 0
    result = syndicate(path, "run", "--port", "0")
    assert result.returncode == 2
    assert result.stderr.splitlines()[0] == (
        f"error: template {tmp_path / 'overrides' / 'digest.txt.j2'}:1: no template named "
        "'nosuch_layout.html.j2' in [digest] templates_dir or the built-ins"
    )


def test_digest_send_with_a_broken_template(tmp_path: Path) -> None:
    path = with_override(tmp_path, "_article.html.j2", KICKER)
    for args in (
        ("init",),
        ("import", str(ROOT / "examples" / "articles")),
        ("subscribers", "add", "reader@example.org", "--confirmed"),
    ):
        done = syndicate(path, *args)
        assert done.returncode == 0, done.stderr
    result = syndicate(path, "digest", "send", "--date", "2030-01-01")
    assert result.returncode == 2
    assert result.stderr.splitlines()[0] == (
        f"error: template {tmp_path / 'overrides' / '_article.html.j2'}:2: "
        "'syndicate.digest.render.ArticleView object' has no attribute 'kicker'"
    )
