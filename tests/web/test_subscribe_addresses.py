"""The subscribe form over HTTP: invisible characters are refused, and every way of writing
one inbox counts against that inbox's limit and makes one subscriber."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from syndicate.store.tables import subscribers as subscribers_table
from tests.web.forms import subscribe


def stored(web) -> list[str]:
    with web.engine.connect() as conn:
        return list(conn.execute(select(subscribers_table.c.email)).scalars())


@pytest.mark.parametrize(
    "email",
    [
        "victim@exam\u200bple.org",
        "victim@exam\u00adple.org",
        "victim@\ufeffexample.org",
        "victim@exam\u202eple.org",
        "vic\u200dtim@example.org",
        "victim@example.org\u0085",
    ],
)
def test_invisible_characters_are_refused(start_web, email: str) -> None:
    web = start_web()
    response = subscribe(web, email)
    assert response.status_code == 400
    assert "Enter a valid email address" in response.text
    assert stored(web) == []


def test_folded_forms_of_one_inbox_share_its_limit(start_web) -> None:
    web = start_web(email_limit=(3, 3600.0))
    forms = [
        "victim@example.org",
        "victim@ｅｘａｍｐｌｅ.org",
        "victim@example。org",
        "victim@EXAMPLE.org",
    ]
    assert [subscribe(web, form).status_code for form in forms] == [200, 200, 200, 429]
    assert stored(web) == ["victim@example.org"]
    assert len(web.mails(3, timeout=2)) == 3


def test_an_idn_written_both_ways_is_one_subscriber(start_web) -> None:
    web = start_web()
    assert subscribe(web, "idn@bücher.example").status_code == 200
    assert subscribe(web, "idn@xn--bcher-kva.example").status_code == 200
    assert stored(web) == ["idn@bücher.example"]
    mails = web.mails(2, timeout=2)
    assert {m["To"] for m in mails} == {"idn@xn--bcher-kva.example"}
