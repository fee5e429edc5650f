"""One report in, from any way it arrives by mail: parsed, applied, counted for the operator."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import Engine

from syndicate import metrics
from syndicate.bounces.apply import Applied, apply
from syndicate.bounces.reports import parse
from syndicate.clock import Clock
from syndicate.config import Settings

log = logging.getLogger("syndicate.bounces")


@dataclass
class Tally:
    kinds: Counter[str] = field(default_factory=Counter)
    moved: Counter[str] = field(default_factory=Counter)
    unmatched: int = 0
    duplicates: int = 0

    def add(self, applied: Applied) -> None:
        if applied.duplicate:
            self.duplicates += 1
            return
        self.kinds[applied.kind] += 1
        if applied.moved_to:
            self.moved[applied.moved_to] += 1
        if not applied.matched:
            self.unmatched += 1

    def summary(self) -> str:
        kinds = ", ".join(f"{n} {k}" for k, n in sorted(self.kinds.items())) or "no new reports"
        moved = ", ".join(f"{n} now {k}" for k, n in sorted(self.moved.items())) or "nobody moved"
        return (
            f"{kinds}; {moved}; {self.unmatched} matched no subscriber; "
            f"{self.duplicates} already on record"
        )


def take_mail(
    engine: Engine,
    settings: Settings,
    clock: Clock,
    raw: bytes,
    envelope_to: Sequence[str] = (),
) -> Applied:
    report = parse(raw, envelope_to)
    applied = apply(engine, settings, report, "mail", clock.now(), raw=raw)
    if not applied.duplicate:
        metrics.BOUNCE_REPORTS.labels(kind=report.kind, source="mail").inc()
    return applied
