"""`syndicate digest preview` and the template check of `syndicate config check`, as operators run them."""

from __future__ import annotations

import email
import email.policy

from syndicate.digest.templates import check_templates
from tests.cli import syndicate
from tests.conftest import ROOT, write_config


def test_preview_writes_eml_and_html_without_recording(tmp_path):
    config = write_config(tmp_path, database_url=f"sqlite:///{tmp_path / 'db.sqlite'}")
    assert syndicate(config, "init").returncode == 0
    assert syndicate(config, "import", str(ROOT / "examples" / "articles")).returncode == 0
    added = syndicate(
        config, "subscribers", "add", "reader@example.org", "--sections", "world", "--confirmed"
    )
    assert added.returncode == 0, added.stderr
    out = tmp_path / "preview"
    result = syndicate(
        config, "digest", "preview", "--email", "reader@example.org", "--out", str(out)
    )
    assert result.returncode == 0, result.stderr
    [eml] = sorted(out.glob("digest-*-reader.eml"))
    message = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    assert message["To"] == "reader@example.org"
    assert "Dockworkers halt three Pacific ports" in message["Subject"]
    page = eml.with_suffix(".html").read_text(encoding="utf-8")
    assert "Authorities raise the alert level for the Ubinas volcano" in page
    assert "Chile vota" not in page  # mundo is not one of this reader's sections
    status = syndicate(config, "status")
    assert "outbox: empty" in status.stdout

    everyone = syndicate(config, "digest", "preview", "--out", str(out), "--date", "2026-01-01")
    assert everyone.returncode == 0 and "nothing new" in everyone.stdout

    unknown = syndicate(config, "digest", "preview", "--email", "nobody@example.org")
    assert unknown.returncode == 2 and "no subscriber nobody@example.org" in unknown.stderr
    bad_date = syndicate(config, "digest", "preview", "--date", "28/11/2026")
    assert bad_date.returncode == 2 and "--date" in bad_date.stderr


def test_config_check_reports_template_syntax_errors_with_file_and_line(tmp_path, settings):
    overrides = tmp_path / "mail"
    overrides.mkdir()
    (overrides / "_headline.html.j2").write_text(
        "<h3>\n{{ article.headline }\n</h3>\n", encoding="utf-8"
    )
    config = write_config(tmp_path, f'[digest]\ntemplates_dir = "{overrides}"\n')
    result = syndicate(config, "config", "check")
    assert result.returncode == 2
    assert "_headline.html.j2:2:" in result.stderr
    assert check_templates(settings) == []


def test_override_replaces_a_builtin_by_name(tmp_path, settings):
    from syndicate.digest import DigestRenderer, select_edition
    from tests.digest_data import NOW, english_edition, subscriber

    overrides = tmp_path / "mail"
    overrides.mkdir()
    (overrides / "_lede.txt.j2").write_text("LEDE: {{ article.lede }}\n", encoding="utf-8")
    custom = settings.model_copy(
        update={"digest": settings.digest.model_copy(update={"templates_dir": str(overrides)})}
    )
    reader = subscriber()
    edition = select_edition(reader, english_edition(), None, NOW, custom)
    raw = DigestRenderer(custom).message(edition, reader).message
    message = email.message_from_bytes(raw, policy=email.policy.default)
    text = message.get_body(("plain",)).get_content()
    assert "LEDE: Peru's geophysical institute" in text
    assert "Read more" not in text and "Read more" in message.get_body(("html",)).get_content()
