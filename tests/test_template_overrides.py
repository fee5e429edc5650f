"""An operator's own templates: [server] templates_dir for pages, [digest] templates_dir for email.

Both folders are relative to the config file; a file there replaces the built-in
one of the same name and every other template still comes from the package.
"""

from __future__ import annotations

from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import httpx

from syndicate import config, store
from syndicate.clock import FixedClock
from syndicate.senders import make_sender
from syndicate.web import create_app
from tests.cli import syndicate
from tests.conftest import ROOT
from tests.web.server import bound_socket, running

ENV = {
    "SYNDICATE_SECRET": "test-secret-of-at-least-32-characters",
    "SYNDICATE_API_TOKEN": "test-token",
}

SITE = """\
[site]
title = "Diario Ñandú"
url = "https://diario.example.org"
timezone = "America/Lima"

[[sections]]
slug = "world"
title = "World"

[[sections]]
slug = "politics"
title = "Politics"

[[sections]]
slug = "mundo"
title = "Mundo"
language = "es"

[digest]
templates_dir = "own/mail"

[server]
templates_dir = "own/pages"
"""

# Extends the built-in base.html, which is not overridden: the two loaders work together.
SUBSCRIBE_PAGE = """\
{% extends "base.html" %}
{% block title %}Únete{% endblock %}
{% block main %}<h1 id="own-page">Únete a {{ site.title }} hoy</h1>{% endblock %}
"""
ARTICLE_TEXT = ">> {{ article.headline }} <<\n"


def make_site(tmp_path: Path) -> Path:
    site = tmp_path / "site"
    (site / "own" / "pages").mkdir(parents=True)
    (site / "own" / "mail").mkdir(parents=True)
    (site / "own" / "pages" / "subscribe.html").write_text(SUBSCRIBE_PAGE, encoding="utf-8")
    (site / "own" / "mail" / "_article.txt.j2").write_text(ARTICLE_TEXT, encoding="utf-8")
    path = site / "config.toml"
    path.write_text(SITE, encoding="utf-8")
    return path


def test_one_page_and_one_email_template_overridden(tmp_path: Path, clock: FixedClock) -> None:
    path = make_site(tmp_path)
    # Run from elsewhere: the folders are found relative to the config file.
    checked = syndicate(path, "config", "check", env=ENV)
    assert checked.returncode == 0, checked.stderr

    settings = config.load(path, env=ENV)
    assert settings.server.templates_dir == str(tmp_path / "site" / "own" / "pages")
    engine = store.open_engine(settings.database.url)
    store.migrate(engine)
    sock = bound_socket()
    try:
        with running(
            create_app(settings, engine, clock, publish=None, sender=lambda: make_sender(settings)),
            sock,
        ) as url:
            own = httpx.get(f"{url}/subscribe", timeout=10)
            builtin = httpx.get(f"{url}/feeds/world/", timeout=10)
    finally:
        engine.dispose()
    assert own.status_code == 200
    assert '<h1 id="own-page">Únete a Diario Ñandú hoy</h1>' in own.text
    assert "<title>Únete · Diario Ñandú</title>" in own.text  # the built-in base around it
    assert 'name="email"' not in own.text  # the built-in form is gone
    assert builtin.status_code == 200 and 'type="application/rss+xml"' in builtin.text

    assert syndicate(path, "init", env=ENV).returncode == 0
    imported = syndicate(path, "import", str(ROOT / "examples" / "articles"), env=ENV)
    assert imported.returncode == 0, imported.stderr
    out = tmp_path / "preview"
    preview = syndicate(path, "digest", "preview", "--out", str(out), env=ENV)
    assert preview.returncode == 0, preview.stderr
    [eml] = out.glob("*.eml")
    message = message_from_bytes(eml.read_bytes(), policy=policy.default)
    assert isinstance(message, EmailMessage)
    text_part, html_part = message.get_body(("plain",)), message.get_body(("html",))
    assert text_part is not None and html_part is not None
    plain = text_part.get_content()
    assert ">> Dockworkers halt three Pacific ports as wage talks collapse <<" in plain
    # The HTML part still renders each article with the built-in template.
    html = html_part.get_content()
    assert ">>" not in html and "Dockworkers halt three Pacific ports" in html


def test_server_templates_dir_must_be_a_folder(tmp_path: Path) -> None:
    path = make_site(tmp_path)
    path.write_text(SITE.replace('"own/pages"', '"own/missing"'), encoding="utf-8")
    result = syndicate(path, "config", "check", env=ENV)
    assert result.returncode == 2
    assert f"[server] templates_dir: {tmp_path / 'site' / 'own' / 'missing'} is not a folder" in (
        result.stderr
    )
