"""Delivery: the outbox drained through a ``Sender`` (SMTP pool or Maildir).

Call ``deliver_due(engine, settings, clock, make_sender, ...)`` from synchronous
code (CLI, scheduler thread) or ``await deliver_due_async(engine, settings, clock,
sender, ...)`` inside an event loop. The sender, or the factory that opens one
per process, comes from the caller: delivery never chooses a transport.
"""

from syndicate.delivery.report import DeliveryReport
from syndicate.delivery.runner import deliver_due_async, send_confirmations
from syndicate.delivery.workers import SenderFactory, deliver_due

__all__ = [
    "DeliveryReport",
    "SenderFactory",
    "deliver_due",
    "deliver_due_async",
    "send_confirmations",
]
