"""Each distinct edition body stored once; messages assembled from it when sent, to a real
SMTP server; bodies nobody needs removed; rows stored whole before this still go out."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, text

from syndicate import store, subscribers
from syndicate.clock import FixedClock
from syndicate.delivery.assembly import Assembler
from syndicate.digest.edition import enqueue_editions
from syndicate.store import bodies, schema
from syndicate.store import subscribers as subscriber_store
from syndicate.store.tables import edition_bodies, outbox
from tests.delivery_helpers import delivery_config, outbox_states, run
from tests.digest_data import NOW
from tests.outbox_rows import digest_message
from tests.smtp_server import SmtpServer
from tests.stored_articles import add_articles


def add_reader(engine, settings, address, sections=(), **extra):
    item = subscribers.validate(settings, address, sections, status="active", **extra)
    with engine.begin() as conn:
        return subscriber_store.save(conn, item, NOW - timedelta(days=10))


def body_count(engine) -> int:
    with engine.connect() as conn:
        return bodies.count(conn)


def test_readers_of_equal_content_share_one_body_and_get_exactly_their_message(tmp_path):
    clock = FixedClock(NOW)
    with SmtpServer() as server:
        settings = delivery_config(tmp_path, server.port)
        engine = store.open_engine(settings.database.url)
        store.migrate(engine)
        for i in range(3):
            add_reader(engine, settings, f"w{i}@example.org", ["world"])
        add_reader(engine, settings, "m@example.org", ["mundo"], language="es")
        add_articles(
            engine,
            settings,
            NOW - timedelta(hours=2),
            {"url": "https://news.example.org/a", "headline": "World story"},
            {"url": "https://news.example.org/b", "section": "mundo", "headline": "Historia"},
        )
        assert enqueue_editions(engine, settings, clock).queued == 4
        assert body_count(engine) == 2  # three readers of World share one; the Spanish its own
        with engine.connect() as conn:
            stored = conn.execute(select(outbox)).all()
        assert all(row.message is None and row.body_id for row in stored)
        assembler = Assembler(settings, engine)
        before = {row.recipient: assembler.stored(row) for row in stored}
        # Assembled twice, the same bytes: a resend after a crash sends the very same message.
        assert before == {row.recipient: Assembler(settings, engine).stored(row) for row in stored}
        for message in before.values():  # CRLF only: DATA sends assembled bytes unchecked
            assert message is not None
            assert message.count(b"\r") == message.count(b"\n") == message.count(b"\r\n")

        report = run(engine, settings, clock)
        assert report.sent == 4 and outbox_states(engine) == {"sent": 4}
        ids = {row.recipient: row.message_id for row in stored}
        for email in ["w0@example.org", "w1@example.org", "w2@example.org", "m@example.org"]:
            (got,) = [item for item in server.received if item.recipient == email]
            assert got.message_id == ids[email]
            assert got.data.replace(b"\r\n", b"\n") == before[email].replace(b"\r\n", b"\n")
            assert f"To: {email}".encode() in got.data

        # Sent: no row needs the bodies now; they go once nobody has used them for a while.
        assert body_count(engine) == 2  # just used: kept
        clock.advance(hours=2)
        run(engine, settings, clock)
        assert body_count(engine) == 0
        engine.dispose()


def test_a_failed_row_keeps_its_body_for_a_requeue(tmp_path):
    clock = FixedClock(NOW)
    settings = delivery_config(tmp_path, 1)
    engine = store.open_engine(settings.database.url)
    store.migrate(engine)
    add_reader(engine, settings, "w@example.org", ["world"])
    add_articles(engine, settings, NOW - timedelta(hours=2), {"url": "https://news.example.org/a"})
    enqueue_editions(engine, settings, clock)
    with engine.begin() as conn:
        conn.execute(outbox.update().values(state="failed"))
    clock.advance(hours=3)
    assert bodies.prune(engine, clock.now()) == 0
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(edition_bodies)).scalar_one() == 1
    engine.dispose()


def test_a_row_stored_whole_before_the_upgrade_is_sent_as_it_was(tmp_path):
    clock = FixedClock(NOW)
    with SmtpServer() as server:
        settings = delivery_config(tmp_path, server.port)
        engine = store.open_engine(settings.database.url)
        schema.upgrade(engine, "0007ids")
        data = digest_message("old@example.org", "<old.1@example.org>", 3000)
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO subscribers (id, email, status, all_sections, timezone, language,"
                    " digest_time, hard_bounces, created_at, link_key, unkeyed_links)"
                    " VALUES (1, 'old@example.org', 'active', true, 'UTC', 'en', '07:00', 0,"
                    " :at, 'k', false)"
                ),
                {"at": NOW.replace(tzinfo=None)},
            )
            conn.execute(
                text(
                    "INSERT INTO outbox (kind, key, subscriber_id, edition_date, state,"
                    " article_count, recipient, message_id, message, attempts, created_at)"
                    " VALUES ('digest', '1/2026-11-28', 1, '2026-11-28', 'queued', 1,"
                    " 'old@example.org', '<old.1@example.org>', :data, 0, :at)"
                ),
                {"data": data, "at": NOW.replace(tzinfo=None)},
            )
        store.migrate(engine)
        assert run(engine, settings, clock).sent == 1
        (got,) = server.received
        assert got.message_id == "<old.1@example.org>"
        assert got.data.replace(b"\r\n", b"\n") == data.replace(b"\r\n", b"\n")
        engine.dispose()
