"""The `syndicate` command. Each topic lives in its own module and registers here."""

from __future__ import annotations

import logging
import sys
import traceback

import click
from sqlalchemy.exc import SQLAlchemyError

from syndicate import __version__
from syndicate.dbproblems import HINT, reason
from syndicate.errors import SyndicateError
from syndicate.runtime import Runtime


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="Config file (default: $SYNDICATE_CONFIG, else ./config.toml).",
)
@click.option("-v", "--verbose", is_flag=True, help="Show debug logs and tracebacks.")
@click.version_option(__version__, prog_name="syndicate")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None, verbose: bool) -> None:
    """Feeds and daily digests for news publishers."""
    from pathlib import Path

    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    from syndicate.redact import LogMask

    for handler in logging.getLogger().handlers:  # records from every logger pass here
        if not any(isinstance(f, LogMask) for f in handler.filters):
            handler.addFilter(LogMask())
    for noisy in ("alembic", "apscheduler", "aiosmtplib", "httpx", "mail.log"):
        logging.getLogger(noisy).setLevel(logging.DEBUG if verbose else logging.WARNING)
    ctx.obj = Runtime(config_path=Path(config_path) if config_path else None, verbose=verbose)


def _register() -> None:
    """Import every module of this package; each adds its commands to ``cli``."""
    import importlib
    import pkgutil

    for module in sorted(m.name for m in pkgutil.iter_modules(__path__)):
        importlib.import_module(f"{__name__}.{module}")


def main(argv: list[str] | None = None) -> None:
    """Console entry point: one line and a hint for known errors, never a bare traceback."""
    _register()
    verbose = "-v" in (argv or sys.argv[1:]) or "--verbose" in (argv or sys.argv[1:])
    try:
        cli.main(args=argv, prog_name="syndicate", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except SyndicateError as exc:
        if verbose:
            traceback.print_exc()
        click.echo(f"error: {exc}", err=True)
        if exc.hint:
            click.echo(f"hint: {exc.hint}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        sys.exit(130)
    except SQLAlchemyError as exc:  # the database went away in the middle of a command
        if verbose:
            traceback.print_exc()
        click.echo(f"error: [database] url: the database failed: {reason(exc)}", err=True)
        click.echo(f"hint: {HINT}", err=True)
        sys.exit(1)
    except Exception as exc:  # an unexpected failure is still one line unless -v
        if verbose:
            traceback.print_exc()
        click.echo(f"error: unexpected {exc.__class__.__name__}: {exc}", err=True)
        click.echo("hint: run again with -v for the traceback", err=True)
        sys.exit(1)
    sys.exit(0)
