"""The CSV columns cadence, weekday and alerts: validated by line, written back the same."""

from __future__ import annotations

from syndicate import subscribers


def test_lane_columns_are_read_checked_and_written(settings) -> None:
    parsed = subscribers.parse_csv(
        settings,
        "email,cadence,weekday,alerts\n"
        "a@example.org,weekly,Wednesday,true\n"
        "b@example.org,,,\n"
        "c@example.org,weekly,,false\n"
        "d@example.org,monthly,,\n"
        "e@example.org,daily,,maybe\n",
        "readers.csv",
    )
    lanes = {item.email: (item.cadence, item.weekday, item.alerts) for _, item in parsed.rows}
    assert lanes == {
        "a@example.org": ("weekly", "wed", True),
        "b@example.org": ("daily", "", False),
    }
    assert parsed.errors == [
        "readers.csv:4: weekday: weekday is needed for a weekly cadence: one of "
        "mon, tue, wed, thu, fri, sat, sun",
        "readers.csv:5: cadence: cadence 'monthly' is not one of daily, weekly",
        "readers.csv:6: alerts: 'maybe' is not true or false",
    ]
    rows = [
        subscribers.Subscriber(
            id=1,
            email="a@example.org",
            status="active",
            sections=(),
            timezone="America/Lima",
            language="en",
            digest_time="07:00",
            cadence="weekly",
            weekday="wed",
            alerts=True,
        )
    ]
    written = subscribers.to_csv(rows).splitlines()
    assert written[1] == "a@example.org,,America/Lima,en,07:00,active,weekly,wed,true"
    again = subscribers.parse_csv(settings, subscribers.to_csv(rows))
    assert [(i.cadence, i.weekday, i.alerts) for _, i in again.rows] == [("weekly", "wed", True)]
