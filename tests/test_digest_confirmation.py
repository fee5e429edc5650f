"""The double opt-in email, rendered on its own: links, language, headers, a clean parse."""

from __future__ import annotations

from datetime import timedelta

from syndicate.digest.confirmation import ConfirmationRenderer, build_confirmation_message
from tests.digest_data import NOW, subscriber
from tests.messages import content, parse

LINK = "https://feeds.example.org/confirm?token=abc"


def test_confirmation_message(settings):
    reader = subscriber(5, language="es")
    message = parse(build_confirmation_message(settings, reader, LINK, NOW))
    assert message["Subject"] == "Confirma tu suscripción a Test News"
    assert message["To"] == "reader5@example.org"
    assert message["Auto-Submitted"] == "auto-generated"
    assert LINK in content(message, "plain")
    assert f'href="{LINK}"' in content(message, "html")
    assert message["List-Unsubscribe"] is None
    assert message["DKIM-Signature"] is None


def test_one_renderer_makes_every_confirmation_of_a_run(settings):
    render = ConfirmationRenderer(settings)
    first = parse(render.message(subscriber(1), LINK, NOW))
    second = parse(render.message(subscriber(2, email="otra@example.org"), LINK + "2", NOW))
    later = parse(render.message(subscriber(1), LINK, NOW + timedelta(minutes=5)))
    assert first["Subject"] == "Confirm your subscription to Test News"
    assert second["To"] == "otra@example.org" and LINK + "2" in content(second, "plain")
    ids = {m["Message-ID"] for m in (first, second, later)}
    assert len(ids) == 3 and all(i.endswith("@example.com>") for i in ids)
