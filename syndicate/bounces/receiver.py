"""The SMTP server for the return-path domain: reports mailed back are taken in as they come.

aiosmtpd speaks SMTP; each message is parsed and applied before the 250, so a
report is on record once the sender is told it was accepted (a failure is a 451:
the sending server tries again later).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiosmtpd.smtp import SMTP
from sqlalchemy import Engine

from syndicate.bounces.intake import take_mail
from syndicate.clock import Clock
from syndicate.config import Settings

log = logging.getLogger("syndicate.bounces")
MAX_REPORT_BYTES = 10 * 1024 * 1024


class ReportHandler:
    def __init__(self, engine: Engine, settings: Settings, clock: Clock) -> None:
        self.engine = engine
        self.settings = settings
        self.clock = clock
        self.domain = settings.bounces.return_path.rpartition("@")[2].lower()

    async def handle_RCPT(
        self, server: SMTP, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        # Only the return-path domain: this server must never become anybody's relay.
        if self.domain and address.rpartition("@")[2].lower().rstrip(">") != self.domain:
            return "550 5.7.1 not a bounce address of this server"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        try:
            applied = await asyncio.to_thread(
                take_mail, self.engine, self.settings, self.clock, raw, list(envelope.rcpt_tos)
            )
        except Exception:  # the database is away: the sending server will try again
            log.exception("cannot record a report")
            return "451 4.3.0 cannot record the report now; try again later"
        log.info("report from %s: %s", envelope.mail_from or "<>", applied.kind)
        return "250 OK report taken"


async def start(
    engine: Engine, settings: Settings, clock: Clock, host: str, port: int
) -> asyncio.base_events.Server:
    """Listen on host:port; the caller closes the server it gets."""
    handler = ReportHandler(engine, settings, clock)
    loop = asyncio.get_running_loop()
    return await loop.create_server(
        lambda: SMTP(handler, data_size_limit=MAX_REPORT_BYTES, enable_SMTPUTF8=True),
        host=host,
        port=port,
    )


def bound_port(server: asyncio.base_events.Server) -> int:
    return int(server.sockets[0].getsockname()[1])
