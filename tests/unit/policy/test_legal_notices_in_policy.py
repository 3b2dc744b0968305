"""Delivery never holds, spaces or caps a legal notice: it is owed at ``notice_hour`` on its
legal day (CONTRACT §4), so quiet hours, ``min_update_gap_s`` and ``max_per_day`` could only
make it late or lost. Other updates keep those rules."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from policy_helpers import local

from forewarn.domain import Customer, Decision, Stage
from forewarn.streams.policy import (
    Action,
    DeliveryPolicy,
    PolicyReason,
    PolicySettings,
    QuietHours,
)
from forewarn.streams.reasons import Reason

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
