"""serve: the HTTP service alone; feeds links: the tags that point browsers at the feeds."""

from __future__ import annotations

import errno
import gc
import os
import socket
from pathlib import Path

import click

from syndicate import console, resources
from syndicate.cli import cli
from syndicate.cli.basics import pass_runtime
from syndicate.cli.feeds_cmd import feeds_group
from syndicate.config import ALL_SLUG, CONFIG_ENV, LISTEN_ENV, require_secret, serving_at
from syndicate.errors import InputError, OperationalError
from syndicate.runtime import Runtime
from syndicate.senders import make_sender


@cli.command()
@click.option("--host", default=None, help="Listen address (default: [server] host).")
@click.option(
    "--port",
    type=click.IntRange(1, 65535),
    default=None,
    help="Listen port (default: [server] port).",
)
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

    resources.require_templates()
    loaded = rt.settings
    require_secret(loaded, "serve")
    bind_host = host or loaded.server.host
    bind_port = loaded.server.port if port is None else port
    check_can_listen(bind_host, bind_port)
    settings = serving_at(loaded, bind_host, bind_port)
    app = create_app(settings, rt.ready_engine(), rt.clock, sender=lambda: make_sender(settings))
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
    os.environ[LISTEN_ENV] = f"{bind_host} {bind_port}"
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


def check_can_listen(host: str, port: int) -> None:
    """Fail in one line, naming the key and the option, when host:port cannot be listened on."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise InputError(
            f"[server] host: cannot listen on {host!r}: {exc.strerror}",
            hint="set [server] host (or --host) to an address of this machine, e.g. 127.0.0.1",
        ) from None
    family, kind, proto, _, address = infos[0]
    probe = socket.socket(family, kind, proto)
    try:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind(address)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise OperationalError(
                f"[server] port: {host}:{port} is already in use",
                hint="pick a free [server] port (or --port), or stop what is listening there",
            ) from None
        if exc.errno == errno.EACCES:
            raise OperationalError(
                f"[server] port: listening on {host}:{port} is not permitted for this user",
                hint="use a [server] port (or --port) of 1024 or more",
            ) from None
        raise OperationalError(
            f"[server] host: cannot listen on {host}:{port}: {exc.strerror}",
            hint="set [server] host (or --host) to an address of this machine, e.g. 127.0.0.1",
        ) from None
    finally:
        probe.close()


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
