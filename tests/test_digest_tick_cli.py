"""`syndicate digest tick`, as cron runs it, with the real digest step."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from syndicate import config, store
from syndicate.store.tables import digest_slots, outbox
from tests.cli import syndicate
from tests.conftest import ROOT, write_config


def test_tick_enqueues_due_readers_once(tmp_path: Path) -> None:
    path = write_config(tmp_path, database_url=f"sqlite:///{tmp_path / 'db.sqlite'}")
    assert syndicate(path, "init").returncode == 0
    assert syndicate(path, "import", str(ROOT / "examples" / "articles")).returncode == 0
    # Midnight has always passed today; 23:59 has not, except in the day's last minute.
    csv = tmp_path / "readers.csv"
    csv.write_text(
        "email,sections,timezone,language,digest_time,status\n"
        "due@example.org,,America/Lima,en,00:00,active\n"
        "later@example.org,,Pacific/Kiritimati,en,23:59,active\n"
    )
    assert syndicate(path, "subscribers", "import", str(csv)).returncode == 0

    first = syndicate(path, "digest", "tick")
    assert first.returncode == 0, first.stderr
    assert "digest tick: enqueued 1 for " in first.stdout
    second = syndicate(path, "digest", "tick")
    assert second.returncode == 0 and "nothing due" in second.stdout

    settings = config.load(path, env={})
    engine = store.open_engine(settings.database.url)
    with engine.connect() as conn:
        rows = conn.execute(select(outbox.c.recipient, outbox.c.state)).all()
        slots = conn.execute(select(digest_slots.c.timezone, digest_slots.c.digest_time)).all()
    engine.dispose()
    assert [r.recipient for r in rows] == ["due@example.org"]
    assert rows[0].state == "queued"  # the sample articles are new to this reader
    assert slots == [("America/Lima", "00:00")]
