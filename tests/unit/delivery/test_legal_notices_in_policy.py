"""Delivery never holds, spaces or caps a legal notice: it is owed at ``notice_hour`` on its
legal day (CONTRACT §4), so quiet hours, ``min_update_gap_s`` and ``max_per_day`` could only
make it late or lost. Other updates keep those rules."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest

from forewarn.domain import Customer, Decision, Stage
from forewarn.notifiers import Dispatcher, FailingNotifier, RecordingNotifier
from forewarn.streams import records
from forewarn.streams.delivery.policy import (
    Action,
    DeliveryPolicy,
    PolicyReason,
    PolicySettings,
    QuietHours,
)
from forewarn.streams.delivery.stage import DeliveryStage
from forewarn.streams.reasons import Reason
from forewarn.templates import MessageRenderer
from tests.unit.delivery.policy_helpers import local

MakeDecision = Callable[..., Decision]
MakeCustomer = Callable[..., Customer]
LEGAL = [Reason.LEGAL_DAY1, Reason.LEGAL_COMPENSATION, Reason.LEGAL_AUTO_COMPENSATION]


def update(make_decision: MakeDecision, reason: str, at: str = "2026-11-23 09:00") -> Decision:
    return make_decision(stage=Stage.UPDATE, reason=reason, at=at)


@pytest.mark.parametrize("reason", LEGAL)
def test_a_legal_notice_inside_quiet_hours_goes_out_at_once(
    make_decision: MakeDecision, make_customer: MakeCustomer, reason: str
) -> None:
    policy = DeliveryPolicy(PolicySettings(quiet_hours=QuietHours.parse("08:00-10:00")))
    verdict = policy.assess(update(make_decision, reason), make_customer(),
                            local("2026-11-23 09:00"))
    assert (verdict.action, verdict.reason) == (Action.SEND, PolicyReason.LEGAL_NOTICE)
    assert verdict.routes[0][0] == "sms"


def test_a_noc_update_at_the_same_instant_still_waits_for_quiet_hours_to_end(
    make_decision: MakeDecision, make_customer: MakeCustomer
) -> None:
    policy = DeliveryPolicy(PolicySettings(quiet_hours=QuietHours.parse("08:00-10:00")))
    verdict = policy.assess(update(make_decision, Reason.NOC_UPDATE), make_customer(),
                            local("2026-11-23 09:00"))
    assert (verdict.action, verdict.reason) == (Action.DEFER, PolicyReason.DEFERRED_QUIET_HOURS)


@pytest.mark.parametrize("reason", LEGAL)
def test_a_legal_notice_is_never_spaced_by_the_update_gap(
    make_decision: MakeDecision, make_customer: MakeCustomer, reason: str
) -> None:
    policy = DeliveryPolicy(PolicySettings(min_update_gap_s=3600))
    customer = make_customer()
    earlier = update(make_decision, Reason.NOC_UPDATE, "2026-11-23 08:50")
    policy.record_delivery(earlier, customer, local("2026-11-23 08:50"))
    assert policy.assess(update(make_decision, Reason.NOC_UPDATE), customer,
                         local("2026-11-23 09:00")).reason is PolicyReason.DEFERRED_UPDATE_GAP
    verdict = policy.assess(update(make_decision, reason), customer, local("2026-11-23 09:00"))
    assert (verdict.action, verdict.reason) == (Action.SEND, PolicyReason.LEGAL_NOTICE)


@pytest.mark.parametrize("reason", LEGAL)
def test_a_legal_notice_is_never_dropped_by_the_daily_cap(
    make_decision: MakeDecision, make_customer: MakeCustomer, reason: str
) -> None:
    policy = DeliveryPolicy(PolicySettings(max_per_day=1))
    customer = make_customer()
    policy.record_delivery(update(make_decision, Reason.NOC_UPDATE, "2026-11-23 08:00"),
                           customer, local("2026-11-23 08:00"))
    assert policy.assess(update(make_decision, Reason.NOC_UPDATE), customer,
                         local("2026-11-23 09:00")).reason is PolicyReason.DAILY_CAP
    verdict = policy.assess(update(make_decision, reason), customer, local("2026-11-23 09:00"))
    assert (verdict.action, verdict.reason) == (Action.SEND, PolicyReason.LEGAL_NOTICE)


async def test_a_legal_notice_falling_back_to_sms_inside_quiet_hours_is_not_held(
    make_decision: MakeDecision, make_customer: MakeCustomer, renderer: MessageRenderer
) -> None:
    email, sms = FailingNotifier(10**6, retryable=False), RecordingNotifier()
    dispatcher = Dispatcher({"email": email, "sms": sms}, sleep=_no_sleep, random=lambda: 0.0)
    customer = make_customer(channels=("email", "sms"))
    policy = DeliveryPolicy(PolicySettings(quiet_hours=QuietHours.parse("08:00-10:00")),
                            channels=dispatcher.channels)
    stage = DeliveryStage({customer.customer_id: customer}.__getitem__, renderer,
                          dispatcher.deliver, {}, policy=policy,
                          clock=lambda: local("2026-11-23 09:00:05"))
    legal = update(make_decision, Reason.LEGAL_DAY1)
    news = dataclasses.replace(update(make_decision, Reason.NOC_UPDATE), incident_id="INC-2")
    result = await stage.handle({"kind": "decisions", "items": [
        records.decision_to_record(legal), records.decision_to_record(news)]})
    assert [(n.notification_id, n.channel) for n in result.delivered] == [
        (legal.notification_id, "sms")]
    assert result.deferred == [news.notification_id]  # plain news waits for the quiet end


async def _no_sleep(delay: float) -> None:
    return None
