"""build_notification: channel choice and every CONTRACT §6 field."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from forewarn.domain import Customer, Decision, Stage, to_iso
from forewarn.notifiers import build_notification
from forewarn.templates import MessageRenderer


def test_the_first_preferred_channel_with_an_address_is_used(
    renderer: MessageRenderer,
    make_decision: Callable[..., Decision],
    make_customer: Callable[..., Customer],
) -> None:
    customer = make_customer(channels=("push", "email", "sms"), push_token=None)
    n = build_notification(make_decision(), customer, renderer)
    assert n is not None
    assert (n.channel, n.to) == ("email", "jane.doe@example.org")


def test_no_address_on_any_preferred_channel_yields_none(
    renderer: MessageRenderer,
    make_decision: Callable[..., Decision],
    make_customer: Callable[..., Customer],
) -> None:
    customer = make_customer(channels=("sms", "push"), phone=None, push_token="")
    assert build_notification(make_decision(), customer, renderer) is None
    assert build_notification(make_decision(), make_customer(channels=()), renderer) is None


def test_a_forced_channel_is_used_if_the_customer_has_an_address_for_it(
    renderer: MessageRenderer,
    make_decision: Callable[..., Decision],
    make_customer: Callable[..., Customer],
) -> None:
    n = build_notification(make_decision(), make_customer(), renderer, channel="push")
    assert n is not None and n.channel == "push" and n.title
    assert (
        build_notification(make_decision(), make_customer(email=None), renderer, channel="email")
        is None
    )


@pytest.mark.parametrize("channel", ["sms", "push", "email"])
def test_every_contract_field_is_filled(
    renderer: MessageRenderer,
    make_decision: Callable[..., Decision],
    make_customer: Callable[..., Customer],
    channel: str,
) -> None:
    decision = make_decision(
        stage=Stage.RESOLVED, services=("fibre", "mobile"), ended_at=1_795_355_700.0
    )
    customer = make_customer(channels=(channel,), language="en", priority=1)
    n = build_notification(decision, customer, renderer, delivered_at="2026-11-22T14:00:02+00:00")
    assert n is not None
    assert n.notification_id == decision.notification_id
    assert n.customer_id == "c-1"
    assert n.incident_id == decision.incident_id
    assert n.stage == "resolved"
    assert n.services == ["mobile", "fibre"]
    assert n.channel == channel
    assert n.to == customer.address(channel)
    assert n.language == "en"
    assert (n.subject is not None) == (channel == "email")
    assert n.text
    assert n.decided_at == to_iso(decision.decided_at) == "2026-11-22T14:00:00+00:00"
    assert n.delivered_at == "2026-11-22T14:00:02+00:00"
    assert (n.html is not None) == (channel == "email")
    assert (n.title is not None) == (channel == "push")
    assert n.priority == 1
    assert "html" not in n.record() and "title" not in n.record()


def test_the_same_decision_always_builds_the_same_record(
    renderer: MessageRenderer,
    make_decision: Callable[..., Decision],
    make_customer: Callable[..., Customer],
) -> None:
    first = build_notification(make_decision(), make_customer(), renderer)
    again = build_notification(make_decision(), make_customer(), renderer)
    assert first == again


def test_a_decision_for_another_customer_is_a_wiring_bug(
    renderer: MessageRenderer,
    make_decision: Callable[..., Decision],
    make_customer: Callable[..., Customer],
) -> None:
    with pytest.raises(ValueError, match="c-2"):
        build_notification(make_decision(customer_id="c-2"), make_customer(), renderer)
