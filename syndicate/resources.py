"""Where the built-in templates are, in a wheel, an editable install or a source checkout.

The tree keeps them once, in the top-level ``templates/`` folder beside the
package; the build maps that folder into the package as ``syndicate.templates``
(see setup.py). So an installed package finds them among its own resources,
and code run from the tree finds the folder next to ``syndicate/``.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from syndicate.errors import OperationalError

EMAIL = "email"
WEB = "web"

# The templates the code renders by name; a folder without them is not a usable install.
REQUIRED = {
    EMAIL: (
        "digest.html.j2",
        "digest.txt.j2",
        "confirm.html.j2",
        "confirm.txt.j2",
        "preferences_link.html.j2",
        "preferences_link.txt.j2",
        "_article.html.j2",
        "_article.txt.j2",
    ),
    WEB: (
        "base.html",
        "subscribe.html",
        "unsubscribe.html",
        "preferences.html",
        "notice.html",
        "feed_links.html",
        "feed_page.html",
        "feeds.html",
        "digests.html",
        "link.html",
    ),
}


def _candidates(kind: str) -> list[Path]:
    packaged = resources.files("syndicate").joinpath("templates", kind)
    source_tree = Path(__file__).resolve().parent.parent / "templates" / kind
    return [Path(str(packaged)), source_tree]


def template_folder(kind: str) -> Path:
    """The folder of the built-in ``email`` or ``web`` templates (the first place that has it)."""
    candidates = _candidates(kind)
    for folder in candidates:
        if folder.is_dir():
            return folder
    return candidates[0]


def missing_templates() -> list[str]:
    """One line naming the built-in templates that cannot be found; empty for a sound install."""
    absent = [
        f"{kind}/{name}"
        for kind, names in REQUIRED.items()
        for name in names
        if not (template_folder(kind) / name).is_file()
    ]
    if not absent:
        return []
    shown = ", ".join(absent[:3]) + (f" and {len(absent) - 3} more" if len(absent) > 3 else "")
    where = template_folder(EMAIL).parent
    return [
        f"built-in templates not found: {shown} missing under {where}; reinstall syndicate "
        "from a complete wheel or checkout (pip install --force-reinstall)"
    ]


def require_templates() -> None:
    """Stop a command that would serve or send with templates missing, in one line."""
    problems = missing_templates()
    if problems:
        raise OperationalError(problems[0])
