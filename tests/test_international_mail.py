"""International addresses over a real aiosmtpd relay, with and without SMTPUTF8: one
address the relay cannot take fails alone, with its reason; the others get their mail."""

from __future__ import annotations

import asyncio
import email
import email.policy
from datetime import timedelta

import pytest
from sqlalchemy import Engine, insert, select

from syndicate import subscribers
from syndicate.articles import parse_json
from syndicate.config import Settings
from syndicate.delivery import send_confirmations
from syndicate.digest.edition import enqueue_editions
from syndicate.senders import make_sender
from syndicate.store import outbox as outbox_store
from syndicate.store import subscribers as subscriber_store
from syndicate.store.articles import upsert
from syndicate.store.tables import outbox
from syndicate.store.tables import subscribers as subscribers_table
from tests.cli import ROOT, syndicate
from tests.conftest import article_json
from tests.delivery_helpers import delivery_config, outbox_states, ready_engine, run
from tests.outbox_rows import add_subscribers, enqueue
from tests.smtp_server import SmtpServer

ISSUE_CSV = (
    "email,status\nfirst@example.org,active\njosé@example.org,active\nlast@example.org,active\n"
)
NO_SMTPUTF8 = "the relay does not offer SMTPUTF8"


def failures(engine: Engine) -> dict[str, str]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(outbox.c.recipient, outbox.c.last_reply).where(outbox.c.state == "failed")
        ).all()
    return {recipient: reply for recipient, reply in rows}


@pytest.mark.parametrize("smtputf8", [True, False], ids=["smtputf8", "ascii-relay"])
def test_the_csv_with_one_utf8_local_part_reaches_everyone_the_relay_can_take(tmp_path, smtputf8):
    with SmtpServer(smtputf8=smtputf8) as server:
        settings = delivery_config(tmp_path, server.port)
        config = tmp_path / "config.toml"
        assert syndicate(config, "init").returncode == 0
        assert syndicate(config, "import", str(ROOT / "examples" / "articles")).returncode == 0
        people = tmp_path / "s.csv"
        people.write_text(ISSUE_CSV, encoding="utf-8")
        added = syndicate(config, "subscribers", "import", str(people))
        assert added.returncode == 0, added.stderr
        assert added.stdout.startswith("3 new")
        sent = syndicate(config, "digest", "send")
        # A row that failed makes the command say so, by its exit code too.
        assert sent.returncode == (0 if smtputf8 else 1), sent.stderr
        assert "unexpected" not in sent.stderr
        lines = sent.stdout.splitlines()
        assert lines[0].startswith("3 queued"), sent.stdout
        got = server.by_recipient()
        if smtputf8:
            assert lines[1].startswith("3 sent, 0 failed"), sent.stdout
            assert set(got) == {"first@example.org", "josé@example.org", "last@example.org"}
            [utf8] = [item for item in server.received if item.recipient.startswith("jos")]
            message = email.message_from_string(
                utf8.data.decode("utf-8"), policy=email.policy.default
            )
            assert [a.addr_spec for a in message["To"].addresses] == ["josé@example.org"]
        else:
            assert lines[1].startswith("2 sent, 1 failed"), sent.stdout
            assert set(got) == {"first@example.org", "last@example.org"}
            engine = ready_engine(settings)
            reason = failures(engine)["josé@example.org"]
            assert "SMTPUTF8" in reason and "not ASCII" in reason
            status = syndicate(config, "status")
            assert "j***@example.org: RCPT: the part before @ is not ASCII" in status.stdout
            again = syndicate(config, "deliver", "--until-empty")
            assert again.returncode == 0 and again.stdout.startswith("0 sent, 0 failed")
            assert len(server.received) == 2
            engine.dispose()
        assert set(got.values()) == {1}


def seed_article(engine: Engine, settings: Settings, clock) -> None:
    record = parse_json(article_json(), settings)
    with engine.begin() as conn:
        upsert(conn, [record], clock.now() - timedelta(hours=1))


def add_active(engine: Engine, settings: Settings, clock, *emails: str) -> list[int]:
    ids = []
    with engine.begin() as conn:
        for address in emails:
            item = subscribers.validate(settings, address)
            ids.append(subscriber_store.save(conn, item, clock.now()).id)
    return ids


@pytest.mark.parametrize(
    ("given", "rcpt"),
    [
        ("idn@bücher.example", "idn@xn--bcher-kva.example"),
        ("idn@XN--BCHER-KVA.example", "idn@xn--bcher-kva.example"),
        ("lector@ｅｊｅｍｐｌｏ。pe", "lector@ejemplo.pe"),
        ("a@straße.example", "a@xn--strae-oqa.example"),
        ("r@مثال.example", "r@xn--mgbh0fb.example"),
    ],
)
def test_an_idn_domain_goes_as_its_a_label_to_a_relay_without_smtputf8(
    tmp_path, clock, given, rcpt
):
    with SmtpServer(smtputf8=False) as server:
        settings = delivery_config(tmp_path, server.port)
        engine = ready_engine(settings)
        seed_article(engine, settings, clock)
        add_active(engine, settings, clock, given)
        assert enqueue_editions(engine, settings, clock).queued == 1
        report = run(engine, settings, clock)
        assert (report.sent, report.failed) == (1, 0)
        [item] = server.received
        assert item.recipient == rcpt
        message = email.message_from_bytes(item.data, policy=email.policy.default)
        assert message["To"] == rcpt and not message["To"].defects
        engine.dispose()


def test_the_same_inbox_written_two_ways_is_one_subscriber(tmp_path, clock, engine, db_settings):
    forms = [
        "idn@bücher.example",
        "idn@xn--bcher-kva.example",
        "idn@BÜCHER.EXAMPLE",
        "idn@ｂüｃｈｅｒ.example",
        "idn@bücher。example",
    ]
    outcomes = []
    with engine.begin() as conn:
        for given in forms:
            item = subscribers.validate(db_settings, given)
            outcomes.append(subscriber_store.save(conn, item, clock.now()).outcome)
        rows = conn.execute(select(subscribers_table.c.email)).scalars().all()
    assert outcomes == ["new"] + ["updated"] * (len(forms) - 1)
    assert rows == ["idn@bücher.example"]


def test_a_stored_address_that_cannot_be_sent_fails_alone_at_enqueue(tmp_path, clock):
    """An address stored before today's checks (zero-width space in the domain): its row is
    recorded failed with the reason, every other subscriber's digest is queued and sent."""
    with SmtpServer() as server:
        settings = delivery_config(tmp_path, server.port)
        engine = ready_engine(settings)
        seed_article(engine, settings, clock)
        add_active(engine, settings, clock, "first@example.org")
        with engine.begin() as conn:
            conn.execute(
                insert(subscribers_table).values(
                    email="victim@exam\u200bple.org",
                    status="active",
                    all_sections=True,
                    timezone="America/Lima",
                    language="en",
                    digest_time="07:00",
                    created_at=clock.now(),
                )
            )
        add_active(engine, settings, clock, "last@example.org")
        report = enqueue_editions(engine, settings, clock)
        assert (report.queued, report.failed) == (2, 1)
        assert "1 failed" in report.summary()
        reason = failures(engine)["victim@exam\u200bple.org"]
        assert "address refused" in reason and "ZERO WIDTH SPACE" in reason
        assert "victim" not in reason  # logs and status mask addresses; so does the reason
        with engine.connect() as conn:
            window = conn.execute(
                select(outbox.c.window_start, outbox.c.window_end).where(outbox.c.state == "failed")
            ).one()
        assert window.window_start == window.window_end  # covers nothing: no article lost
        delivered = run(engine, settings, clock)
        assert (delivered.sent, delivered.failed) == (2, 0)
        assert set(server.by_recipient()) == {"first@example.org", "last@example.org"}
        assert outbox_states(engine) == {"sent": 2, "failed": 1}
        engine.dispose()


def send(settings: Settings, engine: Engine, clock) -> int:
    async def once() -> int:
        sender = make_sender(settings)
        try:
            return await send_confirmations(settings, engine, clock, sender=sender)
        finally:
            await sender.close()

    return asyncio.run(once())


def confirmation_state(engine: Engine, subscriber_id: int) -> tuple[str, int]:
    """(state, attempts) of this subscriber's newest confirmation email in the outbox."""
    with engine.connect() as conn:
        row = conn.execute(
            select(outbox.c.state, outbox.c.attempts)
            .where(outbox.c.kind == "confirmation", outbox.c.subscriber_id == subscriber_id)
            .order_by(outbox.c.id.desc())
            .limit(1)
        ).one()
    return row.state, row.attempts


def add_pending(engine: Engine, settings: Settings, clock, *emails: str) -> list[int]:
    ids = []
    with engine.begin() as conn:
        for address in emails:
            item = subscribers.validate(settings, address, status="pending")
            ids.append(subscriber_store.save(conn, item, clock.now()).id)
    return ids


def test_a_confirmation_the_relay_cannot_take_fails_once_and_for_good(tmp_path, clock):
    with SmtpServer(smtputf8=False) as server:
        settings = delivery_config(tmp_path, server.port)
        engine = ready_engine(settings)
        jose, ana = add_pending(engine, settings, clock, "josé@example.org", "ana@bücher.example")
        assert send(settings, engine, clock) == 1
        assert confirmation_state(engine, jose) == ("failed", 1)
        assert confirmation_state(engine, ana) == ("sent", 1)
        assert NO_SMTPUTF8 in failures(engine)["josé@example.org"]
        for _ in range(4):  # well past the claim lease and every backoff
            clock.advance(hours=6)
            assert send(settings, engine, clock) == 0
        assert [item.recipient for item in server.received] == ["ana@xn--bcher-kva.example"]
        engine.dispose()


def test_a_confirmation_to_a_utf8_local_part_goes_with_smtputf8(tmp_path, clock):
    with SmtpServer(smtputf8=True) as server:
        settings = delivery_config(tmp_path, server.port)
        engine = ready_engine(settings)
        [jose] = add_pending(engine, settings, clock, "josé@bücher.example")
        assert send(settings, engine, clock) == 1
        assert confirmation_state(engine, jose) == ("sent", 1)
        [item] = server.received
        assert item.recipient == "josé@xn--bcher-kva.example"
        message = email.message_from_string(item.data.decode("utf-8"), policy=email.policy.default)
        assert message["To"].addresses[0].addr_spec == "josé@xn--bcher-kva.example"
        assert message["Subject"] == "Confirm your subscription to Test News"
        engine.dispose()


def test_a_confirmation_that_cannot_be_built_is_not_claimed_again(tmp_path, clock):
    with SmtpServer() as server:
        settings = delivery_config(tmp_path, server.port)
        engine = ready_engine(settings)
        [good] = add_pending(engine, settings, clock, "good@example.org")
        with engine.begin() as conn:
            bad = conn.execute(
                insert(subscribers_table)
                .values(
                    email="victim@exam\u00adple.org",
                    status="pending",
                    all_sections=True,
                    timezone="America/Lima",
                    language="en",
                    digest_time="07:00",
                    created_at=clock.now(),
                )
                .returning(subscribers_table.c.id)
            ).scalar_one()
            outbox_store.enqueue_confirmation(conn, bad, "victim@exam\u00adple.org", clock.now())
        assert send(settings, engine, clock) == 1
        assert confirmation_state(engine, bad) == ("failed", 1)
        assert "address refused" in failures(engine)["victim@exam\u00adple.org"]
        clock.advance(hours=1)
        assert send(settings, engine, clock) == 0
        assert [item.recipient for item in server.received] == ["good@example.org"]
        assert confirmation_state(engine, good) == ("sent", 1)
        engine.dispose()


def test_a_queued_row_to_an_address_that_cannot_go_fails_alone_at_send(tmp_path, clock):
    with SmtpServer(smtputf8=True) as server:
        settings = delivery_config(tmp_path, server.port)
        engine = ready_engine(settings)
        people = add_subscribers(engine, clock.now(), 3)
        people += add_subscribers(engine, clock.now(), 1, domain="exam\u00adple.net", start=9)
        people += add_subscribers(engine, clock.now(), 2, start=20)
        enqueue(engine, clock.now(), people)
        report = run(engine, settings, clock, until_empty=True)
        assert (report.sent, report.failed, report.retrying) == (5, 1, 0)
        reason = failures(engine)["reader9@exam\u00adple.net"]
        assert reason.startswith("RCPT: address refused:") and "SOFT HYPHEN" in reason
        with engine.connect() as conn:
            bounces = conn.execute(select(subscribers_table.c.hard_bounces)).scalars().all()
        assert set(bounces) == {0}  # our refusal, not the recipient's server: no bounce
        assert len(server.received) == 5
        engine.dispose()
