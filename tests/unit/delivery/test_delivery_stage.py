"""DeliveryStage with test doubles: fallback, dead letters, held notices, idempotency,
metrics. No network, no broker; time is event time carried by the messages."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from forewarn.domain import Customer, Decision, Notification, Stage, to_iso
from forewarn.notifiers import DeliveryMetrics, Dispatcher, FailingNotifier, RecordingNotifier
from forewarn.notifiers.base import Notifier
from forewarn.streams import records
from forewarn.streams.delivery.policy import DeliveryPolicy, PolicySettings, QuietHours
from forewarn.streams.delivery.stage import DeliveryStage
from forewarn.templates import MessageRenderer
from tests.unit.delivery.policy_helpers import local

MakeDecision = Callable[..., Decision]
MakeCustomer = Callable[..., Customer]


async def _no_sleep(delay: float) -> None:
    return None


def stage_for(
    customers: list[Customer],
    notifiers: dict[str, Notifier],
    renderer: MessageRenderer,
    *,
    quiet: str = "",
    sent: dict[str, Any] | None = None,
    registry: CollectorRegistry | None = None,
    clock: Callable[[], float] = lambda: local("2026-11-22 14:00:05"),
    concurrency: int = 512,
) -> DeliveryStage:
    metrics = DeliveryMetrics(registry)
    dispatcher = Dispatcher(notifiers, sleep=_no_sleep, random=lambda: 0.0, metrics=metrics)
    by_id = {c.customer_id: c for c in customers}
    policy = DeliveryPolicy(PolicySettings(quiet_hours=QuietHours.parse(quiet)),
                            channels=dispatcher.channels)
    return DeliveryStage(by_id.__getitem__, renderer, dispatcher.deliver,
                         {} if sent is None else sent, policy=policy, metrics=metrics,
                         clock=clock, concurrency=concurrency)


def batch(*decisions: Decision) -> dict[str, Any]:
    return {"kind": "decisions", "items": [records.decision_to_record(d) for d in decisions]}


async def test_a_channel_failing_for_good_falls_back_to_the_next_one(
    make_decision: MakeDecision, make_customer: MakeCustomer, renderer: MessageRenderer
) -> None:
    sms, email = FailingNotifier(10**6, retryable=False), RecordingNotifier()
    stage = stage_for([make_customer()], {"sms": sms, "email": email}, renderer)
    result = await stage.handle(batch(make_decision()))
    assert [n.channel for n in result.delivered] == ["email"] and sms.calls == 1
    assert result.delivered[0].subject  # rendered afresh for e-mail
    assert stage.outcomes["fallback"] == 1 and stage.outcomes["sms:failed"] == 1


async def test_retries_exhausted_count_as_failed_for_good(
    make_decision: MakeDecision, make_customer: MakeCustomer, renderer: MessageRenderer
) -> None:
    sms, email = FailingNotifier(10**6), RecordingNotifier()
    stage = stage_for([make_customer()], {"sms": sms, "email": email}, renderer)
    result = await stage.handle(batch(make_decision()))
    assert sms.calls == 3 and [n.channel for n in result.delivered] == ["email"]


async def test_when_every_channel_fails_a_dead_letter_names_them_without_addresses(
    make_decision: MakeDecision, make_customer: MakeCustomer, renderer: MessageRenderer
) -> None:
    failing = {c: FailingNotifier(10**6) for c in ("sms", "email", "push")}
    registry = CollectorRegistry()
    stage = stage_for([make_customer()], dict(failing), renderer, registry=registry)
    decision = make_decision()
    result = await stage.handle(batch(decision))
    (dead,) = result.dead_letters
    assert dead["reason"] == "every usable channel failed" and dead["retryable"] is True
    assert dead["channels_tried"] == ["sms", "email", "push"]
    assert dead["notification_id"] == decision.notification_id
    assert "4915112345678" not in str(dead["errors"]) and "jane.doe" not in str(dead["errors"])
    assert [f.calls for f in failing.values()] == [3, 3, 3]
    assert registry.get_sample_value("forewarn_notifications_total", {
        "channel": "-", "stage": "outage", "outcome": "dead_letter"}) == 1
    assert (await stage.handle(batch(decision))).dead_letters == []  # not twice


async def test_a_customer_without_address_becomes_a_dead_letter(
    make_decision: MakeDecision, make_customer: MakeCustomer, renderer: MessageRenderer
) -> None:
    customer = make_customer(phone=None, email=None, push_token=None)
    stage = stage_for([customer], {"sms": RecordingNotifier()}, renderer)
    result = await stage.handle(batch(make_decision()))
    assert result.delivered == [] and "no address" in result.dead_letters[0]["reason"]


async def test_a_night_sms_is_held_and_released_by_the_morning_tick(
    make_decision: MakeDecision, make_customer: MakeCustomer, renderer: MessageRenderer
) -> None:
    sms = RecordingNotifier()
    stage = stage_for([make_customer()], {"sms": sms}, renderer, quiet="22:00-07:00")
    decision = make_decision(at="2026-11-22 23:30")
    held = await stage.handle(batch(decision))
    assert held.deferred == [decision.notification_id] and sms.delivered == []
    again = await stage.handle(batch(decision))  # redelivered batch: not held twice
    assert again.deferred == [] and stage.outcomes["duplicate_skipped"] == 1
    early = await stage.handle({"kind": "tick", "at": local("2026-11-23 06:59")})
    assert early.delivered == []
    morning = await stage.handle({"kind": "tick", "at": local("2026-11-23 07:00")})
    assert [n.notification_id for n in morning.delivered] == [decision.notification_id]
    assert morning.delivered[0].decided_at == to_iso(decision.decided_at)  # when decided
    assert stage.outcomes["released"] == 1
    assert (await stage.handle({"kind": "tick", "at": local("2026-11-23 08:00")})).delivered == []


async def test_a_drain_releases_every_held_notice(
    make_decision: MakeDecision, make_customer: MakeCustomer, renderer: MessageRenderer
) -> None:
    sms = RecordingNotifier()
    customers = [make_customer(customer_id=f"c-{i}") for i in range(3)]
    stage = stage_for(customers, {"sms": sms}, renderer, quiet="22:00-07:00")
    await stage.handle(batch(*(make_decision(customer_id=f"c-{i}", at="2026-11-22 23:30")
                               for i in range(3))))
    result = await stage.handle(records.drain_record("t"))
    assert len(result.delivered) == 3 and len(stage.policy.deferrals) == 0


async def test_an_outage_resolved_during_the_night_is_never_told(
    make_decision: MakeDecision, make_customer: MakeCustomer, renderer: MessageRenderer
) -> None:
    sms = RecordingNotifier()
    stage = stage_for([make_customer()], {"sms": sms}, renderer, quiet="22:00-07:00")
    await stage.handle(batch(make_decision(at="2026-11-22 23:30")))
    result = await stage.handle(batch(make_decision(stage=Stage.RESOLVED, at="2026-11-23 02:00")))
    assert sorted(reason for _, reason in result.dropped) == [
        "outage_never_told", "resolved_while_deferred"]
    assert (await stage.handle({"kind": "tick", "at": local("2026-11-23 09:00")})).delivered == []
    assert sms.delivered == []


async def test_priority_customers_are_delivered_first_even_at_night(
    make_decision: MakeDecision, make_customer: MakeCustomer, renderer: MessageRenderer
) -> None:
    sms = RecordingNotifier()
    customers = [make_customer(customer_id=f"c-{i}", priority=int(i == 3)) for i in range(5)]
    stage = stage_for(customers, {"sms": sms}, renderer, quiet="22:00-07:00")
    result = await stage.handle(batch(*(make_decision(customer_id=f"c-{i}",
                                                      at="2026-11-22 23:30") for i in range(5))))
    assert [n.customer_id for n in sms.delivered] == ["c-3"] and len(result.deferred) == 4


async def test_ids_from_the_ledger_are_never_delivered_again(
    make_decision: MakeDecision, make_customer: MakeCustomer, renderer: MessageRenderer
) -> None:
    sms = RecordingNotifier()
    stage = stage_for([make_customer()], {"sms": sms}, renderer)
    decision = make_decision()
    assert stage.needs_ledger(2)
    stage.remember(2, {decision.notification_id})
    assert not stage.needs_ledger(2)
    assert (await stage.handle(batch(decision))).delivered == [] and sms.delivered == []
    stage.forget([2])
    assert stage.needs_ledger(2)


async def test_outcomes_and_decision_to_delivery_latency_are_exported(
    make_decision: MakeDecision, make_customer: MakeCustomer, renderer: MessageRenderer
) -> None:
    registry = CollectorRegistry()
    stage = stage_for([make_customer()], {"sms": RecordingNotifier()}, renderer,
                      registry=registry, clock=lambda: local("2026-11-22 14:00:03"))
    await stage.handle(batch(make_decision()))
    assert registry.get_sample_value("forewarn_notifications_total", {
        "channel": "sms", "stage": "outage", "outcome": "delivered"}) == 1
    assert registry.get_sample_value("forewarn_delivery_policy_decisions_total",
                                     {"reason": "first_choice"}) == 1
    assert registry.get_sample_value("forewarn_decision_to_delivery_seconds_sum",
                                     {"channel": "sms", "stage": "outage"}) == 3.0
    assert registry.get_sample_value("forewarn_decision_to_delivery_seconds_bucket",
                                     {"channel": "sms", "stage": "outage", "le": "5.0"}) == 1


async def test_news_after_the_quiet_period_releases_held_notices_first(
    make_decision: MakeDecision, make_customer: MakeCustomer, renderer: MessageRenderer
) -> None:
    """A partition with news gets no tick: the decisions' own time releases what is due."""
    sms = RecordingNotifier()
    stage = stage_for([make_customer()], {"sms": sms}, renderer, quiet="22:00-07:00")
    await stage.handle(batch(make_decision(at="2026-11-22 23:30")))
    result = await stage.handle(batch(make_decision(stage=Stage.RESOLVED,
                                                    at="2026-11-23 08:00")))
    assert [n.stage for n in result.delivered] == ["outage", "resolved"]
    assert [n.stage for n in sms.delivered] == ["outage", "resolved"]


# -- receipts: durable before a notification counts as delivered ------------------------------

async def test_a_notification_is_recorded_as_sent_only_after_its_receipt_returned(
    make_decision: MakeDecision, make_customer: MakeCustomer, renderer: MessageRenderer
) -> None:
    sms, sent = RecordingNotifier(), {}
    stage = stage_for([make_customer()], {"sms": sms}, renderer, sent=sent)
    decision = make_decision()
    seen: list[tuple[str, bool, int]] = []

    async def receipt(notification: Notification) -> None:
        seen.append((notification.notification_id, notification.notification_id in sent,
                     len(sms.delivered)))

    result = await stage.handle(batch(decision), receipt)
    assert seen == [(decision.notification_id, False, 1)]  # after the send, before `sent`
    assert decision.notification_id in sent and len(result.delivered) == 1


async def test_a_delivery_slot_is_held_until_the_receipt_is_acknowledged(
    make_decision: MakeDecision, make_customer: MakeCustomer, renderer: MessageRenderer
) -> None:
    """At most ``concurrency`` notifications are ever sent without a durable receipt: those
    are all a crash can make the next worker send again."""
    sms = RecordingNotifier()
    customers = [make_customer(customer_id=f"c-{i}") for i in range(6)]
    stage = stage_for(customers, {"sms": sms}, renderer, concurrency=2)
    acks = asyncio.Event()
    unacked = {"now": 0, "most": 0}

    async def receipt(notification: Notification) -> None:
        unacked["now"] += 1
        unacked["most"] = max(unacked["most"], unacked["now"])
        await acks.wait()
        unacked["now"] -= 1

    handling = asyncio.ensure_future(stage.handle(
        batch(*(make_decision(customer_id=f"c-{i}") for i in range(6))), receipt))
    for _ in range(20):
        await asyncio.sleep(0)
    assert len(sms.delivered) == 2 and not handling.done()  # the broker has not answered
    acks.set()
    result = await handling
    assert len(result.delivered) == 6 and len(sms.delivered) == 6 and unacked["most"] == 2


async def test_a_failed_receipt_fails_the_message_and_records_nothing_as_sent(
    make_decision: MakeDecision, make_customer: MakeCustomer, renderer: MessageRenderer
) -> None:
    sms, sent = RecordingNotifier(), {}
    stage = stage_for([make_customer()], {"sms": sms}, renderer, sent=sent)
    decision = make_decision()

    async def broker_down(notification: Notification) -> None:
        raise ConnectionError("broker unreachable")

    with pytest.raises(ConnectionError):
        await stage.handle(batch(decision), broker_down)
    assert len(sms.delivered) == 1 and sent == {}  # sent, not recorded: retried next time
    assert stage.outcomes["sms:delivered"] == 0 and stage.outcomes["fallback"] == 0
    result = await stage.handle(batch(decision))  # the message again (after a restart)
    assert [n.notification_id for n in result.delivered] == [decision.notification_id]


@pytest.mark.parametrize("message", [{"control": "flush"}, {"kind": "decision", "items": []},
                                     {"kind": "tick"}, ["not", "an", "object"]])
async def test_an_unknown_outbox_message_is_a_dead_letter_not_a_drain(
    make_decision: MakeDecision, make_customer: MakeCustomer, renderer: MessageRenderer,
    message: Any,
) -> None:
    sms = RecordingNotifier()
    stage = stage_for([make_customer()], {"sms": sms}, renderer, quiet="22:00-07:00")
    await stage.handle(batch(make_decision(at="2026-11-22 23:30")))  # held until 07:00
    result = await stage.handle(message)
    assert result.drain is None and result.delivered == [] and len(stage.policy.deferrals) == 1
    assert [letter["topic"] for letter in result.dead_letters] == ["notifications.outbox"]
    assert stage.outcomes["unknown_message"] == 1
    drained = await stage.handle(records.drain_record("t"))  # the stage goes on
    assert drained.drain == records.Drain("t") and len(drained.delivered) == 1
