"""App factory for uvicorn worker processes: each builds its own app from $SYNDICATE_CONFIG."""

from __future__ import annotations

import os

from starlette.applications import Starlette

from syndicate.config import LISTEN_ENV, serving_at
from syndicate.runtime import Runtime
from syndicate.senders import make_sender
from syndicate.web.app import create_app


def from_environment() -> Starlette:
    runtime = Runtime()
    settings = runtime.settings
    listen = os.environ.get(LISTEN_ENV, "").rsplit(" ", 1)
    if len(listen) == 2 and listen[1].isdigit():
        settings = serving_at(settings, listen[0], int(listen[1]))
    return create_app(
        settings, runtime.ready_engine(), runtime.clock, sender=lambda: make_sender(settings)
    )
