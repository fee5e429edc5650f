"""The subscriber lifecycle: who may move a subscriber from which status to which (pure)."""

from __future__ import annotations

import pytest

from syndicate.subscribers.lifecycle import CLOSED, RECEIVES, STATUSES, Actor, decide, sources


def test_the_statuses_are_those_of_the_design() -> None:
    assert STATUSES == ("pending", "active", "unsubscribed", "bounced", "complained")
    assert RECEIVES == {
        "digest": "active",
        "alert": "active",
        "confirmation": "pending",
        "link": "active",
    }


@pytest.mark.parametrize("closed", sorted(CLOSED))
@pytest.mark.parametrize("wanted", ["active", "pending"])
def test_an_import_never_brings_a_closed_address_back(closed: str, wanted: str) -> None:
    decision = decide(closed, wanted, Actor.IMPORT)
    assert decision.refused and decision.status == closed
    assert "only the subscriber can subscribe again" in decision.reason
    assert not decision.owes_confirmation


@pytest.mark.parametrize("closed", sorted(CLOSED))
def test_the_operator_cannot_activate_a_closed_address(closed: str) -> None:
    assert decide(closed, "active", Actor.OPERATOR).refused


@pytest.mark.parametrize("closed", ["unsubscribed", "bounced"])
def test_the_operator_may_ask_a_closed_address_again(closed: str) -> None:
    again = decide(closed, "pending", Actor.OPERATOR)
    assert again.allowed and again.status == "pending" and again.owes_confirmation


def test_nobody_but_the_person_mails_an_address_that_complained() -> None:
    for actor in (Actor.OPERATOR, Actor.IMPORT, Actor.SYSTEM, Actor.REPORT):
        decision = decide("complained", "pending", actor)
        assert decision.refused and decision.status == "complained"
        assert not decision.owes_confirmation
    assert decide("complained", "pending", Actor.PERSON).owes_confirmation


def test_only_the_person_confirms_a_closed_address_back_through_pending() -> None:
    asked = decide("unsubscribed", "pending", Actor.PERSON)
    assert asked.allowed and asked.owes_confirmation
    assert decide("pending", "active", Actor.PERSON).allowed
    assert decide("unsubscribed", "active", Actor.PERSON).refused


def test_asking_an_active_subscriber_to_confirm_keeps_them_active() -> None:
    for actor in (Actor.PERSON, Actor.OPERATOR, Actor.IMPORT):
        decision = decide("active", "pending", actor)
        assert decision.allowed and decision.status == "active"
        assert not decision.owes_confirmation


def test_new_addresses() -> None:
    assert decide(None, "pending", Actor.PERSON).owes_confirmation
    assert decide(None, "active", Actor.PERSON).refused  # a person always confirms first
    assert decide(None, "active", Actor.IMPORT).status == "active"
    assert decide(None, "unsubscribed", Actor.IMPORT).status == "unsubscribed"


def test_reports_and_the_system_close_addresses_only() -> None:
    assert sources("bounced", Actor.SYSTEM) == {"active"}
    assert sources("complained", Actor.REPORT) == {"pending", "active", "unsubscribed"}
    assert sources("active", Actor.REPORT) == frozenset()
    assert sources("active", Actor.SYSTEM) == frozenset()


def test_the_person_may_always_unsubscribe_and_confirm_only_from_pending() -> None:
    assert sources("unsubscribed", Actor.PERSON) == {"pending", "active", "bounced", "complained"}
    assert sources("active", Actor.PERSON) == {"pending"}
