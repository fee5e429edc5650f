"""The senders the wiring layer builds from the config, and the Maildir writer on a real disk."""

from __future__ import annotations

import asyncio
import mailbox
from pathlib import Path

from syndicate.mail.maildir import MaildirSender
from syndicate.mail.pool import SmtpPool
from syndicate.mail.sender import Envelope
from syndicate.senders import make_sender
from tests.delivery_helpers import delivery_config

MESSAGE = b"From: a@example.org\r\nTo: b@example.net\r\nSubject: hola\r\n\r\nbody\r\n"


def test_a_maildir_whose_parent_folders_are_missing_is_created_and_readable(tmp_path: Path):
    where = tmp_path / "var" / "spool" / "outbox"
    sender = MaildirSender(where)
    reply = asyncio.run(sender.send(Envelope("a@example.org", "b@example.net", MESSAGE)))
    assert reply.startswith("250 stored in outbox/new as ")
    [stored] = list(mailbox.Maildir(where, create=False))
    assert stored["Subject"] == "hola"


def test_the_factory_picks_the_transport_the_config_names(tmp_path: Path):
    maildir = make_sender(delivery_config(tmp_path, transport="maildir"))
    assert isinstance(maildir, MaildirSender)
    assert maildir.path == tmp_path / "mail"

    settings = delivery_config(
        tmp_path, 2525, delivery={"connections": 3, "rate_per_second": 40}, smtp={"tls": True}
    )
    pool = make_sender(settings)
    assert isinstance(pool, SmtpPool)
    assert (pool.host, pool.port, pool.connections, pool.tls) == ("127.0.0.1", 2525, 3, True)
    assert pool.bucket.rate == 40
    assert make_sender(settings, rate_per_second=10).bucket.rate == 10  # type: ignore[attr-defined]
