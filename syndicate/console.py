"""Terminal output: plain lines when piped, a progress bar on a terminal."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click


def is_terminal() -> bool:
    return sys.stdout.isatty()


def line(message: str = "") -> None:
    click.echo(message)


def problem(message: str) -> None:
    click.echo(message, err=True)


@contextmanager
def progress(description: str, total: int | None) -> Iterator[Any]:
    """Yields an ``update(completed, text)`` callable; a no-op when output is piped."""
    if not is_terminal():
        yield lambda completed=0, text="": None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[detail]}"),
        TimeElapsedColumn(),
        transient=True,
    ) as bar:
        task = bar.add_task(description, total=total, detail="")

        def update(completed: int = 0, text: str = "") -> None:
            bar.update(task, completed=completed, detail=text)

        with _logs_above(bar):
            yield update


@contextmanager
def _logs_above(bar: Any) -> Iterator[None]:
    """Log lines go through the bar's stderr proxy, so they scroll above the bar, not through it."""
    import logging

    proxy = sys.stderr
    moved = [
        handler
        for handler in logging.getLogger().handlers
        if type(handler) is logging.StreamHandler and handler.stream is sys.__stderr__
    ]
    if proxy is sys.__stderr__:  # the bar did not take over stderr: leave logging alone
        moved = []
    for handler in moved:
        handler.setStream(proxy)
    try:
        yield
    finally:
        for handler in moved:
            handler.setStream(sys.__stderr__)
