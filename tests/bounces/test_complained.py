"""A complaint closes an address for good: no digest, no confirmation, not even after a CSV
import that says active, until that person subscribes and confirms again."""

from __future__ import annotations

from sqlalchemy import select

from syndicate import store
from syndicate.store import outbox as outbox_store
from syndicate.store.tables import outbox, subscribers
from tests import bounce_mail
from tests.cli import syndicate
from tests.conftest import write_config
from tests.delivery_helpers import delivery_config, run
from tests.outbox_rows import enqueue, message_id
from tests.smtp_server import SmtpServer


def test_a_complained_subscriber_gets_nothing_even_when_reimported_as_active(
    tmp_path, clock
) -> None:
    with SmtpServer() as relay:
        path = write_config(
            tmp_path,
            f'\n[delivery]\ntransport = "smtp"\n\n[smtp]\nhost = "127.0.0.1"\nport = {relay.port}\n',
        )
        assert syndicate(path, "init").returncode == 0
        for email in ("angry@example.org", "happy@example.org"):
            added = syndicate(path, "subscribers", "add", email, "--confirmed")
            assert added.returncode == 0, added.stderr
        engine = store.open_engine(f"sqlite:///{tmp_path / 'var' / 'syndicate.db'}")
        with engine.connect() as conn:
            ids = dict(conn.execute(select(subscribers.c.email, subscribers.c.id)).all())
        angry = ids["angry@example.org"]
        report = tmp_path / "complaint.eml"
        report.write_bytes(
            bounce_mail.arf(
                "bounces@example.org", "angry@example.org", message_id(clock.now().date(), angry)
            )
        )
        read = syndicate(path, "bounces", "read", str(report))
        assert read.returncode == 0, read.stderr
        assert "1 now complained" in read.stdout

        csv_file = tmp_path / "list.csv"
        csv_file.write_text(
            "email,status\nangry@example.org,active\nangry@example.org,pending\n", encoding="utf-8"
        )
        imported = syndicate(path, "subscribers", "import", str(csv_file))
        assert imported.returncode == 0, imported.stderr
        assert imported.stdout.count("angry@example.org: complained: only the subscriber") == 2
        again = syndicate(path, "subscribers", "add", "angry@example.org", "--confirmed")
        assert again.returncode == 2
        listed = syndicate(path, "subscribers", "list")
        assert "angry@example.org\tcomplained" in listed.stdout
        assert "spam complaint: complaint (abuse)" in listed.stdout

        # An edition (and a confirmation row made before the complaint) reach only the others.
        enqueue(engine, clock.now(), [(i, e) for e, i in ids.items()])
        with engine.begin() as conn:
            outbox_store.enqueue_confirmation(conn, angry, "angry@example.org", clock.now())
        settings = delivery_config(tmp_path, relay.port)
        done = run(engine, settings, clock)
        assert done.sent == 1
        assert [item.recipient for item in relay.received] == ["happy@example.org"]
    with engine.connect() as conn:
        mine = conn.execute(
            select(outbox.c.kind, outbox.c.state).where(outbox.c.subscriber_id == angry)
        ).all()
        status = conn.execute(select(subscribers.c.status).where(subscribers.c.id == angry))
        assert status.scalar() == "complained"
    assert sorted(mine) == [("confirmation", "skipped"), ("digest", "skipped")]
    engine.dispose()
