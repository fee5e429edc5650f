"""serve: the HTTP service alone; feeds links: the tags that point browsers at the feeds."""

from __future__ import annotations

import gc
import os
from pathlib import Path

import click

from syndicate import console
from syndicate.cli import cli
from syndicate.cli.basics import pass_runtime
from syndicate.cli.feeds_cmd import feeds_group
from syndicate.config import ALL_SLUG, CONFIG_ENV
from syndicate.errors import InputError
from syndicate.runtime import Runtime
from syndicate.senders import make_sender


@cli.command()
@click.option("--host", default=None, help="Listen address (default: [server] host).")
@click.option("--port", type=int, default=None, help="Listen port (default: [server] port).")
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=1,
    help="Processes sharing the port (rate limits are then per process).",
)
@pass_runtime
def serve(rt: Runtime, host: str | None, port: int | None, workers: int) -> None:
    """Serve feeds, subscriber pages and the ingest API over HTTP (no scheduler)."""
    import uvicorn

    from syndicate.web import create_app

    settings = rt.settings
    app = create_app(settings, rt.ready_engine(), rt.clock, sender=lambda: make_sender(settings))
    bind_host = host or settings.server.host
    bind_port = settings.server.port if port is None else port
    options = server_options(bind_host, bind_port, rt.verbose)
    console.line(f"serving on http://{bind_host}:{bind_port} (public URL {settings.public_url})")
    if workers == 1:
        # Objects alive at start-up live for the whole run: keep the collector off them.
        gc.collect()
        gc.freeze()
        uvicorn.run(app, **options)
        return
    # Each worker process builds its own app (and database pool) from the same config.
    os.environ[CONFIG_ENV] = str(Path(settings.source).resolve())
    uvicorn.run("syndicate.web.asgi:from_environment", factory=True, workers=workers, **options)


@feeds_group.command("links")
@click.argument("section", default=ALL_SLUG)
@pass_runtime
def feeds_links(rt: Runtime, section: str) -> None:
    """Print the <link rel="alternate"> tags for a section's feeds (default: all)."""
    from syndicate.web.links import feed_links, feed_name, snippet

    settings = rt.settings
    name = feed_name(settings, section)
    if name is None:
        raise InputError(
            f"{section}: no such section",
            hint=f"use one of: {', '.join([*settings.section_slugs, ALL_SLUG])}",
        )
    click.echo(snippet(feed_links(settings, section, name)))


def server_options(host: str, port: int, verbose: bool = False) -> dict:
    """uvicorn settings shared by `serve` and `run`: fast parser, no websockets, quiet access log."""
    from syndicate.web.fastpath import http_protocol
    from syndicate.web.limits import KEEP_ALIVE_SECONDS

    return {
        # Head size and time limits live in the protocol (uvicorn's are for h11 only).
        "http": http_protocol(),
        "timeout_keep_alive": KEEP_ALIVE_SECONDS,
        "host": host,
        "port": port,
        "log_level": "debug" if verbose else "warning",
        "access_log": verbose,
        "ws": "none",
        "lifespan": "off",
        # Only the subscribe form needs the reader's address behind a proxy, and reads
        # X-Forwarded-For itself; rewriting every request would slow each feed poll.
        "proxy_headers": False,
        "server_header": False,
    }
