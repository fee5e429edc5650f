"""Crash safety with real processes: `kill -9` mid-send, and two senders on one PostgreSQL."""

from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta

from sqlalchemy import select

from syndicate import store
from syndicate.store.tables import outbox
from tests.cli import ROOT
from tests.conftest import _truncate
from tests.delivery_helpers import delivery_config, outbox_states, ready_engine
from tests.outbox_rows import add_subscribers, enqueue
from tests.smtp_server import SmtpServer

KILLS = 20
CONNECTIONS = 3


def start_deliver(config, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "syndicate", "--config", str(config), "deliver", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**os.environ, "SYNDICATE_SECRET": "s"},
    )


def test_kill_9_at_random_moments_loses_nothing_and_duplicates_stay_recognisable(tmp_path, clock):
    rng = random.Random(int(os.environ.get("SYNDICATE_KILL_SEED", "20261128")))
    with SmtpServer() as server:
        settings = delivery_config(
            tmp_path,
            server.port,
            delivery={"connections": CONNECTIONS, "rate_per_second": 60, "batch_size": 20},
        )
        config = tmp_path / "config.toml"
        engine = ready_engine(settings)
        people = add_subscribers(engine, clock.now(), 150)
        edition = clock.now().date()
        enqueue(engine, clock.now(), people, edition=edition)
        editions = [edition]
        kills = killed_while_sending = 0
        for _ in range(3 * KILLS):
            if kills == KILLS:
                break
            if outbox_states(engine).keys() <= {"sent"}:
                edition += timedelta(days=1)
                enqueue(engine, clock.now(), people, edition=edition)
                editions.append(edition)
            before = len(server.received)
            process = start_deliver(config, "--until-empty")
            if rng.random() < 0.25:  # any moment: starting up, claiming, sending
                time.sleep(rng.uniform(0.1, 1.5))
            else:  # a random moment once sending has begun
                deadline = time.monotonic() + 30
                while len(server.received) == before and process.poll() is None:
                    assert time.monotonic() < deadline, "the sender never started"
                    time.sleep(0.01)
                time.sleep(rng.uniform(0, 0.8))
            process.send_signal(signal.SIGKILL)
            _out, err = process.communicate(timeout=30)
            if process.returncode == 0:  # finished the edition before the kill came
                continue
            assert process.returncode == -signal.SIGKILL, err
            kills += 1
            killed_while_sending += len(server.received) > before
        assert kills == KILLS
        final = start_deliver(config, "--until-empty")
        out, err = final.communicate(timeout=120)
        assert final.returncode == 0, err

        assert outbox_states(engine) == {"sent": len(people) * len(editions)}
        with engine.connect() as conn:
            expected = {
                (row.recipient, row.message_id)
                for row in conn.execute(select(outbox.c.recipient, outbox.c.message_id))
            }
        copies = Counter((item.recipient, item.message_id) for item in server.received)
        assert set(copies) == expected  # everyone has every edition, under its own Message-ID
        extra = sum(copies.values()) - len(copies)
        assert extra <= kills * CONNECTIONS
        assert killed_while_sending >= KILLS // 2  # most kills hit mid-send


def test_two_processes_share_one_postgresql_outbox(tmp_path, clock, postgres_url):
    engine = store.open_engine(postgres_url)
    store.migrate(engine)
    _truncate(engine)
    with SmtpServer() as server:
        settings = delivery_config(
            tmp_path,
            server.port,
            database_url=postgres_url,
            delivery={"connections": 2, "rate_per_second": 100, "batch_size": 10},
        )
        assert settings.database.is_postgres
        people = add_subscribers(engine, clock.now(), 300)
        enqueue(engine, clock.now(), people)
        config = tmp_path / "config.toml"
        first, second = (
            start_deliver(config, "--until-empty"),
            start_deliver(config, "--until-empty"),
        )
        results = [process.communicate(timeout=120) for process in (first, second)]
        counts = []
        for process, (out, err) in zip((first, second), results, strict=True):
            assert process.returncode == 0, err
            found = re.match(r"(\d+) sent, 0 failed", out)
            assert found, out
            counts.append(int(found.group(1)))
        assert sum(counts) == 300 and min(counts) > 0  # both sent some
        got = server.by_recipient()
        assert len(got) == 300 and set(got.values()) == {1}
        assert outbox_states(engine) == {"sent": 300}
    engine.dispose()
