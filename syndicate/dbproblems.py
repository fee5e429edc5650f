"""A database failure as one line that names [database] url, without the driver's noise."""

from __future__ import annotations

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from syndicate.errors import OperationalError

HINT = "check [database] url, that the database exists and that its server is running"


def reason(exc: BaseException) -> str:
    """The driver's own words on one line ('Background on this error' and all else dropped)."""
    original = getattr(exc, "orig", None) or exc
    lines = [part.strip() for part in str(original).splitlines() if part.strip()]
    lines = [part for part in lines if not part.startswith("(Background on this error")]
    return " ".join(" ".join(lines).split()) or original.__class__.__name__


def _shown(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(unparseable URL)"


def database_failed(exc: SQLAlchemyError, url: str, doing: str = "open") -> OperationalError:
    return OperationalError(
        f"[database] url: cannot {doing} the database {_shown(url)}: {reason(exc)}", hint=HINT
    )
