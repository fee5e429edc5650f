"""Confirmation emails from the commands: the CLI opens the configured sender for them."""

from __future__ import annotations

import asyncio

from syndicate.confirmations import send_confirmations
from syndicate.runtime import Runtime
from syndicate.senders import make_sender


def send_confirmation_emails(rt: Runtime, ids: list[int] | None = None) -> int:
    """Send the confirmation emails that are due (only those of ``ids`` when given)."""

    async def send() -> int:
        sender = make_sender(rt.settings)
        try:
            return await send_confirmations(
                rt.settings, rt.ready_engine(), rt.clock, ids, sender=sender
            )
        finally:
            await sender.close()

    return asyncio.run(send())
