"""Breaking-news alerts and weekly editions as messages: golden files, en and es."""

from __future__ import annotations

from dataclasses import replace

import pytest

from syndicate.digest import DigestRenderer, select_edition
from syndicate.digest.alert_message import AlertRenderer
from syndicate.digest.corrections import CORRECTION, RETRACTION, Notice
from tests.digest_data import NOW, english_edition, spanish_edition, subscriber
from tests.golden import assert_golden
from tests.messages import content, parse


def headers_text(message) -> str:  # type: ignore[no-untyped-def]
    return "".join(f"{name}: {value}\n" for name, value in message.items())


READERS = {
    "en": (english_edition, subscriber(7, ("world", "politics"))),
    "es": (
        spanish_edition,
        subscriber(
            8, ("mundo",), language="es", timezone="Europe/Madrid", email="lectora@example.org"
        ),
    ),
}


@pytest.mark.parametrize("name", ["en", "es"])
def test_golden_alert(settings, name: str) -> None:
    articles, reader = READERS[name]
    article = articles()[0]
    rendered = AlertRenderer(DigestRenderer(settings)).message(article, reader, NOW)
    message = parse(rendered.message)
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert (
        message["Message-ID"] == f"<alert.{article.id}.{reader.id}.{reader.link_key}@example.com>"
    )
    assert_golden(f"digest/alert-{name}.headers", headers_text(message))
    assert_golden(f"digest/alert-{name}.txt", content(message, "plain"))
    assert_golden(f"digest/alert-{name}.html", content(message, "html"))


@pytest.mark.parametrize("name", ["en", "es"])
def test_golden_weekly_edition_with_corrections(settings, name: str) -> None:
    articles, reader = READERS[name]
    reader = replace(reader, cadence="weekly", weekday="sat")
    shown = articles()
    corrected = replace(shown[0], id=90, correction="The minister's name was misspelled.")
    withdrawn = replace(shown[-1], id=91, withdrawn=True)
    notices = [Notice(corrected, CORRECTION), Notice(withdrawn, RETRACTION)]
    edition = select_edition(reader, shown, None, NOW, settings, notices=notices)
    message = parse(DigestRenderer(settings).message(edition, reader).message)
    text = content(message, "plain")
    assert ("This week" in text) if name == "en" else ("esta semana" in text)
    assert_golden(f"digest/weekly-{name}.txt", text)
    assert_golden(f"digest/weekly-{name}.html", content(message, "html"))
