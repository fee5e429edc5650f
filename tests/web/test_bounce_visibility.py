"""Bounces and complaints in `status`, /metrics and the alarms: per edition, over 7 days, rates."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import update

from syndicate import alarms
from syndicate.bounces import reports
from syndicate.bounces.apply import apply
from syndicate.store.tables import outbox
from tests.cli import syndicate
from tests.outbox_rows import add_subscribers, enqueue


def test_a_complaint_in_an_edition_of_500_raises_the_alarm(start_web, clock, tmp_path) -> None:
    # `status` runs as its own process on the real clock: this test's clock is set to it, and
    # every date is taken from that clock.
    clock.advance(seconds=(datetime.now(UTC) - clock.now()).total_seconds())
    edition = clock.now().date()
    web = start_web()
    people = add_subscribers(web.engine, clock.now(), 500)
    enqueue(web.engine, clock.now(), people, edition=edition)
    with web.engine.begin() as conn:
        conn.execute(update(outbox).values(state="sent", sent_at=clock.now()))
    facts = alarms.read(web.engine, web.settings, clock.now())
    assert facts.deliverability() == {}
    # Nine hard bounces: 1.8 %, under the 2 % line; junk counts as unparsed, not as a bounce.
    for number in range(9):
        hard = reports.Report(reports.HARD, (people[number][1],), reason="5.1.1", key=f"h{number}")
        apply(web.engine, web.settings, hard, "mail", clock.now())
    junk = reports.Report(reports.UNPARSED, reason="not a report", key="junk")
    apply(web.engine, web.settings, junk, "mail", clock.now())
    facts = alarms.read(web.engine, web.settings, clock.now())
    assert facts.deliverability() == {}
    assert facts.report_editions[edition].by_kind == {
        "hard": 9,
        "soft": 0,
        "complaint": 0,
        "unparsed": 0,
    }
    assert facts.report_recent.by_kind["unparsed"] == 1
    complaint = reports.Report(reports.COMPLAINT, (people[100][1],), reason="abuse", key="c1")
    apply(web.engine, web.settings, complaint, "mail", clock.now())
    facts = alarms.read(web.engine, web.settings, clock.now())
    lines = facts.deliverability()
    assert list(lines) == [f"complaint:{edition}"]
    assert "1 spam complaints of 500 sent (0.20%" in lines[f"complaint:{edition}"]

    scrape = web.http.get("/metrics").text
    assert f'syndicate_edition_bounce_reports{{edition="{edition}",kind="hard"}} 9.0' in scrape
    assert f'syndicate_edition_bounce_rate{{edition="{edition}",kind="complaint"}} 0.002' in scrape
    assert 'syndicate_bounce_reports_7d{kind="unparsed"} 1.0' in scrape
    assert "syndicate_deliverability_alarm 1.0" in scrape

    status = syndicate(tmp_path / "config.toml", "status")
    assert status.returncode == 1  # an alarm is on
    assert f"edition {edition}: 1 spam complaints of 500 sent" in status.stdout
    assert "bounce reports, last 7 days: 9 hard, 0 soft, 1 complaint, 1 unparsed" in status.stdout
    listed = syndicate(tmp_path / "config.toml", "subscribers", "list")
    assert f"{people[0][1]}\tbounced" in listed.stdout and "hard bounce: 5.1.1" in listed.stdout
