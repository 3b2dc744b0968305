"""NOC updates, incident merges, ETA-passed and legal-clock updates in the episode machine."""

from __future__ import annotations

import math
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from forewarn.domain import Decision, Stage
from forewarn.streams.customers.episodes import EpisodeTracker
from forewarn.streams.customers.legal_clocks import GermanyTkg58, UkAutomaticCompensation
from forewarn.streams.customers.notices import NoticeRules
from forewarn.streams.reasons import Reason
from tests.unit.customers.json_table import JsonTable

INF = math.inf
BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def table() -> JsonTable:
    return JsonTable()


@pytest.fixture
def tracker(table: JsonTable) -> EpisodeTracker:
    return EpisodeTracker(table, confirm_after_s=120, resolve_after_s=300)


def berlin(day: int, hour: int, minute: int = 0) -> float:
    return datetime(2026, 11, day, hour, minute, tzinfo=BERLIN).timestamp()


def german(table: JsonTable, **kw) -> EpisodeTracker:
    rules = NoticeRules(GermanyTkg58(), timezone=lambda _customer: "Europe/Berlin", **kw)
    return EpisodeTracker(table, confirm_after_s=120, resolve_after_s=300, notices=rules)


def brief(decisions: list[Decision]) -> list[tuple]:
    return [(d.customer_id, str(d.stage), d.services, d.decided_at, d.reason) for d in decisions]


# ----------------------------------------------------------------------------- NOC updates


def test_update_goes_only_to_notified_unresolved_customers_of_that_incident(
    tracker, out, back
) -> None:
    tracker.observe(out(0, "c-notified"))
    tracker.observe(out(0, "c-resolved"))
    tracker.observe(out(0, "c-other", incident_id="inc-2"))
    tracker.observe(back(200, "c-resolved"))
    tracker.observe(out(500, "c-fresh"))  # confirmed only at 620
    tracker.advance(600)  # c-resolved's resolved notice is decided at 500
    decisions = tracker.update("inc-1", 600, eta=9000.0, message="Techniker vor Ort")
    assert decisions == [
        Decision("c-notified", "inc-1", Stage.UPDATE, ("mobile",), 600, 0, Reason.NOC_UPDATE,
                 cause_type="power", eta=9000.0, message="Techniker vor Ort"),
    ]


def test_an_outage_back_but_not_yet_resolved_is_still_unresolved(tracker, out, back) -> None:
    tracker.observe(out(0))
    tracker.observe(back(200))
    assert brief(tracker.update("inc-1", 300)) == [
        ("c-1", "update", ("mobile",), 300, Reason.NOC_UPDATE)
    ]


def test_update_for_both_services_of_one_incident_is_one_record(tracker, out) -> None:
    tracker.observe(out(0))
    tracker.observe(out(0, service="fibre"))
    tracker.advance(200)
    assert brief(tracker.update("inc-1", 200)) == [
        ("c-1", "update", ("mobile", "fibre"), 200, Reason.NOC_UPDATE)
    ]


def test_update_fires_due_timers_first_so_a_just_confirmed_customer_hears_it(tracker, out) -> None:
    tracker.observe(out(0))
    assert brief(tracker.update("inc-1", 120)) == [
        ("c-1", "outage", ("mobile",), 120, Reason.CONFIRMED),
        ("c-1", "update", ("mobile",), 120, Reason.NOC_UPDATE),
    ]


def test_update_without_eta_repeats_the_last_eta_known(tracker, out) -> None:
    tracker.observe(out(0))
    tracker.update("inc-1", 200, eta=5000.0)
    (again,) = tracker.update("inc-1", 300, message="Ersatzteil unterwegs")
    assert (again.eta, again.message) == (5000.0, "Ersatzteil unterwegs")


def test_update_for_an_unknown_incident_decides_nothing(tracker, out) -> None:
    tracker.observe(out(0))
    tracker.advance(200)
    assert tracker.update("inc-404", 200) == []


def test_a_late_update_is_decided_at_the_customers_last_time(tracker, out) -> None:
    tracker.observe(out(0))
    tracker.advance(500)
    tracker.observe(out(450, service="fibre", incident_id="inc-2"))  # customer's time: 450
    (late,) = tracker.update("inc-1", 400)
    assert late.decided_at == 450


# ----------------------------------------------------------------------------- merges


def test_merge_relabels_only_episodes_not_yet_notified(tracker, out) -> None:
    tracker.observe(out(0, "c-early", incident_id="inc-cell", cause_type="cell"))
    tracker.observe(out(100, "c-late", incident_id="inc-cell", cause_type="cell"))
    tracker.advance(150)  # c-early notified under inc-cell
    tracker.merge("inc-cell", "inc-power", "power", 150)
    (late,) = tracker.advance(220)
    assert (late.customer_id, late.incident_id, late.cause_type) == ("c-late", "inc-power", "power")
    assert tracker.reasons[Reason.INCIDENT_MERGED] == 1


def test_after_a_merge_updates_of_either_incident_reach_both_kinds_of_customer(
    tracker, out
) -> None:
    tracker.observe(out(0, "c-early", incident_id="inc-cell"))
    tracker.observe(out(100, "c-late", incident_id="inc-cell"))
    tracker.advance(150)
    tracker.merge("inc-cell", "inc-power", "power", 150)
    tracker.advance(300)
    by_root = tracker.update("inc-power", 300)
    assert [(d.customer_id, d.incident_id) for d in by_root] == [
        ("c-early", "inc-cell"),  # keeps the id it was told
        ("c-late", "inc-power"),
    ]
    assert [d.customer_id for d in tracker.update("inc-cell", 301)] == ["c-early", "c-late"]


def test_merging_an_incident_into_itself_changes_nothing(tracker, out, table) -> None:
    tracker.observe(out(0))
    before = table.snapshot()
    tracker.merge("inc-1", "inc-1", "power", 10)
    assert table.snapshot() == before


# ----------------------------------------------------------------------------- ETA passed


def test_when_the_eta_passes_unresolved_one_still_working_update_is_sent(tracker, out) -> None:
    tracker.observe(out(0))
    tracker.update("inc-1", 200, eta=1000.0, message="bald")
    assert tracker.advance(999) == []
    (late,) = tracker.advance(1000)
    assert brief([late]) == [("c-1", "update", ("mobile",), 1000, Reason.ETA_PASSED)]
    assert (late.eta, late.message) == (1000.0, None)  # the template says nothing of it
    assert tracker.advance(INF) == []


def test_no_eta_passed_update_when_service_was_resolved_in_time(tracker, out, back) -> None:
    tracker.observe(out(0))
    tracker.update("inc-1", 200, eta=1000.0)
    tracker.observe(back(600))
    assert brief(tracker.advance(INF)) == [
        ("c-1", "resolved", ("mobile",), 900, Reason.SERVICE_RESTORED)
    ]


def test_a_new_eta_replaces_the_old_one(tracker, out) -> None:
    tracker.observe(out(0))
    tracker.update("inc-1", 200, eta=1000.0)
    tracker.update("inc-1", 900, eta=3000.0)
    assert [d.decided_at for d in tracker.advance(5000)] == [3000]


def test_an_eta_already_past_when_given_arms_nothing(tracker, out) -> None:
    tracker.observe(out(0))
    tracker.update("inc-1", 200, eta=150.0)
    assert tracker.pending() == 0


def test_eta_passed_updates_can_be_switched_off(table, out) -> None:
    quiet = EpisodeTracker(table, notices=NoticeRules(eta_passed=False))
    quiet.observe(out(0))
    quiet.update("inc-1", 200, eta=1000.0)
    assert quiet.advance(5000) == []


def test_drain_leaves_an_eta_after_the_last_event_pending(tracker, out) -> None:
    tracker.observe(out(0))
    tracker.update("inc-1", 200, eta=1000.0)
    assert tracker.drain() == [] and tracker.pending() == 1


# ----------------------------------------------------------------------------- legal clocks


def test_de_unresolved_outage_gets_day1_news_then_compensation_notice(table, out) -> None:
    tracker = german(table)
    tracker.observe(out(berlin(21, 14, 2)))
    tracker.observe(out(berlin(21, 14, 2), service="fibre"))
    tracker.update("inc-1", berlin(21, 18), eta=berlin(23, 16), message="Bagger")
    decisions = tracker.advance(berlin(25, 0))
    assert brief(decisions) == [  # Saturday 21st: news Sunday, compensation from Tuesday
        ("c-1", "update", ("mobile", "fibre"), berlin(22, 9), Reason.LEGAL_DAY1),
        ("c-1", "update", ("mobile", "fibre"), berlin(23, 16), Reason.ETA_PASSED),
        ("c-1", "update", ("mobile", "fibre"), berlin(24, 9), Reason.LEGAL_COMPENSATION),
    ]
    day1 = decisions[0]
    assert (day1.eta, day1.message, day1.since) == (berlin(23, 16), "Bagger", berlin(21, 14, 2))


def test_de_outage_fixed_the_same_day_owes_no_legal_notice(table, out, back) -> None:
    tracker = german(table)
    decisions = tracker.observe(out(berlin(21, 14))) + tracker.observe(back(berlin(21, 20)))
    decisions += tracker.advance(berlin(30, 0))
    assert [d.stage for d in decisions] == [Stage.OUTAGE, Stage.RESOLVED]


def test_de_day1_instant_before_the_outage_notice_is_covered_by_it(table, out) -> None:
    rules = NoticeRules(GermanyTkg58(), timezone=lambda _customer: "Europe/Berlin")
    tracker = EpisodeTracker(table, confirm_after_s=10 * 3600, resolve_after_s=300,
                             notices=rules)
    tracker.observe(out(berlin(21, 23, 30)))  # confirmed at 09:30: after the day-1 instant
    decisions = tracker.advance(berlin(24, 9))
    assert [(d.stage, d.reason) for d in decisions] == [
        (Stage.OUTAGE, Reason.CONFIRMED),
        (Stage.UPDATE, Reason.LEGAL_COMPENSATION),
    ]
    assert tracker.reasons[Reason.LEGAL_COVERED] == 1


def test_de_clocks_use_the_customers_timezone(table, out) -> None:
    zones = {"c-ber": "Europe/Berlin", "c-lon": "Europe/London"}
    rules = NoticeRules(GermanyTkg58(), timezone=zones.__getitem__)
    tracker = EpisodeTracker(table, notices=rules)
    since = berlin(21, 23, 30)  # 22:30 in London
    tracker.observe(out(since, "c-ber"))
    tracker.observe(out(since, "c-lon"))
    day1 = [d for d in tracker.advance(berlin(23, 3)) if d.reason == Reason.LEGAL_DAY1]
    assert [(d.customer_id, d.decided_at) for d in day1] == [
        ("c-ber", berlin(22, 9)),
        ("c-lon", berlin(22, 10)),  # 09:00 in London
    ]


def test_an_unknown_customer_counts_berlin_days(table, out) -> None:
    def lookup(customer_id: str) -> str:
        raise KeyError(customer_id)

    tracker = EpisodeTracker(table, notices=NoticeRules(GermanyTkg58(), timezone=lookup))
    tracker.observe(out(berlin(21, 14)))
    assert [d.decided_at for d in tracker.advance(berlin(22, 10))][1:] == [berlin(22, 9)]


def test_uk_compensation_notice_for_broadband_only(table, out) -> None:
    rules = NoticeRules(UkAutomaticCompensation(), timezone=lambda _c: "Europe/London")
    tracker = EpisodeTracker(table, notices=rules)
    friday = datetime(2026, 5, 8, 15, 0, tzinfo=ZoneInfo("Europe/London")).timestamp()
    tracker.observe(out(friday))
    tracker.observe(out(friday, service="fibre"))
    legal = [d for d in tracker.advance(friday + 7 * 86400) if d.stage is Stage.UPDATE]
    wednesday = datetime(2026, 5, 13, 9, 0, tzinfo=ZoneInfo("Europe/London")).timestamp()
    assert brief(legal) == [
        ("c-1", "update", ("fibre",), wednesday, Reason.LEGAL_AUTO_COMPENSATION)
    ]


def test_drain_does_not_invent_legal_notices_after_the_input_ends(table, out) -> None:
    tracker = german(table)
    tracker.observe(out(berlin(21, 14)))
    assert [d.stage for d in tracker.drain()] == [Stage.OUTAGE]
    assert tracker.pending() == 1  # day 1 still armed, should time go on
    assert [d.reason for d in tracker.advance(berlin(22, 9))] == [Reason.LEGAL_DAY1]


def test_clocks_survive_a_rebuild(table, out) -> None:
    tracker = german(table)
    tracker.observe(out(berlin(21, 14)))
    tracker.update("inc-1", berlin(21, 15), eta=berlin(21, 18))
    recovered = german(table)
    recovered.rebuild()
    assert [(d.decided_at, d.reason) for d in recovered.advance(berlin(24, 9))] == [
        (berlin(21, 18), Reason.ETA_PASSED),
        (berlin(22, 9), Reason.LEGAL_DAY1),
        (berlin(24, 9), Reason.LEGAL_COMPENSATION),
    ]


def test_clock_state_is_json_in_the_episode(table, out) -> None:
    tracker = german(table)
    tracker.observe(out(berlin(21, 14)))
    tracker.advance(berlin(21, 15))
    episode = table.snapshot()["c-1"]["episodes"]["mobile"]
    assert episode["clocks"] == [
        [berlin(22, 9), "legal_day1"],
        [berlin(24, 9), "legal_compensation"],
    ]


def test_a_legal_instant_while_service_is_back_sends_nothing(table, out, back) -> None:
    tracker = german(table)
    decisions = tracker.observe(out(berlin(21, 14)))
    decisions += tracker.observe(back(berlin(22, 8, 58)))  # two minutes before the day-1 notice
    decisions += tracker.advance(berlin(30, 0))
    assert [(d.stage, d.decided_at) for d in decisions] == [
        (Stage.OUTAGE, berlin(21, 14, 2)),
        (Stage.RESOLVED, berlin(22, 9, 3)),
    ]
    assert tracker.reasons[Reason.LEGAL_SERVICE_BACK] == 1


def test_later_legal_clocks_stay_armed_when_service_fails_again_within_the_resolve_gap(
    table, out, back
) -> None:
    tracker = german(table)
    decisions = tracker.observe(out(berlin(21, 14)))
    decisions += tracker.observe(back(berlin(22, 8, 58)))
    decisions += tracker.observe(out(berlin(22, 9, 1)))  # rejoins: no new outage notice
    decisions += tracker.advance(berlin(24, 10))
    assert [(d.stage, d.decided_at, d.reason) for d in decisions] == [
        (Stage.OUTAGE, berlin(21, 14, 2), Reason.CONFIRMED),
        (Stage.UPDATE, berlin(24, 9), Reason.LEGAL_COMPENSATION),
    ]
