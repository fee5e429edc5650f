"""Template failures as one line that names the file and the line.

Jinja reports a syntax error with its place, but an undefined attribute or a
missing ``{% extends %}`` target only as a message; the place is in the
traceback, where Jinja puts a frame for each template line it ran.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType

import jinja2

from syndicate.errors import InputError


class TemplateFailed(InputError):
    """An email template did not compile or render; the message names file and line."""


def _template_frame(tb: TracebackType | None) -> tuple[str, int] | None:
    found = None
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith(".j2") or filename == "<template>":
            found = (filename, tb.tb_lineno)
        tb = tb.tb_next
    return found


def describe(exc: jinja2.TemplateError) -> str:
    """'template PATH:LINE: what went wrong' for any Jinja error."""
    if isinstance(exc, jinja2.TemplateSyntaxError):
        where = exc.filename or exc.name or "<template>"
        return f"template {where}:{exc.lineno}: {exc.message}"
    if isinstance(exc, jinja2.TemplatesNotFound):
        what = f"no template named {', '.join(repr(str(n)) for n in exc.templates)}"
    elif isinstance(exc, jinja2.TemplateNotFound):
        what = f"no template named {str(exc.name)!r} in [digest] templates_dir or the built-ins"
    else:
        what = exc.message or exc.__class__.__name__
    frame = _template_frame(exc.__traceback__)
    if frame is None:
        return f"template: {what}"
    return f"template {frame[0]}:{frame[1]}: {what}"


@contextmanager
def template_errors() -> Iterator[None]:
    """Turn any Jinja error raised in the block into a TemplateFailed naming file and line."""
    try:
        yield
    except jinja2.TemplateError as exc:
        raise TemplateFailed(
            describe(exc), hint="fix the template, then run `syndicate config check`"
        ) from exc
