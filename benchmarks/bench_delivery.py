"""Messages per second from the outbox to an SMTP sink, next to plain aiosmtplib.

For each sink (aiosmtpd, and a minimal asyncio sink that only answers), in its
own process on 127.0.0.1:
- plain aiosmtplib: the same prebuilt ~30 KB messages over CONNECTIONS kept-open
  connections, nothing else (the practical limit of the client);
- end to end: COUNT outbox rows in SQLite claimed, sent through the SMTP pool and
  marked sent, in a separate process whose peak RSS is reported.
SYNDICATE_BENCH_100K=1 adds a 100,000-subscriber edition, enqueued by the digest
step and delivered to the minimal sink by `[delivery] workers = 2` (a few minutes).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiosmtplib
from sqlalchemy import bindparam, insert, select, update

from syndicate import config, store
from syndicate.clock import SystemClock
from syndicate.delivery import deliver_due
from syndicate.senders import make_sender
from syndicate.store.tables import outbox, subscribers
from tests.outbox_rows import add_subscribers, digest_message, enqueue

COUNT = 10_000
CONNECTIONS = 16
SIZE = 30_000
BIG = 100_000
NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
SENDER = "news@example.org"


@contextmanager
def sink(kind: str) -> Iterator[int]:
    process = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.smtp_sinks", kind],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        yield int(process.stdout.readline())
    finally:
        process.terminate()
        process.wait(10)


async def _plain(port: int, count: int) -> float:
    template = digest_message("rcpt.mark@example.invalid", "<mid.mark@example.invalid>", SIZE)
    clients = [
        aiosmtplib.SMTP(hostname="127.0.0.1", port=port, local_hostname="bench.local")
        for _ in range(CONNECTIONS)
    ]
    await asyncio.gather(*(client.connect() for client in clients))
    next_index = iter(range(count))

    async def lane(client: aiosmtplib.SMTP) -> None:
        for i in next_index:
            rcpt = f"reader{i}@example.net"
            data = template.replace(b"rcpt.mark@example.invalid", rcpt.encode())
            await client.sendmail(SENDER, [rcpt], data)

    started = time.perf_counter()
    await asyncio.gather(*(lane(client) for client in clients))
    seconds = time.perf_counter() - started
    await asyncio.gather(*(client.quit() for client in clients))
    return count / seconds


def _settings(folder: Path, port: int, workers: int = 1) -> config.Settings:
    path = folder / "config.toml"
    path.write_text(
        f'[database]\nurl = "sqlite:///{folder / "bench.db"}"\n'
        '[[sections]]\nslug = "world"\ntitle = "World"\n'
        '[digest]\nfrom = "News <news@example.org>"\n'
        f'[delivery]\ntransport = "smtp"\nconnections = {CONNECTIONS // workers}\n'
        f"workers = {workers}\nbatch_size = 500\n"
        f'[smtp]\nhost = "127.0.0.1"\nport = {port}\n'
    )
    return config.load(path, env={"SYNDICATE_SECRET": "bench-secret"})


def _fill_outbox(settings: config.Settings, count: int) -> None:
    engine = store.open_engine(settings.database.url)
    store.migrate(engine)
    people = add_subscribers(engine, NOW, count)
    for start in range(0, count, 1000):
        enqueue(engine, NOW, people[start : start + 1000], size=SIZE)
    engine.dispose()


def _deliver_child(settings: config.Settings, results: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    engine = store.open_engine(settings.database.url)
    started = time.perf_counter()
    report = deliver_due(engine, settings, SystemClock(), make_sender)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    results.put((report.sent, seconds, peak))


def _end_to_end(settings: config.Settings) -> tuple[int, float, int]:
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    child = context.Process(target=_deliver_child, args=(settings, results))
    child.start()
    outcome = results.get(timeout=600)
    child.join()
    return outcome


def _big_edition(folder: Path, port: int) -> None:
    from syndicate.articles import parse_json
    from syndicate.digest.edition import enqueue_editions
    from syndicate.store.articles import upsert

    settings = _settings(folder, port, workers=2)
    engine = store.open_engine(settings.database.url)
    store.migrate(engine)
    clock = SystemClock()
    now = clock.now()
    with engine.begin() as conn:
        upsert(
            conn,
            [
                parse_json(
                    {
                        "url": f"https://news.example.org/{i}",
                        "section": "world",
                        "headline": f"Story {i}",
                        "lede": "A lede that says what happened. " * 4,
                        "image": {"url": f"https://img.example.org/{i}.jpg", "alt": "A photo"},
                    },
                    settings,
                )
                for i in range(15)
            ],
            now - timedelta(hours=1),
        )
        rows = [
            {
                "email": f"r{i}@example.net",
                "status": "active",
                "all_sections": True,
                "timezone": "America/Lima",
                "language": "en",
                "digest_time": "07:00",
                "created_at": now,
            }
            for i in range(BIG)
        ]
        for start in range(0, BIG, 5000):
            conn.execute(insert(subscribers), rows[start : start + 5000])
    started = time.perf_counter()
    queued = enqueue_editions(engine, settings, clock)
    enqueued_at = time.perf_counter()
    print(f"   (enqueued {queued.queued:,} in {enqueued_at - started:.0f} s)", flush=True)
    report = deliver_due(engine, settings, clock, make_sender)
    done = time.perf_counter()
    assert queued.queued == BIG and report.sent == BIG, (queued, report.summary())
    print(
        f"   100,000-subscriber edition, workers = 2, minimal sink: enqueue {enqueued_at - started:.0f} s "
        f"+ deliver {done - enqueued_at:.0f} s = {done - started:.0f} s (target <= 90 s), "
        f"{BIG / (done - enqueued_at):,.0f} msg/s delivered"
    )
    engine.dispose()


def _requeue(settings: config.Settings) -> None:
    """Send the same rows again (sending dropped their bytes: put them back)."""
    engine = store.open_engine(settings.database.url)
    template = digest_message("rcpt.mark@example.invalid", "<mid.mark@example.invalid>", SIZE)
    with engine.connect() as conn:
        rows = conn.execute(select(outbox.c.id, outbox.c.recipient, outbox.c.message_id)).all()
    for start in range(0, len(rows), 1000):
        with engine.begin() as conn:
            conn.execute(
                update(outbox)
                .where(outbox.c.id == bindparam("row_id"))
                .values(state="queued", attempts=0, sent_at=None, message=bindparam("data")),
                [
                    {
                        "row_id": row.id,
                        "data": template.replace(
                            b"rcpt.mark@example.invalid", row.recipient.encode()
                        ).replace(b"<mid.mark@example.invalid>", row.message_id.encode()),
                    }
                    for row in rows[start : start + 1000]
                ],
            )
    engine.dispose()


def run() -> None:
    with tempfile.TemporaryDirectory() as folder:
        filled = False
        # The plain baseline runs just before and just after the outbox run, on half as
        # many messages each, and the two are averaged: the machine is shared and noisy.
        # aiosmtpd costs ~3.5 ms of CPU a message, so its baseline uses fewer.
        for kind, baseline in (("aiosmtpd", COUNT // 4), ("minimal", COUNT // 2)):
            with sink(kind) as port:
                before = asyncio.run(_plain(port, baseline))
                settings = _settings(Path(folder), port)
                if filled:
                    _requeue(settings)
                else:
                    _fill_outbox(settings, COUNT)
                    filled = True
                sent, seconds, peak = _end_to_end(settings)
                after = asyncio.run(_plain(port, baseline))
            assert sent == COUNT, sent
            plain, rate = (before + after) / 2, sent / seconds
            print(
                f"   {kind} sink, {COUNT:,} x {SIZE // 1000} KB, {CONNECTIONS} connections: "
                f"plain aiosmtplib {plain:,.0f} msg/s (before {before:,.0f}, after {after:,.0f}); "
                f"outbox end to end {rate:,.0f} msg/s = {rate / plain:.0%} (target >= 80 %); "
                f"peak RSS {peak / 1e6:.0f} MB"
            )
    if os.environ.get("SYNDICATE_BENCH_100K") == "1":
        with tempfile.TemporaryDirectory() as folder, sink("minimal") as port:
            _big_edition(Path(folder), port)
    else:
        print("   (SYNDICATE_BENCH_100K=1 adds the 100,000-subscriber edition with workers = 2)")
