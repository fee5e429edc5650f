"""run: the whole service; digest tick: one digest tick, for cron."""

from __future__ import annotations

import asyncio

import click
from starlette.applications import Starlette

from syndicate import console
from syndicate.cli import cli
from syndicate.cli.basics import pass_runtime
from syndicate.cli.digest_cmd import digest_group
from syndicate.cli.serve_cmd import server_options
from syndicate.config import Settings
from syndicate.runtime import Runtime
from syndicate.schedule.jobs import DIGEST_TICK_SECONDS


@cli.command()
@click.option("--host", default=None, help="Listen address (default: [server] host).")
@click.option(
    "--port", type=int, default=None, help="Listen port (default: [server] port; 0: any free port)."
)
@click.option(
    "--grace",
    type=click.FloatRange(min=0),
    default=25.0,
    show_default=True,
    help="Seconds to let running jobs finish after SIGTERM/SIGINT.",
)
@click.option(
    "--tick-seconds",
    type=click.FloatRange(min=0.1),
    default=DIGEST_TICK_SECONDS,
    show_default=True,
    help="Seconds between digest ticks.",
)
@pass_runtime
def run(rt: Runtime, host: str | None, port: int | None, grace: float, tick_seconds: float) -> None:
    """The whole service: HTTP, feed polling, digests at each reader's time, delivery.

    SIGTERM or SIGINT stops it gracefully; SIGHUP reloads the config file.
    """
    from syndicate.schedule.service import Service
    from syndicate.web import create_app

    settings = rt.settings
    engine = rt.ready_engine()
    clock = rt.clock

    def make_app(current: Settings) -> Starlette:
        return create_app(current, engine, clock)

    bind_host = host or settings.server.host
    bind_port = settings.server.port if port is None else port
    service = Service(
        settings,
        engine,
        clock,
        config_path=rt.config_path,
        make_app=make_app,
        server_options=server_options(bind_host, bind_port, rt.verbose),
        grace=grace,
        tick_seconds=tick_seconds,
    )
    console.line(
        f"syndicate run: feeds at {settings.public_url}/feeds/, digests at each "
        f"reader's time, mail by {settings.delivery.transport}"
    )
    code = asyncio.run(service.run())
    engine.dispose()
    if code:
        raise SystemExit(code)


@digest_group.command("tick")
@pass_runtime
def digest_tick_command(rt: Runtime) -> None:
    """Enqueue today's edition for every reader whose send time has passed (for cron)."""
    from syndicate.schedule.tick import recorded_tick

    report = recorded_tick(rt.ready_engine(), rt.settings, rt.clock)
    console.line(report.summary())
