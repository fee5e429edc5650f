"""The subscriber forms as a reader's browser uses them: fields, subscribe, the emailed confirmation."""

from __future__ import annotations

import re

import httpx
from lxml import html

from syndicate import tokens
from syndicate.store import subscribers as subscriber_store
from tests.web.conftest import Web


def form_fields(page: httpx.Response) -> dict[str, str]:
    """The hidden fields of the page's form (the CSRF token)."""
    tree = html.fromstring(page.content)
    return {
        field.get("name"): field.get("value")
        for field in tree.xpath('//form//input[@type="hidden"]')
    }


def subscribe(web: Web, email: str, client: httpx.Client | None = None, **extra) -> httpx.Response:
    client = client or web.http
    page = client.get("/subscribe")
    data = {**form_fields(page), "email": email, **extra}
    return client.post("/subscribe", data=data)


def confirm_link(web: Web, to: str, count: int = 1) -> str:
    mails = [m for m in web.mails(count) if m["To"] == to]
    assert mails, f"no confirmation for {to}"
    body = mails[-1].get_body(("plain",)).get_content()
    found = re.search(r"(https?://\S+/confirm\?token=\S+)", body)
    assert found, body
    return found[1]


def press_confirm(web: Web, link: str, client: httpx.Client | None = None) -> httpx.Response:
    """Open the emailed link (which shows a button) and press the button."""
    client = client or web.http
    page = client.get(link)
    if page.status_code != 200 or not html.fromstring(page.content).xpath("//main//form"):
        return page
    action = html.fromstring(page.content).xpath("//main//form/@action")[0]
    return client.post(action, data=form_fields(page))


def status_of(web: Web, email: str) -> str | None:
    with web.engine.connect() as conn:
        found = subscriber_store.find(conn, email)
    return found.status if found else None


def _link(web: Web, purpose: str, email: str, **kwargs) -> str:
    with web.engine.connect() as conn:
        person = subscriber_store.find(conn, email)
    assert person is not None
    token = tokens.sign(
        "test-secret-of-at-least-32-characters",
        purpose,
        person.id,
        link_key=person.link_key,
        **kwargs,
    )
    return f"{web.url}/{purpose}?token={token}"
