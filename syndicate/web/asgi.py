"""App factory for uvicorn worker processes: each builds its own app from $SYNDICATE_CONFIG."""

from __future__ import annotations

from starlette.applications import Starlette

from syndicate.runtime import Runtime
from syndicate.web.app import create_app


def from_environment() -> Starlette:
    runtime = Runtime()
    return create_app(runtime.settings, runtime.ready_engine(), runtime.clock)
