"""Requests at the same moment answer as they would one after another: the subscribe form,
the ingest API and the subscriber commands, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from sqlalchemy import func, select

from syndicate import store
from syndicate.store import articles as article_store
from syndicate.store import subscribers as subscriber_store
from syndicate.store.tables import article_sections, articles, outbox, subscribers
from tests.conftest import ROOT, article_json, write_config
from tests.web.conftest import Web
from tests.web.forms import confirm_link, form_fields, press_confirm, status_of

T = TypeVar("T")
AUTH = {"authorization": "Bearer test-token", "content-type": "application/json"}
GUID = "https://news.example.org/world/all-at-once"


def at_once(count: int, prepare: Callable[[int], Any], act: Callable[[Any], T]) -> list[T]:
    """``prepare(i)`` for each of ``count`` threads, then every ``act`` released together."""
    gate = threading.Barrier(count, timeout=30)

    def one(i: int) -> T:
        ready = prepare(i)
        gate.wait()
        return act(ready)

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(one, range(count)))


def rows(web: Web, table: Any, *where: Any) -> int:
    with web.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one()


def settled_confirmations(web: Web, timeout: float = 60) -> list[str]:
    """The states of the confirmation rows once none is waiting to be sent any more."""
    deadline = time.monotonic() + timeout
    while True:
        with web.engine.connect() as conn:
            states = list(
                conn.execute(
                    select(outbox.c.state).where(outbox.c.kind == "confirmation")
                ).scalars()
            )
        if all(s in ("sent", "skipped", "failed") for s in states):
            return states
        assert time.monotonic() < deadline, states
        time.sleep(0.05)


def subscribe_together(web: Web, email: str, count: int) -> list[httpx.Response]:
    def prepare(_: int) -> tuple[httpx.Client, dict[str, str]]:
        client = httpx.Client(base_url=web.url, timeout=30)
        return client, form_fields(client.get("/subscribe"))

    def act(ready: tuple[httpx.Client, dict[str, str]]) -> httpx.Response:
        client, fields = ready
        try:
            return client.post("/subscribe", data={**fields, "email": email})
        finally:
            client.close()

    return at_once(count, prepare, act)


@pytest.mark.parametrize("count", [3, 8])
def test_simultaneous_subscribes_of_a_new_address(start_web, db_url: str, count: int) -> None:
    web = start_web(db_url, email_limit=(count, 3600.0), subscribe_limit=(50, 600.0))
    answers = subscribe_together(web, "Simul@Example.org", count)
    assert [a.status_code for a in answers] == [200] * count
    assert all("Check your inbox" in a.text for a in answers)
    assert rows(web, subscribers) == 1
    assert status_of(web, "Simul@example.org") == "pending"
    states = settled_confirmations(web)
    # One confirmation per request, as one after another; a newer one replaces an older
    # one not sent yet, so at least one and at most one per request reach the inbox.
    assert len(states) == count
    sent = states.count("sent")
    assert 1 <= sent <= count
    mails = web.mails(sent)
    assert sent <= len(mails) <= count
    assert {m["To"] for m in mails} == {"Simul@example.org"}
    assert press_confirm(web, confirm_link(web, "Simul@example.org", count=sent)).status_code == 200
    assert status_of(web, "Simul@example.org") == "active"


def test_past_the_per_address_limit_together_as_one_after_another(start_web, db_url: str) -> None:
    web = start_web(db_url, subscribe_limit=(50, 600.0))  # 3 an hour for one address
    answers = subscribe_together(web, "limit@example.org", 8)
    assert sorted(a.status_code for a in answers) == [200] * 3 + [429] * 5
    assert rows(web, subscribers) == 1
    states = settled_confirmations(web)
    assert len(states) == 3 and 1 <= states.count("sent") <= 3


def post_together(web: Web, bodies: list[dict[str, Any]]) -> list[httpx.Response]:
    def prepare(i: int) -> tuple[httpx.Client, bytes]:
        return httpx.Client(base_url=web.url, timeout=30), json.dumps(bodies[i]).encode()

    def act(ready: tuple[httpx.Client, bytes]) -> httpx.Response:
        client, body = ready
        try:
            return client.post("/api/articles", content=body, headers=AUTH)
        finally:
            client.close()

    return at_once(len(bodies), prepare, act)


def test_the_same_new_article_eight_times_at_once(start_web, db_url: str) -> None:
    web = start_web(db_url)
    answers = post_together(web, [article_json(url=GUID, headline="All at once")] * 8)
    assert sorted(a.status_code for a in answers) == [200] * 7 + [201]
    assert sorted(a.json()["status"] for a in answers) == ["new"] + ["unchanged"] * 7
    assert rows(web, articles) == 1
    assert rows(web, article_sections) == 1


def test_eight_versions_of_a_new_article_at_once(start_web, db_url: str) -> None:
    web = start_web(db_url)
    versions = [
        article_json(
            url=GUID,
            headline=f"Version {i}",
            sections=["world"] if i % 2 else ["politics", "world"],
        )
        for i in range(8)
    ]
    answers = post_together(web, versions)
    assert [a.status_code for a in answers].count(201) == 1
    assert all(a.status_code in (200, 201) for a in answers)
    assert sorted(a.json()["status"] for a in answers) == ["new"] + ["updated"] * 7
    with web.engine.connect() as conn:
        stored = article_store.get(conn, GUID)
    assert stored is not None and rows(web, articles) == 1
    # Whichever came last, its headline and its sections are stored together.
    index = int(stored.headline.removeprefix("Version "))
    assert stored.sections == tuple(versions[index]["sections"])
    assert rows(web, article_sections) == len(stored.sections)


# -- the subscriber commands, several processes at once -------------------------------


def run_together(config: Path, commands: list[list[str]]) -> list[subprocess.CompletedProcess[str]]:
    environ = {"SYNDICATE_SECRET": "test-secret-of-at-least-32-characters"}
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "syndicate", "--config", str(config), *args],
            cwd=ROOT,
            env={**os.environ, **environ},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for args in commands
    ]
    done = []
    for proc, args in zip(procs, commands, strict=True):
        out, err = proc.communicate(timeout=120)
        done.append(subprocess.CompletedProcess(args, proc.returncode, out, err))
    return done


@pytest.fixture
def cli_config(tmp_path: Path, db_url: str) -> Path:
    engine = store.open_engine(db_url)
    store.migrate(engine)
    engine.dispose()
    return write_config(tmp_path, database_url=db_url)


def subscriber_rows(db_url: str) -> list[tuple[str, str]]:
    engine = store.open_engine(db_url)
    try:
        with engine.connect() as conn:
            return sorted((s.email, s.status) for s in subscriber_store.list_all(conn))
    finally:
        engine.dispose()


def test_add_the_same_address_from_four_processes(cli_config: Path, db_url: str) -> None:
    results = run_together(
        cli_config, [["subscribers", "add", "same@example.org", "--sections", "world"]] * 4
    )
    for result in results:
        assert result.returncode == 0, result.stderr
        assert "Traceback" not in result.stderr and "error" not in result.stderr.lower()
    outcomes = sorted(r.stdout.splitlines()[0] for r in results)
    assert (
        outcomes
        == ["same@example.org: new (pending)"] + ["same@example.org: updated (pending)"] * 3
    )
    assert subscriber_rows(db_url) == [("same@example.org", "pending")]


def test_overlapping_imports_at_once(cli_config: Path, db_url: str, tmp_path: Path) -> None:
    emails = [f"reader{i:02d}@example.org" for i in range(40)]
    files = []
    for n, order in enumerate((emails, emails[::-1], emails[10:] + emails[:10])):
        path = tmp_path / f"import{n}.csv"
        path.write_text(
            "email,sections,status\n" + "".join(f"{e},world,active\n" for e in order),
            encoding="utf-8",
        )
        files.append(path)
    results = run_together(cli_config, [["subscribers", "import", str(p)] for p in files])
    for result in results:
        assert result.returncode == 0, result.stderr
        assert "Traceback" not in result.stderr and result.stderr.strip() == ""
    news = sum(int(r.stdout.strip().splitlines()[-1].split(" new")[0]) for r in results)
    assert news == 40  # each address is new to exactly one of them
    assert subscriber_rows(db_url) == [(e, "active") for e in emails]
