"""config check: the built-in templates are installed, and [server] templates_dir is a folder."""

from __future__ import annotations

from pathlib import Path

from syndicate import resources
from syndicate.cli.basics import CONFIG_CHECKS
from syndicate.config import Settings


def check_builtin_templates(settings: Settings) -> list[str]:
    return resources.missing_templates()


def check_web_templates_dir(settings: Settings) -> list[str]:
    folder = settings.server.templates_dir
    if folder and not Path(folder).is_dir():
        return [f'[server] templates_dir: {folder} is not a folder; create it or set it to ""']
    return []


# A broken install explains every other template problem: say it first.
CONFIG_CHECKS.insert(0, check_builtin_templates)
CONFIG_CHECKS.append(check_web_templates_dir)
