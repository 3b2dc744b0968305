"""The delivery policy's rules, each asserted by its named reason."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forewarn.domain import Customer, Decision, Stage
from forewarn.streams.delivery.policy import (
    Action,
    Deferrals,
    DeliveryPolicy,
    PolicyReason,
    PolicySettings,
    QuietHours,
)
from tests.unit.delivery.policy_helpers import local

MakeDecision = Callable[..., Decision]
MakeCustomer = Callable[..., Customer]


def night_policy(**overrides: object) -> DeliveryPolicy:
    return DeliveryPolicy(PolicySettings(quiet_hours=QuietHours.parse("22:00-07:00"),
                                         **overrides))  # type: ignore[arg-type]


def test_first_preferred_channel_with_an_address_comes_first(
    make_decision: MakeDecision, make_customer: MakeCustomer
) -> None:
    verdict = DeliveryPolicy().assess(make_decision(), make_customer(phone=None), 0.0)
    assert verdict.action is Action.SEND and verdict.reason is PolicyReason.FIRST_CHOICE
    assert [c for c, _ in verdict.routes] == ["email", "push"]


def test_a_customer_without_any_address_is_named_as_such(
    make_decision: MakeDecision, make_customer: MakeCustomer
) -> None:
    customer = make_customer(phone=None, email=None, push_token=None)
    assert DeliveryPolicy().assess(make_decision(), customer, 0.0).reason is PolicyReason.NO_ADDRESS


def test_routes_skip_channels_without_notifier_and_excluded_ones(
    make_customer: MakeCustomer,
) -> None:
    policy = DeliveryPolicy(channels={"sms", "push"})
    assert [c for c, _ in policy.routes(make_customer())] == ["sms", "push"]
    assert [c for c, _ in policy.routes(make_customer(), exclude=("sms",))] == ["push"]


def test_sms_at_night_waits_for_the_end_of_quiet_hours(
    make_decision: MakeDecision, make_customer: MakeCustomer
) -> None:
    verdict = night_policy().assess(make_decision(at="2026-11-22 23:30"), make_customer(),
                                    local("2026-11-22 23:30"))
    assert verdict.action is Action.DEFER and verdict.reason is PolicyReason.DEFERRED_QUIET_HOURS
    assert verdict.release_at == local("2026-11-23 07:00")


def test_email_is_not_held_by_quiet_hours(
    make_decision: MakeDecision, make_customer: MakeCustomer
) -> None:
    verdict = night_policy().assess(make_decision(), make_customer(channels=("email", "sms")),
                                    local("2026-11-22 23:30"))
    assert verdict.action is Action.SEND and verdict.routes[0][0] == "email"


def test_priority_customers_are_never_held(
    make_decision: MakeDecision, make_customer: MakeCustomer
) -> None:
    verdict = night_policy().assess(make_decision(), make_customer(priority=1),
                                    local("2026-11-22 23:30"))
    assert verdict.action is Action.SEND
    assert verdict.reason is PolicyReason.PRIORITY_IN_QUIET_HOURS


def test_quiet_hours_are_off_by_default(
    make_decision: MakeDecision, make_customer: MakeCustomer
) -> None:
    verdict = DeliveryPolicy().assess(make_decision(), make_customer(), local("2026-11-22 23:30"))
    assert verdict.action is Action.SEND


def test_resolved_while_the_outage_was_held_drops_both(
    make_decision: MakeDecision, make_customer: MakeCustomer
) -> None:
    policy, customer = night_policy(), make_customer()
    outage = make_decision(at="2026-11-22 23:30")
    verdict = policy.assess(outage, customer, outage.decided_at)
    policy.defer(outage, verdict.release_at or 0.0)
    resolved = make_decision(stage=Stage.RESOLVED, at="2026-11-23 01:00")
    verdict = policy.assess(resolved, customer, resolved.decided_at)
    assert verdict.action is Action.DROP and verdict.reason is PolicyReason.OUTAGE_NEVER_TOLD
    assert [(r["stage"], why) for r, why in verdict.cancelled] == [
        ("outage", PolicyReason.RESOLVED_WHILE_DEFERRED)]
    assert len(policy.deferrals) == 0
    # Processed again (e.g. after a crash), the resolved notice is still dropped.
    assert policy.assess(resolved, customer, resolved.decided_at).action is Action.DROP


def test_resolved_after_a_told_outage_waits_for_the_morning(
    make_decision: MakeDecision, make_customer: MakeCustomer
) -> None:
    resolved = make_decision(stage=Stage.RESOLVED, at="2026-11-23 01:00")
    verdict = night_policy().assess(resolved, make_customer(), resolved.decided_at)
    assert verdict.action is Action.DEFER and verdict.release_at == local("2026-11-23 07:00")


def test_a_newer_held_update_replaces_the_older_one(
    make_decision: MakeDecision, make_customer: MakeCustomer
) -> None:
    policy = night_policy()
    first = make_decision(stage=Stage.UPDATE, at="2026-11-22 23:00", message="first")
    second = make_decision(stage=Stage.UPDATE, at="2026-11-23 02:00", message="second")
    policy.defer(first, local("2026-11-23 07:00"))
    replaced = policy.defer(second, local("2026-11-23 07:00"))
    assert [(r["message"], why) for r, why in replaced] == [
        ("first", PolicyReason.UPDATE_SUPERSEDED)]
    (entry,) = policy.deferrals.due(local("2026-11-23 07:00"))
    assert entry["decision"]["message"] == "second"


def test_updates_beyond_the_daily_cap_are_dropped_but_outage_and_resolved_never(
    make_decision: MakeDecision, make_customer: MakeCustomer
) -> None:
    policy, customer = DeliveryPolicy(PolicySettings(max_per_day=2)), make_customer()
    now = local("2026-11-22 15:00")
    for _ in range(2):
        policy.record_delivery(make_decision(), customer, now)
    assert policy.assess(make_decision(stage=Stage.UPDATE), customer, now).reason is \
        PolicyReason.DAILY_CAP
    for stage in (Stage.OUTAGE, Stage.RESOLVED, Stage.PLANNED, Stage.COMPLETED):
        assert policy.assess(make_decision(stage=stage), customer, now).action is Action.SEND
    tomorrow = local("2026-11-23 09:00")
    assert policy.assess(make_decision(stage=Stage.UPDATE), customer, tomorrow).action is \
        Action.SEND


def test_an_update_too_soon_after_the_previous_one_waits_for_the_gap(
    make_decision: MakeDecision, make_customer: MakeCustomer
) -> None:
    policy, customer = DeliveryPolicy(PolicySettings(min_update_gap_s=900)), make_customer()
    policy.record_delivery(make_decision(stage=Stage.UPDATE), customer, local("2026-11-22 15:00"))
    verdict = policy.assess(make_decision(stage=Stage.UPDATE), customer, local("2026-11-22 15:05"))
    assert verdict.action is Action.DEFER and verdict.reason is PolicyReason.DEFERRED_UPDATE_GAP
    assert verdict.release_at == local("2026-11-22 15:15")


def test_held_notices_are_released_in_order_and_survive_a_rebuild(
    make_decision: MakeDecision,
) -> None:
    store: dict[str, object] = {}
    deferrals = Deferrals(store)
    morning = local("2026-11-23 07:00")
    deferrals.hold(make_decision(stage=Stage.UPDATE, at="2026-11-22 23:10"), morning)
    deferrals.hold(make_decision(at="2026-11-22 23:00"), morning)
    deferrals.hold(make_decision(customer_id="c-2", at="2026-11-22 23:00"), morning + 60)
    rebuilt = Deferrals(store)  # a new worker: the index comes back from the table
    assert rebuilt.due(morning - 1) == []
    assert [e["decision"]["stage"] for e in rebuilt.due(morning)] == ["outage", "update"]
    assert [e["decision"]["customer_id"] for e in rebuilt.due(float("inf"))] == ["c-2"]
    assert store == {}


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # factories are stateless
@given(stage=st.sampled_from([Stage.OUTAGE, Stage.RESOLVED]), sent_today=st.integers(0, 50),
       hour=st.integers(0, 23))
def test_default_settings_never_hold_or_drop_outage_or_resolved(
    make_decision: MakeDecision, make_customer: MakeCustomer, stage: Stage, sent_today: int,
    hour: int,
) -> None:
    policy, customer = DeliveryPolicy(), make_customer()
    now = local(f"2026-11-22 {hour:02d}:30")
    for _ in range(sent_today):
        policy.record_delivery(make_decision(stage=Stage.UPDATE), customer, now)
    verdict = policy.assess(make_decision(stage=stage), customer, now)
    assert verdict.action is Action.SEND


@pytest.mark.parametrize("zone", ["Not/AZone", ""])
def test_a_bad_timezone_falls_back_instead_of_silencing_the_customer(
    make_decision: MakeDecision, make_customer: MakeCustomer, zone: str
) -> None:
    verdict = night_policy().assess(make_decision(), make_customer(timezone=zone),
                                    local("2026-11-22 23:30"))
    assert verdict.action is Action.DEFER
