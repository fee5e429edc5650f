"""send-test: today's digest to one address through the configured transport, recording nothing."""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import replace

import click

from syndicate import console, resources
from syndicate.addresses import BadAddress, normalise_address
from syndicate.cli import cli
from syndicate.cli.basics import pass_runtime
from syndicate.config import SECRET_ENV, Settings
from syndicate.digest.dkim import load_signer
from syndicate.digest.edition import preview_edition, sample_subscriber
from syndicate.digest.render import DigestRenderer
from syndicate.errors import InputError, OperationalError
from syndicate.mail.sender import DeliveryError, Envelope
from syndicate.runtime import Runtime
from syndicate.senders import make_sender

PLACEHOLDER_SECRET = "send-test-only-secret"


@cli.command("send-test")
@click.option("--to", "address", required=True, help="Where to send it (your own address).")
@pass_runtime
def send_test(rt: Runtime, address: str) -> None:
    """Send today's digest (every section, the site's language) to one address, and print
    the relay's reply. Nothing is recorded: no subscriber, no outbox row."""
    resources.require_templates()
    try:
        recipient = normalise_address(address)
    except BadAddress as exc:
        raise InputError(f"--to: {exc}", hint=exc.hint) from None
    settings = rt.settings
    engine = rt.ready_engine()
    reader = replace(sample_subscriber(settings), email=recipient)
    edition = preview_edition(engine, settings, rt.clock.now(), reader)
    if edition.is_empty:
        raise OperationalError(
            f"nothing was published between {edition.window_start:%Y-%m-%d %H:%M} and "
            f"{edition.window_end:%Y-%m-%d %H:%M} UTC: today's digest would be empty",
            hint="import or post an article first, then send the test again",
        )
    if not settings.secret.get_secret_value():
        console.problem(f"{SECRET_ENV} is not set: links in this test carry placeholder tokens")
        settings = settings.model_copy(update={"secret": type(settings.secret)(PLACEHOLDER_SECRET)})
    rendered = DigestRenderer(settings).message(edition, reader)
    # A fresh Message-ID each time: mailboxes drop a second message with a known one.
    unique = rendered.message_id.replace(".digest@", f".test-{secrets.token_hex(6)}@", 1)
    body = rendered.message.replace(
        f"Message-ID: {rendered.message_id}".encode("ascii"),
        f"Message-ID: {unique}".encode("ascii"),
        1,
    )
    signer = load_signer(settings)
    if signer is not None:
        body = signer.sign(body)
    envelope = Envelope(_bare_sender(settings), recipient, body, unique)
    try:
        reply = asyncio.run(_send(settings, envelope))
    except DeliveryError as exc:
        raise OperationalError(
            f"send-test to {recipient} failed through {_route(settings)}: {exc.reply}",
            hint="check [delivery] transport and the [smtp] keys, then `syndicate config check`",
        ) from None
    console.line(
        f"sent the {edition.edition_date:%Y-%m-%d} digest ({len(edition.articles)} articles) "
        f"to {recipient} through {_route(settings)}"
    )
    console.line(f"subject: {rendered.subject}")
    console.line(f"reply: {reply}")


async def _send(settings: Settings, envelope: Envelope) -> str:
    sender = make_sender(settings)
    try:
        return await sender.send(envelope)
    finally:
        await sender.close()


def _route(settings: Settings) -> str:
    if settings.delivery.transport == "maildir":
        return f"the Maildir {settings.delivery.maildir}"
    return f"smtp {settings.smtp.host}:{settings.smtp.port}"


def _bare_sender(settings: Settings) -> str:
    from email.utils import parseaddr

    return parseaddr(settings.digest.from_)[1] or settings.digest.from_
