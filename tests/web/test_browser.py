"""A reader in a real headless Chromium: subscribe, confirm from the email, preferences, leave.

Uses Debian's `chromium` and `chromium-driver` (installed by .ci/run); skipped with
the reason when they are missing, so `make test` passes on a fresh machine.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
from collections.abc import Iterator

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
