"""The one place that turns ``[delivery]`` and ``[smtp]`` into a ``Sender``.

Delivery, the web service and the commands are handed this factory (or a
sender made by it); none of them picks a transport on its own, so every path
that sends mail behaves the same way.
"""

from __future__ import annotations

from pathlib import Path

from syndicate.config import Settings
from syndicate.mail.maildir import MaildirSender
from syndicate.mail.sender import Sender


def make_sender(settings: Settings, rate_per_second: float | None = None) -> Sender:
    """The sender ``[delivery] transport`` names. Close it when done (``await sender.close()``).

    ``rate_per_second`` overrides ``[delivery] rate_per_second``.
    """
    delivery = settings.delivery
    if delivery.transport == "maildir":
        return MaildirSender(delivery.maildir)
    # Imported here: every command loads this module, few of them open a relay.
    from syndicate.mail.pool import SmtpPool

    smtp = settings.smtp
    return SmtpPool(
        smtp.host,
        smtp.port,
        connections=delivery.connections,
        rate_per_second=delivery.rate_per_second if rate_per_second is None else rate_per_second,
        timeout=delivery.timeout_seconds,
        starttls=smtp.starttls,
        tls=smtp.tls,
        username=smtp.username,
        password=settings.smtp_password.get_secret_value(),
        ca_file=smtp.ca_file,
    )


def check_transport(settings: Settings) -> list[str]:
    """For `config check`: what keeps the configured SMTP relay from being used (none: fine)."""
    if settings.delivery.transport != "smtp":
        return []
    problems = []
    smtp = settings.smtp
    if smtp.username and not settings.smtp_password.get_secret_value():
        problems.append(
            f"[smtp] username is set but the environment variable {smtp.password_env} is empty; "
            "set it to the SMTP password"
        )
    if smtp.tls and smtp.starttls:
        problems.append(
            "[smtp] tls and starttls are both true; use tls for port 465, starttls for 587"
        )
    if smtp.ca_file and not Path(smtp.ca_file).is_file():
        problems.append(f"[smtp] ca_file: no such file {smtp.ca_file!r}")
    return problems
