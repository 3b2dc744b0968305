"""EpisodeTracker: one outage notice and one resolved notice per episode (CONTRACT §4, §6)."""

from __future__ import annotations

import math

import pytest

from forewarn.domain import Decision, Stage
from forewarn.streams.customers.episodes import EpisodeTracker
from forewarn.streams.reasons import Reason
from tests.unit.customers.json_table import JsonTable

INF = math.inf


@pytest.fixture
def table() -> JsonTable:
    return JsonTable()


@pytest.fixture
def tracker(table: JsonTable) -> EpisodeTracker:
    return EpisodeTracker(table, confirm_after_s=120, resolve_after_s=300)


def run(tracker: EpisodeTracker, *changes) -> list[Decision]:
    """Observe the changes in order, then drain; every decision, in order."""
    decisions: list[Decision] = []
    for change in changes:
        decisions += tracker.observe(change)
    return decisions + tracker.advance(INF)


def outage(at, since=0.0, customer="c-1", services=("mobile",), incident="inc-1", cause="power"):
    return Decision(
        customer,
        incident,
        Stage.OUTAGE,
        tuple(services),
        float(at),
        float(since),
        Reason.CONFIRMED,
        cause_type=cause,
    )


def resolved(
    at, ended, since=0.0, customer="c-1", services=("mobile",), incident="inc-1", cause="power"
):
    return Decision(
        customer,
        incident,
        Stage.RESOLVED,
        tuple(services),
        float(at),
        float(since),
        Reason.SERVICE_RESTORED,
        cause_type=cause,
        ended_at=float(ended),
    )


# ----------------------------------------------------------------------------- confirm


def test_flap_shorter_than_confirm_window_sends_nothing(tracker, out, back):
    assert run(tracker, out(0), back(119.9)) == []
    assert tracker.reasons[Reason.SUPPRESSED_SHORT] == 1


def test_outage_of_exactly_confirm_window_is_notified(tracker, out, back):
    assert run(tracker, out(0), back(120)) == [outage(120), resolved(420, ended=120)]


def test_outage_is_decided_at_the_instant_the_window_elapses_not_when_noticed(tracker, out):
    tracker.observe(out(10))
    assert tracker.advance(129.9) == []
    assert tracker.advance(5000) == [outage(130, since=10)]


def test_outage_notice_is_sent_once_however_long_the_outage(tracker, out):
    tracker.observe(out(0))
    assert tracker.advance(200) == [outage(120)]
    assert tracker.advance(10_000) == []


# ----------------------------------------------------------------------------- resolve


def test_resolved_once_service_has_been_back_for_resolve_window(tracker, out, back):
    decisions = run(tracker, out(0), back(200))
    assert decisions == [outage(120), resolved(500, ended=200)]


def test_resolved_decision_waits_for_the_whole_resolve_window(tracker, out, back):
    tracker.observe(out(0))
    assert tracker.observe(back(200)) == [outage(120)]
    assert tracker.advance(499.9) == []
    assert tracker.advance(500) == [resolved(500, ended=200)]


def test_gap_shorter_than_resolve_joins_episodes_into_one_notice(tracker, out, back):
    decisions = run(tracker, out(0), back(200), out(499), back(600, incident_id="inc-2"))
    assert decisions == [outage(120), resolved(900, ended=600)]


def test_gap_of_exactly_resolve_window_starts_a_new_episode(tracker, out, back):
    decisions = run(tracker, out(0), back(200), out(500, incident_id="inc-2"))
    assert decisions == [
        outage(120),
        resolved(500, ended=200),
        outage(620, since=500, incident="inc-2"),
    ]


def test_rejoined_episode_keeps_incident_cause_and_start(tracker, out, back):
    decisions = run(
        tracker,
        out(0),
        back(60),
        out(100, incident_id="inc-9", cause_type="site"),
    )
    assert decisions == [outage(220, since=0)]
    assert tracker.reasons[Reason.EPISODE_REJOINED] == 1


def test_rejoined_episode_must_stay_out_confirm_window_continuously(tracker, out, back):
    # 100 s + 100 s out with a 50 s gap: 200 s out in total, never 120 s in one go.
    assert run(tracker, out(0), back(100), out(150), back(250)) == []


def test_rejoin_after_notice_sends_no_second_outage_and_resolves_once(tracker, out, back):
    decisions = run(tracker, out(0), back(200), out(300), back(400))
    assert decisions == [outage(120), resolved(700, ended=400)]


def test_unnotified_episode_closes_silently_and_is_counted(tracker, out, back, table):
    tracker.observe(out(0))
    tracker.observe(back(30))
    assert tracker.advance(330) == []
    assert tracker.reasons[Reason.SUPPRESSED_SHORT] == 1
    assert len(table) == 0


# ----------------------------------------------------------------------------- duplicates


def test_duplicate_out_while_out_is_ignored_and_does_not_restart_the_window(tracker, out, back):
    decisions = run(tracker, out(0), out(100), back(121))
    assert decisions == [outage(120), resolved(421, ended=121)]
    assert tracker.reasons[Reason.DUPLICATE_CHANGE] == 1


def test_back_while_idle_is_ignored_and_leaves_no_state(tracker, back, table):
    assert run(tracker, back(5)) == []
    assert tracker.reasons[Reason.DUPLICATE_CHANGE] == 1
    assert len(table) == 0 and table.writes == 0


def test_back_while_back_does_not_postpone_the_resolved_notice(tracker, out, back):
    decisions = run(tracker, out(0), back(200), back(400))
    assert decisions == [outage(120), resolved(500, ended=200)]
    assert tracker.reasons[Reason.DUPLICATE_CHANGE] == 1


# ----------------------------------------------------------------------------- merging


def test_power_and_fibre_same_instant_share_one_record(tracker, out, back):
    decisions = run(
        tracker,
        out(0, service="fibre"),
        out(0, service="mobile"),
        back(200, service="mobile"),
        back(200, service="fibre"),
    )
    both = ("mobile", "fibre")
    assert decisions == [outage(120, services=both), resolved(500, ended=200, services=both)]
    assert tracker.reasons[Reason.CONFIRMED] == 2  # counted per service episode


def test_services_of_different_incidents_get_separate_records(tracker, out):
    decisions = run(tracker, out(0, service="mobile"), out(0, service="fibre", incident_id="i2"))
    assert decisions == [outage(120), outage(120, services=("fibre",), incident="i2")]


def test_services_out_at_different_instants_get_separate_records(tracker, out):
    decisions = run(tracker, out(0, service="mobile"), out(1, service="fibre"))
    assert decisions == [outage(120), outage(121, since=1, services=("fibre",))]


def test_merged_record_starts_when_its_earliest_service_went_out(tracker, out, back):
    # mobile rejoined (start 0); fibre went out at 10: both confirmed at 130.
    decisions = run(tracker, out(0), back(5), out(10), out(10, service="fibre"))
    assert decisions == [outage(130, since=0, services=("mobile", "fibre"))]


# ----------------------------------------------------------------------------- time and order


def test_timer_fires_before_a_change_at_the_same_instant(tracker, out, back):
    tracker.observe(out(0))
    assert tracker.observe(back(120)) == [outage(120)]


def test_timers_fire_in_deadline_then_customer_then_service_order(tracker, out):
    for change in [
        out(5, "c-2"),
        out(0, "c-3", "fibre"),
        out(5, "c-1", "fibre"),
        out(5, "c-1", "mobile", incident_id="i2"),
    ]:
        tracker.observe(change)
    decisions = tracker.advance(INF)
    assert [(d.decided_at, d.customer_id, d.services) for d in decisions] == [
        (120, "c-3", ("fibre",)),
        (125, "c-1", ("mobile",)),
        (125, "c-1", ("fibre",)),
        (125, "c-2", ("mobile",)),
    ]


def test_late_change_takes_effect_at_the_customers_last_time(tracker, out, back):
    tracker.observe(out(0))
    tracker.observe(out(1000, "c-2"))  # moves the clock: c-1 confirmed at 120
    assert tracker.observe(back(100)) == []  # too late to undo the notice: back at 120
    assert tracker.advance(INF) == [
        resolved(420, ended=120),
        outage(1120, since=1000, customer="c-2"),
    ]


def test_pending_and_next_deadline_follow_the_armed_timers(tracker, out, back):
    assert (tracker.pending(), tracker.next_deadline()) == (0, None)
    tracker.observe(out(0))
    tracker.observe(out(50, "c-2"))
    assert (tracker.pending(), tracker.next_deadline()) == (2, 120)
    tracker.observe(back(60))  # c-1: confirm cancelled, end armed at 360
    assert (tracker.pending(), tracker.next_deadline()) == (2, 170)
    tracker.advance(INF)
    assert (tracker.pending(), tracker.next_deadline()) == (0, None)


def test_clock_is_the_latest_time_seen_and_draining_keeps_it_finite(tracker, out):
    assert tracker.clock == -INF
    tracker.observe(out(7))
    assert tracker.clock == 7
    tracker.advance(3)
    assert tracker.clock == 7
    tracker.advance(INF)
    assert tracker.clock == 127  # the last rule instant, not infinity


# ----------------------------------------------------------------------------- state


def test_state_holds_only_customers_with_an_open_episode(tracker, out, back, table):
    tracker.observe(out(0))
    tracker.observe(out(0, "c-2"))
    assert set(table) == {"c-1", "c-2"}
    tracker.observe(back(200))
    tracker.advance(INF)
    assert set(table) == {"c-2"}  # still out, notified, no timer


def test_state_is_json_with_the_documented_layout(tracker, out, back, table):
    tracker.observe(out(10, incident_id="inc-4", cause_type="olt"))
    tracker.observe(back(40))
    assert table.snapshot() == {
        "c-1": {
            "t": 40.0,
            "episodes": {
                "mobile": {
                    "incident_id": "inc-4",
                    "cause_type": "olt",
                    "since": 10.0,
                    "out": False,
                    "back_since": 40.0,
                    "notified": False,
                    "deadline": 340.0,
                }
            },
        }
    }


def test_rebuild_from_state_resumes_pending_timers(tracker, out, back, table):
    tracker.observe(out(0))
    tracker.observe(out(10, "c-2"))
    tracker.observe(back(20, "c-2"))
    recovered = EpisodeTracker(table, confirm_after_s=120, resolve_after_s=300)
    recovered.rebuild()
    assert (recovered.pending(), recovered.next_deadline(), recovered.clock) == (2, 120, 20)
    assert recovered.advance(INF) == [outage(120)]
    assert recovered.reasons[Reason.SUPPRESSED_SHORT] == 1
    assert set(table) == {"c-1"}


def test_rebuild_arms_only_the_customers_this_tracker_owns(tracker, out, table):
    tracker.observe(out(0, "c-1"))
    tracker.observe(out(0, "c-2"))
    recovered = EpisodeTracker(table)
    recovered.rebuild(owns=lambda customer_id: customer_id == "c-2")
    assert recovered.advance(INF) == [outage(120, customer="c-2")]


def test_every_rule_applied_is_counted(tracker, out, back):
    run(tracker, out(0), back(10), out(20), out(30), back(200), back(210, "c-9"))
    assert tracker.reasons == {
        Reason.EPISODE_OPENED: 1,
        Reason.EPISODE_REJOINED: 1,
        Reason.DUPLICATE_CHANGE: 2,
        Reason.CONFIRMED: 1,
        Reason.SERVICE_RESTORED: 1,
    }


def test_windows_of_zero_decide_at_the_change_instant(out, back):
    tracker = EpisodeTracker({}, confirm_after_s=0, resolve_after_s=0)
    assert run(tracker, out(5), back(5)) == [outage(5, since=5), resolved(5, ended=5, since=5)]


def test_negative_windows_are_refused():
    with pytest.raises(ValueError, match="must not be negative"):
        EpisodeTracker({}, confirm_after_s=-1)


def test_one_incident_confirms_many_customers_at_one_deadline(out, back):
    table: dict[str, dict] = {}
    tracker = EpisodeTracker(table)
    customers = [f"c-{i:05d}" for i in range(20_000)]
    for customer in customers:
        assert tracker.observe(out(0, customer)) == []
    decisions = tracker.advance(120)
    assert [d.customer_id for d in decisions] == customers
    assert {d.decided_at for d in decisions} == {120}
    for customer in customers:
        tracker.observe(back(130, customer))
    assert len(tracker.advance(INF)) == len(customers)
    assert len(table) == 0 and tracker.pending() == 0


def test_heavy_flapping_does_not_grow_the_timer_queue_without_bound(tracker, out, back):
    for step in range(10_000):
        tracker.observe(out(step * 0.01) if step % 2 == 0 else back(step * 0.01))
    assert tracker.pending() == 1
    assert len(tracker._timers) <= 4 * 1024  # stale entries are compacted away
