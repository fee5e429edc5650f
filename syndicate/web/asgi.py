"""App factory for uvicorn worker processes: each builds its own app from $SYNDICATE_CONFIG."""

from __future__ import annotations

from starlette.applications import Starlette

from syndicate.runtime import Runtime
from syndicate.senders import make_sender
from syndicate.web.app import create_app


def from_environment() -> Starlette:
    runtime = Runtime()
    settings = runtime.settings
    return create_app(
        settings, runtime.ready_engine(), runtime.clock, sender=lambda: make_sender(settings)
    )
