"""bounces read and bounces receive: reports of mail that failed or was reported as spam."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import click

from syndicate import console
from syndicate.cli import cli
from syndicate.cli.basics import pass_runtime
from syndicate.runtime import Runtime


@cli.group("bounces")
def bounces_group() -> None:
    """Bounce and complaint reports that come back after sending."""


@bounces_group.command("read")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@pass_runtime
def read_command(rt: Runtime, paths: tuple[Path, ...]) -> None:
    """Read reports from Maildirs, mbox files or .eml files (or folders of them)."""
    from syndicate.bounces.intake import Tally, take_mail
    from syndicate.bounces.mailboxes import messages

    engine = rt.ready_engine()
    tally = Tally()
    for where, raw in messages(paths):
        try:
            tally.add(take_mail(engine, rt.settings, rt.clock, raw))
        except Exception as exc:  # one bad message never stops the others
            console.line(f"{where}: cannot take this report in: {exc}")
    console.line(tally.summary())


@bounces_group.command("receive")
@click.option(
    "--host", default=None, help="Listen address (default: [bounces] listen, else 127.0.0.1)."
)
@click.option("--port", type=click.IntRange(0, 65535), default=None, help="Port (0: any free one).")
@pass_runtime
def receive_command(rt: Runtime, host: str | None, port: int | None) -> None:
    """An SMTP server for the return-path domain that takes bounce and complaint reports in."""
    settings = rt.settings
    default_host, default_port = (
        settings.bounces.listen_at if settings.bounces.listen else ("127.0.0.1", 2525)
    )
    engine = rt.ready_engine()
    asyncio.run(_receive(rt, engine, host or default_host, default_port if port is None else port))


async def _receive(rt: Runtime, engine: object, host: str, port: int) -> None:
    from syndicate.bounces import receiver

    server = await receiver.start(engine, rt.settings, rt.clock, host, port)  # type: ignore[arg-type]
    console.line(f"bounce receiver listening on smtp://{host}:{receiver.bound_port(server)}")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    server.close()
    await server.wait_closed()
    console.line("bounce receiver stopped")
