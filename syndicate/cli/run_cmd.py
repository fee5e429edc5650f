"""run: the whole service; digest tick: one digest tick, for cron."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import click
from starlette.applications import Starlette

from syndicate import console, resources
from syndicate.cli import cli
from syndicate.cli.basics import pass_runtime, run_config_checks
from syndicate.cli.digest_cmd import digest_group
from syndicate.cli.serve_cmd import check_can_listen, server_options
from syndicate.config import Settings, require_secret, serving_at
from syndicate.runtime import Runtime
from syndicate.schedule.jobs import DIGEST_TICK_SECONDS
from syndicate.senders import make_sender


@cli.command()
@click.option("--host", default=None, help="Listen address (default: [server] host).")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=None,
    help="Listen port (default: [server] port; 0: any free port).",
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

    resources.require_templates()
    loaded = rt.settings
    require_secret(loaded, "run")
    bind_host = host or loaded.server.host
    bind_port = loaded.server.port if port is None else port
    settings = serving_at(loaded, bind_host, bind_port)
    accept = prove_config(settings)
    check_can_listen(bind_host, bind_port)
    engine = rt.ready_engine()
    clock = rt.clock
    accept()

    def make_app(current: Settings) -> Starlette:
        # ``service`` is bound below, before the app serves its first request.
        return create_app(
            current,
            engine,
            clock,
            sender=lambda: make_sender(current),
            wake=lambda: service.wake_delivery(),
        )

    service = Service(
        loaded,
        engine,
        clock,
        config_path=rt.config_path,
        make_app=make_app,
        server_options=server_options(bind_host, bind_port, rt.verbose),
        grace=grace,
        tick_seconds=tick_seconds,
        prepare=prove_config,
    )
    console.line(
        f"syndicate run: feeds at {settings.public_url}/feeds/, digests at each "
        f"reader's time, mail by {settings.delivery.transport}"
    )
    code = asyncio.run(service.run())
    engine.dispose()
    if code:
        raise SystemExit(code)


def prove_config(settings: Settings) -> Callable[[], None]:
    """Every `config check` check, templates rendered; returns what puts them in use."""
    from syndicate.digest import proof, templates

    require_secret(settings, "run")
    run_config_checks(settings, skip=(proof.check_rendering,))
    env = proof.prove(settings)
    return lambda: templates.use_environment(settings, env)


@digest_group.command("tick")
@pass_runtime
def digest_tick_command(rt: Runtime) -> None:
    """Enqueue today's edition for every reader whose send time has passed (for cron)."""
    from syndicate.schedule.tick import recorded_tick

    require_secret(rt.settings, "digest tick")
    report = recorded_tick(rt.ready_engine(), rt.settings, rt.clock)
    console.line(report.summary())
