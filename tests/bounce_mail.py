"""Reports as mail servers send them back: DSNs, ARF complaints, a qmail bounce, a vacation
reply and junk, built with the email package for the tests."""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime


def _original(message_id: str, recipient: str) -> str:
    return (
        f"From: News <news@example.org>\r\nTo: {recipient}\r\n"
        f"Subject: World digest\r\nMessage-ID: {message_id}\r\n"
    )


def _report(
    report_type: str,
    headers: dict[str, str],
    text: str,
    status_type: str,
    blocks: list[str],
    original: str,
) -> bytes:
    """A multipart/report written out by hand, as a mail server writes one."""
    boundary = "=_report_boundary_42"
    head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    body = (
        f"{head}MIME-Version: 1.0\r\n"
        f'Content-Type: multipart/report; report-type={report_type}; boundary="{boundary}"\r\n'
        f"\r\n--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n"
        f"--{boundary}\r\nContent-Type: {status_type}\r\n\r\n"
        + "\r\n".join(blocks)
        + f"\r\n--{boundary}\r\nContent-Type: text/rfc822-headers\r\n\r\n{original}\r\n"
        f"--{boundary}--\r\n"
    )
    return body.encode("utf-8")


def dsn(
    to: str,
    recipient: str,
    message_id: str,
    status: str,
    action: str = "failed",
    when: datetime | None = None,
    quote_recipient: bool = True,
    diagnostic: str = "",
    serial: int = 0,
) -> bytes:
    """An RFC 3464 delivery status notification about ``recipient``'s copy, mailed to ``to``."""
    headers = {
        "From": "Mail Delivery System <MAILER-DAEMON@mx.example.net>",
        "To": to,
        "Subject": "Undelivered Mail Returned to Sender",
        "Auto-Submitted": "auto-replied",
        "Message-ID": f"<dsn-{serial}-{status}-{abs(hash(recipient))}@mx.example.net>",
    }
    if when is not None:
        headers["Date"] = format_datetime(when)
    per_message = "Reporting-MTA: dns; mx.example.net\r\n"
    per_recipient = f"Action: {action}\r\nStatus: {status}\r\n"
    if quote_recipient:
        per_recipient = f"Final-Recipient: rfc822; {recipient}\r\n" + per_recipient
    if diagnostic:
        per_recipient += f"Diagnostic-Code: smtp; {diagnostic}\r\n"
    return _report(
        "delivery-status",
        headers,
        "This is the mail system at host mx.example.net.",
        "message/delivery-status",
        [per_message, per_recipient],
        _original(message_id, recipient),
    )


def arf(to: str, recipient: str, message_id: str, when: datetime | None = None) -> bytes:
    """An RFC 5965 feedback report: ``recipient`` pressed "report spam"."""
    headers = {
        "From": "Feedback Loop <fbl@isp.example.net>",
        "To": to,
        "Subject": "Abuse report",
        "Message-ID": f"<arf-{abs(hash(recipient))}@isp.example.net>",
    }
    if when is not None:
        headers["Date"] = format_datetime(when)
    fields = (
        "Feedback-Type: abuse\r\nUser-Agent: ExampleFBL/1.0\r\nVersion: 1\r\n"
        f"Original-Rcpt-To: {recipient}\r\n"
    )
    return _report(
        "feedback-report",
        headers,
        "This is an email abuse report.",
        "message/feedback-report",
        [fields],
        _original(message_id, recipient),
    )


def qmail_bounce(to: str, recipient: str) -> bytes:
    """qmail's plain-text bounce: no DSN part, which flufl.bounce's detector reads."""
    message = EmailMessage()
    message["From"] = "MAILER-DAEMON@qmail.example.net"
    message["To"] = to
    message["Subject"] = "failure notice"
    message.set_content(
        "Hi. This is the qmail-send program at qmail.example.net.\n"
        "I'm afraid I wasn't able to deliver your message to the following addresses.\n"
        "This is a permanent error; I've given up. Sorry it didn't work out.\n\n"
        f"<{recipient}>:\n"
        "Sorry, no mailbox here by that name. (#5.1.1)\n\n"
        "--- Below this line is a copy of the message.\n\n"
        "Subject: World digest\n"
    )
    return message.as_bytes()


def vacation(to: str, sender: str) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = "Fuera de la oficina: World digest"
    message["Auto-Submitted"] = "auto-replied"
    message["X-Autoreply"] = "yes"
    message.set_content(
        "Estoy de vacaciones hasta el lunes. I am out of the office; "
        "the address user unknown to me will answer.\n"
    )
    return message.as_bytes()


def junk(to: str) -> bytes:
    message = EmailMessage()
    message["From"] = "someone@elsewhere.example"
    message["To"] = to
    message["Subject"] = "Cheap watches"
    message.set_content("Buy now. ¡Ofertas! 你好\n")
    return message.as_bytes()
