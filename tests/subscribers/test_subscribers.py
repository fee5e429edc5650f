from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine

from syndicate import store, subscribers
from syndicate.addresses import BadAddress, mask, normalise_address
from syndicate.clock import FixedClock
from syndicate.config import Settings
from syndicate.errors import InputError
from syndicate.store import subscribers as subscriber_store
from syndicate.subscribers.lifecycle import Actor
from tests.cli import ROOT, syndicate
from tests.conftest import write_config


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("Reader@Example.ORG", "Reader@example.org"),
        ("  a.b+news@sub.example.co  ", "a.b+news@sub.example.co"),
        ("josé@correo.example", "josé@correo.example"),
    ],
)
def test_addresses_normalised(given: str, expected: str) -> None:
    assert normalise_address(given) == expected


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "plain",
        "a@b",
        "@example.org",
        "a@@example.org",
        "a b@example.org",
        "a@exa mple.org",
        "a\r\nbcc@example.org",
        "a..b@example.org",
        "a@-example.org",
        ("x" * 65) + "@example.org",
        "a@" + ("x" * 250) + ".org",
        "a@example.123",
    ],
)
def test_bad_addresses_rejected(bad: str) -> None:
    with pytest.raises(BadAddress):
        normalise_address(bad)


def test_mask_hides_the_local_part() -> None:
    assert mask("reader@example.org") == "r***@example.org"


def test_validate_defaults_and_errors(settings: Settings) -> None:
    item = subscribers.validate(settings, "a@example.org", ["mundo"])
    assert (item.language, item.timezone, item.digest_time, item.status) == (
        "es",
        "America/Lima",
        "07:00",
        "active",
    )
    assert (
        subscribers.validate(settings, "a@example.org", ["world", "Politics", "mundo"]).sections
        == ()
    )
    with pytest.raises(InputError, match="sections: unknown section 'sport'"):
        subscribers.validate(settings, "a@example.org", ["sport"])
    with pytest.raises(InputError, match="timezone"):
        subscribers.validate(settings, "a@example.org", timezone="Lima")
    with pytest.raises(InputError, match="digest_time"):
        subscribers.validate(settings, "a@example.org", digest_time="7am")


@pytest.mark.parametrize(
    ("given", "field", "message"),
    [
        ({"sections": ["sport"]}, "sections", "sections: unknown section 'sport'"),
        ({"timezone": "Lima"}, "timezone", "timezone: unknown timezone 'Lima'"),
        ({"language": "fr"}, "language", "language: 'fr' is not offered"),
        ({"digest_time": "7am"}, "digest_time", "digest_time: "),
        ({"status": "gone"}, "status", "status: 'gone' is not a status"),
        ({"email": "no-at-sign"}, "email", "email 'no-at-sign': an email address must have an @"),
    ],
)
def test_validation_errors_name_their_field_as_an_attribute(
    settings: Settings, given: dict, field: str, message: str
) -> None:
    """Callers (the preferences form) read ``field``, never the message text."""
    email = given.pop("email", "a@example.org")
    with pytest.raises(InputError) as caught:
        subscribers.validate(settings, email, **given)
    assert caught.value.field == field
    assert str(caught.value).startswith(message)
    assert caught.value.reason and caught.value.reason in str(caught.value)


def test_save_is_unique_by_email(engine: Engine, db_settings: Settings, clock: FixedClock) -> None:
    with engine.begin() as conn:
        first = subscriber_store.save(
            conn, subscribers.validate(db_settings, "A@Example.org", ["world"]), clock.now()
        )
        assert first.outcome == "new"
        again = subscriber_store.save(
            conn, subscribers.validate(db_settings, "A@EXAMPLE.ORG", ["politics"]), clock.now()
        )
        assert (again.id, again.outcome) == (first.id, "updated")
    with engine.connect() as conn:
        [only] = subscriber_store.list_all(conn)
    assert only.email == "A@example.org" and only.sections == ("politics",)


def test_csv_import_reports_bad_rows_and_keeps_good(
    engine: Engine, db_settings: Settings, clock: FixedClock
) -> None:
    content = (
        "email,sections,timezone,language,digest_time,status\n"
        "one@example.org,world;politics,Europe/Madrid,en,08:30,active\n"
        "not-an-address,world,,,,\n"
        "two@example.org,,,,,\n"
        "three@example.org,sports,,,,\n"
        "four@example.org,mundo,,,,pending\n"
    )
    parsed = subscribers.parse_csv(db_settings, content, "subs.csv")
    with engine.begin() as conn:
        report = subscriber_store.save_all(conn, parsed.rows, clock.now())
    assert (report.new, report.updated, report.kept) == (3, 0, [])
    assert len(parsed.errors) == 2
    assert parsed.errors[0].startswith("subs.csv:3: email 'not-an-address'")
    assert parsed.errors[1].startswith("subs.csv:5: sections: unknown section 'sports'")
    assert len(report.pending) == 1
    with engine.connect() as conn:
        listed = subscriber_store.list_all(conn)
    exported = subscribers.to_csv(listed)
    assert (
        exported.splitlines()[1]
        == "one@example.org,politics;world,Europe/Madrid,en,08:30,active,daily,,false"
    )
    assert "two@example.org,,America/Lima,en,07:00,active" in exported
    assert "four@example.org,mundo,America/Lima,es,07:00,pending" in exported


def test_subscribers_commands(tmp_path: Path) -> None:
    path = write_config(tmp_path)
    assert syndicate(path, "init").returncode == 0
    added = syndicate(
        path,
        "subscribers",
        "add",
        "Reader@Example.org",
        "--sections",
        "world,politics",
        "--confirmed",
    )
    assert added.returncode == 0, added.stderr
    assert added.stdout.strip() == "Reader@example.org: new (active)"
    bad = syndicate(path, "subscribers", "add", "nobody", "--confirmed")
    assert (
        bad.returncode == 2
        and "error: email 'nobody'" in bad.stderr
        and "Traceback" not in bad.stderr
    )
    csv_file = tmp_path / "subs.csv"
    csv_file.write_text("email,sections\nx@example.org,mundo\nbad,\n")
    imported = syndicate(path, "subscribers", "import", str(csv_file))
    assert imported.returncode == 2
    assert f"{csv_file}:3: email 'bad'" in imported.stderr
    assert imported.stdout.strip() == "1 new, 0 updated, 0 unchanged, 1 rejected"
    listed = syndicate(path, "subscribers", "list", "--csv")
    assert listed.stdout.splitlines() == [
        "email,sections,timezone,language,digest_time,status,cadence,weekday,alerts",
        "Reader@example.org,politics;world,America/Lima,en,07:00,active,daily,,false",
        "x@example.org,mundo,America/Lima,es,07:00,active,daily,,false",
    ]
    removed = syndicate(path, "subscribers", "remove", "x@EXAMPLE.org")
    assert removed.returncode == 0
    assert syndicate(path, "subscribers", "remove", "x@example.org").returncode == 2
    assert "1 subscribers" in syndicate(path, "subscribers", "list").stdout


def test_subscribers_add_sends_the_confirmation_with_only_its_own_command_loaded(
    tmp_path: Path,
) -> None:
    """No other command module has to be imported first for the email to go out."""
    path = write_config(tmp_path)
    assert syndicate(path, "init").returncode == 0
    script = (
        "import sys\n"
        "from syndicate.cli import cli\n"
        "import syndicate.cli.subscribers_cmd\n"
        "cli.main(args=sys.argv[1:], standalone_mode=False)\n"
        "loaded = sorted(m for m in sys.modules if m.startswith('syndicate.cli.'))\n"
        "print('loaded:', ','.join(loaded))\n"
    )
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            script,
            "--config",
            str(path),
            "subscribers",
            "add",
            "new@example.org",
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "SYNDICATE_SECRET": "test-secret-of-at-least-32-characters"},
        cwd=ROOT,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "new@example.org: new (pending)" in done.stdout
    assert "1 confirmation email(s) sent" in done.stdout
    loaded = done.stdout.split("loaded: ", 1)[1].split(",")
    assert "syndicate.cli.serve_cmd" not in [name.strip() for name in loaded]
    [mail] = list((tmp_path / "var" / "outbox" / "new").iterdir())
    assert b"To: new@example.org" in mail.read_bytes()


def test_a_reimport_never_resubscribes_someone_who_unsubscribed(
    engine: Engine, db_settings: Settings, clock: FixedClock
) -> None:
    with engine.begin() as conn:
        saved = subscriber_store.save(
            conn, subscribers.validate(db_settings, "gone@example.org"), clock.now()
        )
        assert saved.id is not None
        assert subscriber_store.change_status(
            conn, saved.id, "unsubscribed", Actor.PERSON, clock.now()
        )
    content = "email,sections,status\ngone@example.org,world,active\nnew@example.org,,active\n"
    parsed = subscribers.parse_csv(db_settings, content, "list.csv")
    with engine.begin() as conn:
        report = subscriber_store.save_all(conn, parsed.rows, clock.now())
    assert (report.new, report.updated) == (1, 0)
    assert report.kept == [
        "list.csv:2: gone@example.org: unsubscribed: only the subscriber can subscribe again, "
        "by confirming a new request; an import leaves it as it is"
    ]
    with engine.connect() as conn:
        gone = subscriber_store.find(conn, "gone@example.org")
    assert gone is not None and gone.status == "unsubscribed" and gone.sections == ()


def test_the_import_command_reports_the_rows_it_left_alone(tmp_path: Path) -> None:
    path = write_config(tmp_path)
    assert syndicate(path, "init").returncode == 0
    assert syndicate(path, "subscribers", "add", "gone@example.org", "--confirmed").returncode == 0
    engine = store.open_engine(f"sqlite:///{tmp_path / 'var' / 'syndicate.db'}")
    try:
        with engine.begin() as conn:
            gone = subscriber_store.find(conn, "gone@example.org")
            assert gone is not None
            subscriber_store.change_status(
                conn, gone.id, "unsubscribed", Actor.PERSON, datetime.now(UTC)
            )
    finally:
        engine.dispose()
    csv_file = tmp_path / "subs.csv"
    csv_file.write_text("email,status\ngone@example.org,active\n", encoding="utf-8")
    imported = syndicate(path, "subscribers", "import", str(csv_file))
    assert imported.returncode == 0, imported.stderr
    assert f"{csv_file}:2: gone@example.org: unsubscribed:" in imported.stdout
    assert imported.stdout.strip().endswith(
        "0 new, 0 updated, 0 unchanged, 0 rejected, 1 left as they are"
    )
    listed = syndicate(path, "subscribers", "list", "--csv")
    assert "gone@example.org,,America/Lima,en,07:00,unsubscribed" in listed.stdout

    confirmed = syndicate(path, "subscribers", "add", "gone@example.org", "--confirmed")
    assert confirmed.returncode == 2 and "Traceback" not in confirmed.stderr
    assert "gone@example.org: unsubscribed: only the subscriber can subscribe again" in (
        confirmed.stderr
    )
    assert "without --confirmed" in confirmed.stderr
    asked = syndicate(path, "subscribers", "add", "gone@example.org")
    assert asked.returncode == 0, asked.stderr
    assert asked.stdout.splitlines()[0] == "gone@example.org: updated (pending)"
