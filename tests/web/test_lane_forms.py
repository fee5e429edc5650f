"""The subscribe form and the preferences page carry cadence, weekday and alerts."""

from __future__ import annotations

from lxml import html

from syndicate.store import subscribers as subscriber_store
from tests.web.forms import _link, form_fields, subscribe

GOOD = {"timezone": "UTC", "digest_time": "07:00", "language": "en"}


def stored(web, email: str):  # type: ignore[no-untyped-def]
    with web.engine.connect() as conn:
        return subscriber_store.find(conn, email)


def test_subscribing_weekly_with_alerts(start_web) -> None:
    web = start_web()
    page = html.fromstring(web.http.get("/subscribe").content)
    assert page.xpath('//input[@name="cadence"][@value="weekly"]')
    assert page.xpath('//select[@name="weekday"]/option[@value="fri"]')
    assert page.xpath('//input[@name="alerts"][@type="checkbox"]')
    answer = subscribe(web, "ana@example.com", cadence="weekly", weekday="fri", alerts="true")
    assert answer.status_code == 200
    ana = stored(web, "ana@example.com")
    assert (ana.cadence, ana.weekday, ana.alerts) == ("weekly", "fri", True)
    # Daily (the default) ignores the weekday; no box ticked, no alerts.
    assert subscribe(web, "bo@example.com", weekday="tue").status_code == 200
    bo = stored(web, "bo@example.com")
    assert (bo.cadence, bo.weekday, bo.alerts) == ("daily", "", False)


def test_the_preferences_page_changes_the_lane(start_web) -> None:
    web = start_web()
    subscribe(web, "ana@example.com")
    url = _link(web, "preferences", "ana@example.com")
    fields = form_fields(web.http.get(url))
    saved = web.http.post(
        url, data={**fields, **GOOD, "cadence": "weekly", "weekday": "wed", "alerts": "true"}
    )
    assert saved.status_code == 200, saved.text[:300]
    page = html.fromstring(saved.content)
    assert page.xpath('//input[@name="cadence"][@value="weekly"]/@checked')
    assert page.xpath('//select[@name="weekday"]/option[@value="wed"]/@selected')
    assert page.xpath('//input[@name="alerts"]/@checked')
    ana = stored(web, "ana@example.com")
    assert (ana.cadence, ana.weekday, ana.alerts) == ("weekly", "wed", True)
    # Back to daily, alerts off (an unticked box is not sent).
    back = web.http.post(url, data={**fields, **GOOD, "cadence": "daily", "weekday": "wed"})
    assert back.status_code == 200
    ana = stored(web, "ana@example.com")
    assert (ana.cadence, ana.weekday, ana.alerts) == ("daily", "", False)
    bad = web.http.post(url, data={**fields, **GOOD, "cadence": "weekly", "weekday": "someday"})
    assert bad.status_code == 400
    assert "Choose the day of the week" in bad.text
    assert html.fromstring(bad.content).xpath('//*[@id="weekday"]/@aria-invalid') == ["true"]
