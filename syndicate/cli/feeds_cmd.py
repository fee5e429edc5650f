"""feeds build."""

from __future__ import annotations

from syndicate import console
from syndicate.cli import cli
from syndicate.cli.basics import pass_runtime
from syndicate.feeds.publish import publish
from syndicate.runtime import Runtime


@cli.group("feeds")
def feeds_group() -> None:
    """Build and publish the RSS, Atom and JSON feeds."""


@feeds_group.command("build")
@pass_runtime
def feeds_build(rt: Runtime) -> None:
    """Build every section's feeds; only changed sections are rewritten."""
    report = publish(rt.ready_engine(), rt.settings, rt.clock)
    for line in report.lines():
        console.line(line)
    if report.stylesheet_written:
        console.line(f"stylesheet written to {rt.settings.feeds.output_dir}/feed.xsl")
