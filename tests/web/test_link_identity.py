"""A link acts only on the subscriber it was made for: removed and re-added addresses, and
whoever comes next, over real HTTP on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import httpx
from sqlalchemy import insert, update

from syndicate.digest import DigestRenderer, select_edition
from syndicate.store import subscribers as subscriber_store
from syndicate.store.tables import subscribers as subscribers_table
from syndicate.subscribers import Subscriber
from tests.cli import syndicate
from tests.digest_data import NOW, english_edition
from tests.web.conftest import Web
from tests.web.forms import (
    confirm_link,
    form_fields,
    press_confirm,
    status_of,
    subscribe,
)

GONE = "This link is no longer valid"


def stored(web: Web, email: str) -> Subscriber:
    with web.engine.connect() as conn:
        found = subscriber_store.find(conn, email)
    assert found is not None, email
    return found


def subscribed(web: Web, email: str, mails_before: int) -> str:
    """Subscribe through the form and confirm through the mailed link; returns that link."""
    assert subscribe(web, email).status_code == 200
    link = confirm_link(web, email, count=mails_before + 1)
    assert press_confirm(web, link).status_code == 200
    assert status_of(web, email) == "active"
    return link


def digest_for(web: Web, email: str) -> EmailMessage:
    """The digest delivery would send this subscriber now, parsed."""
    person = stored(web, email)
    edition = select_edition(person, english_edition(), None, NOW, web.settings)
    raw = DigestRenderer(web.settings).message(edition, person).message
    message = message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def digest_links(message: EmailMessage) -> tuple[str, str]:
    """(one-click unsubscribe, preferences) as the digest carries them."""
    found = re.match(r"<([^>]+)>", str(message["List-Unsubscribe"]))
    assert found
    body = message.get_body(("plain",))
    assert body is not None
    preferences = re.search(r"(http\S+/preferences\?token=\S+)", body.get_content())
    assert preferences
    return found[1], preferences[1]


def one_click(url: str) -> httpx.Response:
    """RFC 8058 as a mail provider sends it: no cookie, no CSRF token."""
    with httpx.Client(timeout=10) as provider:
        return provider.post(
            url,
            content=b"List-Unsubscribe=One-Click",
            headers={"content-type": "application/x-www-form-urlencoded"},
        )


def assert_refused(response: httpx.Response, *, never: str) -> None:
    assert response.status_code == 410, response.text
    assert GONE in response.text
    assert never not in response.text


def keyless_token(purpose: str, subscriber_id: int) -> str:
    """A link as signed before links carried the row's key (three fields)."""
    payload = f"{purpose}:{subscriber_id}:0".encode("ascii")
    mac = hmac.new(b"test-secret-of-at-least-32-characters", payload, hashlib.sha256).digest()[:20]

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")

    return f"{b64(payload)}.{b64(mac)}"


def test_a_removed_subscribers_links_never_act_on_the_next_one(
    start_web, db_url: str, tmp_path: Path
) -> None:
    web = start_web(db_url)
    old_confirm = subscribed(web, "old@example.org", 0)
    old = stored(web, "old@example.org")
    old_digest = digest_for(web, "old@example.org")
    old_unsubscribe, old_preferences = digest_links(old_digest)
    assert web.http.get(old_preferences).status_code == 200  # they work while the row is there

    removed = syndicate(tmp_path / "config.toml", "subscribers", "remove", "old@example.org")
    assert removed.returncode == 0, removed.stderr
    subscribed(web, "new-person@example.net", 1)
    newcomer = stored(web, "new-person@example.net")
    assert newcomer.id > old.id  # SQLite too: the removed row's id is not handed out again

    assert_refused(web.http.get(old_preferences), never="new-person@example.net")
    fields = form_fields(web.http.get("/subscribe"))
    posted = web.http.post(
        old_preferences,
        data={**fields, "sections": ["politics"], "digest_time": "05:00", "language": "es"},
    )
    assert_refused(posted, never="new-person@example.net")
    assert_refused(one_click(old_unsubscribe), never="new-person@example.net")
    assert_refused(web.http.get(old_unsubscribe), never="new-person@example.net")
    assert_refused(web.http.post(old_unsubscribe, data=fields), never="new-person@example.net")
    assert_refused(web.http.get(old_confirm), never="new-person@example.net")
    after = stored(web, "new-person@example.net")
    assert after == newcomer  # untouched: status, sections, time, language
    assert after.status == "active"

    # The same address back is a new row: the old links stay refused, new ones work.
    subscribed(web, "old@example.org", 2)
    again = stored(web, "old@example.org")
    assert again.id > newcomer.id and again.link_key != old.link_key
    assert_refused(web.http.get(old_preferences), never="old@example.org")
    assert_refused(one_click(old_unsubscribe), never="old@example.org")
    assert status_of(web, "old@example.org") == "active"
    new_digest = digest_for(web, "old@example.org")
    new_unsubscribe, new_preferences = digest_links(new_digest)
    page = web.http.get(new_preferences)
    assert page.status_code == 200 and "old@example.org" in page.text
    assert one_click(new_unsubscribe).status_code == 200
    assert status_of(web, "old@example.org") == "unsubscribed"
    assert status_of(web, "new-person@example.net") == "active"

    ids = {
        str(old_digest["Message-ID"]),
        str(new_digest["Message-ID"]),
        str(digest_for(web, "new-person@example.net")["Message-ID"]),
    }
    assert len(ids) == 3


def test_keyless_links_only_for_rows_from_before_keys(start_web, db_url: str) -> None:
    web = start_web(db_url)
    subscribed(web, "early@example.org", 0)
    early = stored(web, "early@example.org")
    url = f"{web.url}/preferences?token={keyless_token('preferences', early.id)}"
    assert_refused(web.http.get(url), never="early@example.org")  # added after keys: refused
    with web.engine.begin() as conn:  # as the migration marks the rows it found
        conn.execute(
            update(subscribers_table)
            .where(subscribers_table.c.id == early.id)
            .values(unkeyed_links=True)
        )
    page = web.http.get(url)
    assert page.status_code == 200
    assert "early@example.org" in page.text
    unsubscribe = f"{web.url}/unsubscribe?token={keyless_token('unsubscribe', early.id)}"
    assert one_click(unsubscribe).status_code == 200
    assert status_of(web, "early@example.org") == "unsubscribed"
    # Removed and added again, the address is a new row: the old keyless links are refused.
    with web.engine.begin() as conn:
        subscriber_store.remove(conn, "early@example.org")
    subscribed(web, "early@example.org", 1)
    assert_refused(web.http.get(url), never="early@example.org")
    assert_refused(one_click(unsubscribe), never="early@example.org")
    assert status_of(web, "early@example.org") == "active"


def test_confirmation_message_ids_differ(start_web, db_url: str) -> None:
    web = start_web(db_url)
    assert subscribe(web, "twice@example.org").status_code == 200
    web.mails(1)
    assert subscribe(web, "twice@example.org").status_code == 200  # same second (fixed clock)
    first, second = web.mails(2)
    assert first["Message-ID"] != second["Message-ID"]
    with web.engine.begin() as conn:
        subscriber_store.remove(conn, "twice@example.org")
    assert subscribe(web, "twice@example.org").status_code == 200
    ids = {str(m["Message-ID"]) for m in web.mails(3)}
    assert len(ids) == 3
    # The last mailed link confirms the row it was mailed for.
    assert press_confirm(web, confirm_link(web, "twice@example.org", count=3)).status_code == 200
    assert status_of(web, "twice@example.org") == "active"


def test_a_row_given_the_old_id_still_refuses_the_old_links(start_web, db_url: str) -> None:
    """Even where a database hands an id out again, the row's key keeps the links apart."""
    web = start_web(db_url)
    subscribed(web, "first@example.org", 0)
    first = stored(web, "first@example.org")
    unsubscribe, preferences = digest_links(digest_for(web, "first@example.org"))
    with web.engine.begin() as conn:
        subscriber_store.remove(conn, "first@example.org")
        conn.execute(
            insert(subscribers_table).values(
                id=first.id,
                email="second@example.org",
                status="active",
                all_sections=True,
                timezone="UTC",
                language="en",
                digest_time="07:00",
                hard_bounces=0,
                created_at=NOW,
            )
        )
    assert stored(web, "second@example.org").id == first.id
    assert_refused(web.http.get(preferences), never="second@example.org")
    assert_refused(one_click(unsubscribe), never="second@example.org")
    assert status_of(web, "second@example.org") == "active"
