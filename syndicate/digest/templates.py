"""The email template environment: built-ins, operator overrides, labels and dates.

Templates live in the top-level ``templates/email/`` folder, shipped in the
package as ``syndicate.templates`` (see ``syndicate.resources``). An operator's
``[digest] templates_dir`` comes first in a ChoiceLoader, so a file there with
a built-in's name replaces it and everything else falls through to the
built-ins. HTML templates (``*.html.j2``) are autoescaped; text ones are not.
"""

from __future__ import annotations

import functools
from datetime import date
from pathlib import Path
from typing import Any

import css_inline
import jinja2
from babel.dates import format_date, format_skeleton

from syndicate import resources
from syndicate.config import DEFAULT_SUBJECT, Settings

_INLINER = css_inline.CSSInliner(keep_at_rules=True, load_remote_stylesheets=False)

BUILTIN_DIR = resources.template_folder(resources.EMAIL)
LANGUAGES = ("en", "es")

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "read_more": "Read more",
        "view_in_browser": "View in your browser",
        "digest_title": "Your daily digest",
        "weekly_title": "Your weekly digest",
        "week_intro": "This week's stories, section by section.",
        "corrections_title": "Corrections",
        "alert_title": "Breaking news",
        "alert_subject": "Breaking: {headline}",
        "alert_why": "You get this alert because {email} asked {site} for breaking news in {sections}.",
        "alerts_preferences": "Stop alerts or change sections",
        "retracted": "Retracted",
        "retracted_note": "this article has been withdrawn.",
        "overflow": "And {count} more stories on {site}",
        "overflow_one": "And 1 more story on {site}",
        "unsubscribe": "Unsubscribe",
        "preferences": "Change sections or send time",
        "why": "You get this email because {email} is subscribed to {sections} from {site}.",
        "all_sections": "every section",
        "photo": "Photo",
        "web_intro": "Every story of this edition, in every section.",
        "web_empty": "Nothing was published in this edition.",
        "web_sections": "The stories of this edition in {sections}.",
        "archive_title": "{site}: past editions",
        "archive_count": "{count} articles",
        "resumed": "Welcome back. You paused your digest on {date}: this edition has what was published since then.",
        "confirm_subject": "Confirm your subscription to {site}",
        "confirm_title": "One step left",
        "confirm_intro": "Someone, hopefully you, asked to receive the {site} daily digest at {email}.",
        "confirm_button": "Confirm my subscription",
        "confirm_ignore": "If it was not you, ignore this email: nothing will be sent.",
        "link_subject": "Your preferences link for {site}",
        "link_title": "Your preferences",
        "link_intro": "Someone, hopefully you, asked for the link to the {site} digest preferences of {email}. There you can change sections, send time and language, pause or unsubscribe.",
        "link_button": "Open my preferences",
        "link_ignore": "If it was not you, ignore this email: nothing has changed.",
        "subject": "{{ date }}: {{ top_headline }}{% if more %}, and {{ more }} more{% endif %}",
    },
    "es": {
        "read_more": "Leer más",
        "view_in_browser": "Ver en el navegador",
        "digest_title": "Tu resumen diario",
        "weekly_title": "Tu resumen semanal",
        "week_intro": "Las noticias de esta semana, sección por sección.",
        "corrections_title": "Correcciones",
        "alert_title": "Última hora",
        "alert_subject": "Última hora: {headline}",
        "alert_why": "Recibes esta alerta porque {email} pidió a {site} las noticias de última hora de {sections}.",
        "alerts_preferences": "Dejar las alertas o cambiar secciones",
        "retracted": "Retirado",
        "retracted_note": "este artículo ha sido retirado.",
        "overflow": "Y {count} noticias más en {site}",
        "overflow_one": "Y 1 noticia más en {site}",
        "unsubscribe": "Darse de baja",
        "preferences": "Cambiar secciones u hora de envío",
        "why": "Recibes este correo porque {email} está suscrito a {sections} de {site}.",
        "all_sections": "todas las secciones",
        "photo": "Foto",
        "web_intro": "Todas las noticias de esta edición, en todas las secciones.",
        "web_empty": "No se publicó nada en esta edición.",
        "web_sections": "Las noticias de esta edición en {sections}.",
        "archive_title": "{site}: ediciones anteriores",
        "archive_count": "{count} artículos",
        "resumed": "Bienvenido de nuevo. Pausaste tu resumen el {date}: esta edición trae lo publicado desde entonces.",
        "confirm_subject": "Confirma tu suscripción a {site}",
        "confirm_title": "Un paso más",
        "confirm_intro": "Alguien, esperamos que tú, pidió recibir el resumen diario de {site} en {email}.",
        "confirm_button": "Confirmar mi suscripción",
        "confirm_ignore": "Si no fuiste tú, ignora este correo: no enviaremos nada.",
        "link_subject": "Tu enlace de preferencias de {site}",
        "link_title": "Tus preferencias",
        "link_intro": "Alguien, esperamos que tú, pidió el enlace a las preferencias del resumen de {site} para {email}. Allí puedes cambiar secciones, hora de envío e idioma, pausar o darte de baja.",
        "link_button": "Abrir mis preferencias",
        "link_ignore": "Si no fuiste tú, ignora este correo: nada ha cambiado.",
        "subject": "{{ date }}: {{ top_headline }}{% if more %} y {{ more }} más{% endif %}",
    },
}


def language_of(value: str | None, fallback: str = "en") -> str:
    code = (value or "").split("-")[0].lower()
    if code in LANGUAGES:
        return code
    return fallback if fallback in LANGUAGES else "en"


def labels(language: str) -> dict[str, str]:
    return LABELS[language_of(language)]


def long_date(day: date, language: str) -> str:
    return format_date(day, "full", locale=language_of(language))


def short_date(day: date, language: str) -> str:
    return format_skeleton("MMMd", day, locale=language_of(language))


def _autoescape(name: str | None) -> bool:
    return bool(name) and str(name).endswith((".html.j2", ".html"))


def _build_environment(templates_dir: str) -> jinja2.Environment:
    loaders: list[jinja2.BaseLoader] = []
    if templates_dir:
        loaders.append(jinja2.FileSystemLoader(templates_dir))
    loaders.append(jinja2.FileSystemLoader(str(BUILTIN_DIR)))
    return jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=_autoescape,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
    )


_environment = functools.lru_cache(maxsize=8)(_build_environment)
# Environments whose every template was rendered once before use (see proof.py):
# what they loaded stays loaded, whatever happens to the files afterwards.
_proven: dict[str, jinja2.Environment] = {}


def environment(settings: Settings) -> jinja2.Environment:
    """One compiled environment per templates folder, shared by every render."""
    folder = settings.digest.templates_dir
    return _proven.get(folder) or _environment(folder)


def fresh_environment(settings: Settings) -> jinja2.Environment:
    """An environment that reads the template files as they are now."""
    return _build_environment(settings.digest.templates_dir)


def use_environment(settings: Settings, env: jinja2.Environment) -> None:
    """Render with ``env`` from now on, for this templates folder."""
    _proven[settings.digest.templates_dir] = env


@functools.lru_cache(maxsize=16)
def _subject_template(source: str) -> jinja2.Template:
    # Subjects are plain text (never HTML-escaped); the result is flattened to one line.
    return jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False).from_string(
        source
    )


def subject_template(settings: Settings, language: str) -> jinja2.Template:
    source = settings.digest.subject
    if source == DEFAULT_SUBJECT:
        source = labels(language)["subject"]
    return _subject_template(source)


def check_templates(settings: Settings) -> list[str]:
    """Compile every email template (overrides and built-ins): one line per syntax error."""
    problems: list[str] = []
    folder = settings.digest.templates_dir
    if folder and not Path(folder).is_dir():
        return [f"[digest] templates_dir: {folder} is not a folder"]
    env = _build_environment(folder)  # fresh: the check must see the files as they are now
    for name in sorted(set(env.list_templates())):
        if not name.endswith(".j2"):
            continue
        try:
            env.get_template(name)
        except jinja2.TemplateSyntaxError as exc:
            where = exc.filename or name
            problems.append(f"template {where}:{exc.lineno}: {exc.message}")
    try:
        jinja2.Environment().parse(settings.digest.subject)
    except jinja2.TemplateSyntaxError as exc:
        problems.append(f"[digest] subject: not a valid template: {exc.message}")
    return problems


def render(env: jinja2.Environment, name: str, context: dict[str, Any]) -> str:
    return env.get_template(name).render(context)


def inline_css(page: str) -> str:
    """Move a page's stylesheet into style attributes, which every mail client honours."""
    return _INLINER.inline(page)
