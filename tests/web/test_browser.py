"""A reader in a real headless Chromium: subscribe, confirm from the email, preferences, leave.

Uses Debian's `chromium` and `chromium-driver` and npm's `axe-core` (installed by .ci/run); skipped with
the reason when they are missing, so `make test` passes on a fresh machine.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from syndicate.store import subscribers as subscriber_store
from tests.web.conftest import Web

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)),
        reason="Debian's chromium and chromium-driver are not installed "
        "(.ci/run installs them; by hand: apt-get install -y chromium chromium-driver)",
    ),
]


@pytest.fixture
def browser() -> Iterator[object]:
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=390,844",  # a phone's screen
        "--lang=en-US",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


def heading(driver, expected: str) -> str | None:
    """The page's h1 once it reads ``expected`` (or after 10 s, whatever it reads then).

    After a click the old page may still be there, or be torn down while it is read,
    which Chromium reports as a stale element, a detached node or an unloaded
    document: each of these only means "not the new page yet", so keep waiting.
    """
    from selenium.common.exceptions import TimeoutException, WebDriverException
    from selenium.webdriver.support.ui import WebDriverWait

    read_h1 = "const h = document.querySelector('h1'); return h ? h.textContent.trim() : null;"

    def current(d) -> str | None:
        try:
            found = d.execute_script(read_h1)
        except WebDriverException:
            return None
        return None if found is None else str(found)

    with contextlib.suppress(TimeoutException):
        WebDriverWait(driver, 10).until(lambda d: current(d) == expected)
    return current(driver)


def test_reader_journey(start_web, browser) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select

    driver = browser
    web: Web = start_web()

    driver.get(f"{web.url}/subscribe")
    assert heading(driver, "Subscribe to the daily digest") == "Subscribe to the daily digest"
    # Nothing overflows a phone's width.
    assert driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")
    driver.find_element(By.XPATH, '//label[normalize-space()="World"]').click()
    email = driver.find_element(By.ID, "email")
    email.send_keys("reader@example.com")
    email.send_keys(Keys.ENTER)  # the keyboard is enough to send the form
    assert heading(driver, "Check your inbox") == "Check your inbox"

    mails = web.mails(1)
    assert [m["To"] for m in mails] == ["reader@example.com"]
    text = mails[0].get_body(("plain",)).get_content()
    link = re.search(r"(http://\S+/confirm\?token=\S+)", text)
    assert link, text
    driver.get(link[1])
    # Opening the link only asks; a mail scanner that follows it confirms nothing.
    assert heading(driver, "Confirm your subscription") == "Confirm your subscription"
    with web.engine.connect() as conn:
        assert subscriber_store.find(conn, "reader@example.com").status == "pending"  # type: ignore[union-attr]
    driver.find_element(By.CSS_SELECTOR, 'main button[type="submit"]').click()
    assert heading(driver, "You are subscribed") == "You are subscribed"

    driver.find_element(By.LINK_TEXT, "Change your preferences").click()
    assert heading(driver, "Your preferences") == "Your preferences"
    world = driver.find_element(By.CSS_SELECTOR, 'input[name="sections"][value="world"]')
    assert world.is_selected()
    world.click()
    driver.find_element(By.CSS_SELECTOR, 'input[name="sections"][value="mundo"]').click()
    zone = driver.find_element(By.ID, "timezone")
    zone.clear()
    zone.send_keys("Europe/Madrid")
    Select(driver.find_element(By.ID, "language")).select_by_value("es")
    driver.find_element(By.CSS_SELECTOR, 'button[type="submit"]').click()
    assert heading(driver, "Tus preferencias") == "Tus preferencias"
    assert "Tus preferencias se guardaron." in driver.page_source
    with web.engine.connect() as conn:
        reader = subscriber_store.find(conn, "reader@example.com")
    assert reader is not None
    assert (reader.status, reader.sections, reader.timezone, reader.language) == (
        "active",
        ("mundo",),
        "Europe/Madrid",
        "es",
    )

    driver.find_element(By.LINK_TEXT, "Darme de baja").click()
    assert heading(driver, "Darse de baja") == "Darse de baja"
    with web.engine.connect() as conn:
        assert subscriber_store.find(conn, "reader@example.com").status == "active"  # type: ignore[union-attr]
    driver.find_element(By.CSS_SELECTOR, "button.danger").click()
    assert heading(driver, "Te diste de baja") == "Te diste de baja"
    with web.engine.connect() as conn:
        assert subscriber_store.find(conn, "reader@example.com").status == "unsubscribed"  # type: ignore[union-attr]


AXE = (
    Path(__file__).resolve().parents[2]
    / ".venv"
    / "npm"
    / "node_modules"
    / "axe-core"
    / "axe.min.js"
)


def accessible(driver) -> list[str]:
    """axe-core's serious and critical violations on the current page (none is the goal)."""
    driver.execute_script(AXE.read_text(encoding="utf-8"))
    found = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {resultTypes: ['violations']})"
        ".then(r => done(r.violations.map(v => [v.id, v.impact, v.nodes.length])))"
        ".catch(e => done([['axe failed', String(e), 0]]));"
    )
    return [
        f"{rule} ({impact}, {nodes} nodes)"
        for rule, impact, nodes in found
        if impact in ("serious", "critical") or rule == "axe failed"
    ]


def check_page(driver, expected: str) -> None:
    assert heading(driver, expected) == expected
    assert driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")
    assert accessible(driver) == [], expected


@pytest.mark.skipif(
    not AXE.is_file(),
    reason=f"axe-core is not installed at {AXE} "
    "(.ci/run installs it: npm install --prefix .venv/npm axe-core@4)",
)
def test_feed_page_to_unsubscribe_with_axe(start_web, browser) -> None:
    """Feed page -> subscribe -> confirm -> pause -> send me my link -> unsubscribe with a
    reason, each page phone-sized and without serious or critical axe-core violations."""
    from datetime import timedelta

    from selenium.webdriver.common.by import By

    from syndicate.digest.selection import local_date
    from syndicate.feeds.publish import publish
    from syndicate.store import selfservice
    from tests.stored_articles import add_articles

    driver = browser
    web: Web = start_web(feed_check_seconds=0)
    add_articles(
        web.engine,
        web.settings,
        web.clock.now() - timedelta(hours=1),
        {
            "url": "https://news.example.org/world/1",
            "headline": "Harbour reopens after storm",
            "lede": "Ships returned on Tuesday.",
        },
    )
    publish(web.engine, web.settings, web.clock)

    driver.get(f"{web.url}/feeds/world/rss.xml")
    check_page(driver, "Test News: World")
    assert "Harbour reopens after storm" in driver.page_source
    form = driver.find_element(By.CSS_SELECTOR, "section.by-email form")
    form.find_element(By.ID, "email").send_keys("reader@example.com")
    form.find_element(By.CSS_SELECTOR, "button").click()
    check_page(driver, "Subscribe to the daily digest")
    assert driver.find_element(By.ID, "email").get_attribute("value") == "reader@example.com"
    assert driver.find_element(By.CSS_SELECTOR, 'input[value="world"]').is_selected()
    driver.find_element(By.CSS_SELECTOR, 'main form button[type="submit"]').click()
    check_page(driver, "Check your inbox")

    (mail,) = web.mails(1)
    link = re.search(r"(http://\S+/confirm\?token=\S+)", mail.get_body(("plain",)).get_content())
    assert link
    driver.get(link[1])
    check_page(driver, "Confirm your subscription")
    driver.find_element(By.CSS_SELECTOR, 'main button[type="submit"]').click()
    check_page(driver, "You are subscribed")
    driver.find_element(By.LINK_TEXT, "Change your preferences").click()
    check_page(driver, "Your preferences")

    until = local_date(web.clock.now(), "America/Lima") + timedelta(days=10)
    driver.execute_script(f"document.getElementById('until').value = '{until.isoformat()}';")
    driver.find_element(By.CSS_SELECTOR, 'button[value="pause"]').click()
    check_page(driver, "Your preferences")
    assert f"paused until {until.isoformat()}" in driver.page_source
    with web.engine.connect() as conn:
        assert subscriber_store.find(conn, "reader@example.com").paused_until == until  # type: ignore[union-attr]

    driver.get(f"{web.url}/subscribe")
    driver.find_element(By.PARTIAL_LINK_TEXT, "Lost your preferences link").click()
    check_page(driver, "Get your preferences link")
    driver.find_element(By.ID, "email").send_keys("reader@example.com")
    driver.find_element(By.CSS_SELECTOR, 'main button[type="submit"]').click()
    check_page(driver, "Check your inbox")
    mails = web.mails(2)
    assert len(mails) == 2 and "preferences" in mails[1]["Subject"]
    link = re.search(
        r"(http://\S+/preferences\?token=\S+)", mails[1].get_body(("plain",)).get_content()
    )
    assert link
    driver.get(link[1])
    check_page(driver, "Your preferences")

    driver.find_element(By.LINK_TEXT, "Unsubscribe").click()
    check_page(driver, "Unsubscribe")
    driver.find_element(By.XPATH, '//label[normalize-space()="Too many emails"]').click()
    driver.find_element(By.ID, "note").send_keys("Weekly would suit me")
    driver.find_element(By.CSS_SELECTOR, "button.danger").click()
    check_page(driver, "You are unsubscribed")
    with web.engine.connect() as conn:
        assert subscriber_store.find(conn, "reader@example.com").status == "unsubscribed"  # type: ignore[union-attr]
        reasons = selfservice.unsubscribe_reasons(conn)
    assert reasons == [("too_many", 1)]
    # The pages a reader reaches from there: the feeds index and the archive.
    driver.get(f"{web.url}/feeds/")
    check_page(driver, "Feeds")
    driver.find_element(By.LINK_TEXT, "Past editions").click()
    check_page(driver, "Past editions")
    assert driver.find_elements(By.CSS_SELECTOR, "ul.editions a")
