"""Delivery: the outbox drained through a ``Sender`` (SMTP pool or Maildir).

Call ``deliver_due(engine, settings, clock, ...)`` from synchronous code (CLI,
scheduler thread) or ``await deliver_due_async(...)`` inside an event loop.
"""

from syndicate.delivery.runner import DeliveryReport, deliver_due_async, send_confirmations
from syndicate.delivery.workers import deliver_due

__all__ = ["DeliveryReport", "deliver_due", "deliver_due_async", "send_confirmations"]
