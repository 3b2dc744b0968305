"""Maintenance windows in the episode machine: planned, suppressed, completed, overrun (§4)."""

from __future__ import annotations

import math

import pytest

from forewarn.domain import Decision, Stage
from forewarn.streams.customers.episodes import EpisodeTracker
from forewarn.streams.customers.notices import WINDOW_MEMORY_S
from forewarn.streams.reasons import Reason
from tests.unit.customers.json_table import JsonTable

INF = math.inf
START, END = 1000.0, 2000.0


@pytest.fixture
def table() -> JsonTable:
    return JsonTable()


@pytest.fixture
def tracker(table: JsonTable) -> EpisodeTracker:
    return EpisodeTracker(table, confirm_after_s=120, resolve_after_s=300)


def announce(
    tracker: EpisodeTracker,
    at: float = 100.0,
    customers: dict[str, list[str]] | None = None,
    *,
    mid: str = "mw-1",
    start: float = START,
    end: float = END,
    text: str | None = "Umbau",
) -> None:
    tracker.announce(mid, at, start, end, text, customers or {"mobile": ["c-1"]})


def planned_notice(
    at: float = 100.0, customer: str = "c-1", services=("mobile",), mid="mw-1", text="Umbau"
) -> Decision:
    return Decision(customer, mid, Stage.PLANNED, tuple(services), at, START,
                    Reason.PLANNED_NOTICE, cause_type="maintenance", eta=END, message=text)


def completed(customer: str = "c-1", services=("mobile",), mid="mw-1", at=END) -> Decision:
    return Decision(customer, mid, Stage.COMPLETED, tuple(services), at, START,
                    Reason.WORKS_COMPLETED, cause_type="maintenance", ended_at=at)


def stages(decisions: list[Decision]) -> list[tuple[str, str, float]]:
    return [(d.customer_id, str(d.stage), d.decided_at) for d in decisions]


# ----------------------------------------------------------------------------- planned


def test_planned_notice_is_decided_at_the_instant_the_network_stage_computed(tracker) -> None:
    announce(tracker, at=START - 172800 + 5000)
    assert tracker.advance(START - 172800 + 4999) == []
    assert tracker.advance(START) == [planned_notice(START - 172800 + 5000)]


def test_planned_notice_announced_late_is_decided_at_the_announcement(tracker, out) -> None:
    tracker.observe(out(500, "c-9"))  # event time is already at 500
    announce(tracker, at=450)  # announced at 450 (start - notice_before lies further back)
    assert tracker.advance(501) == [planned_notice(450)]


def test_announcing_does_not_move_time(tracker) -> None:
    announce(tracker, at=900)
    assert tracker.clock == -INF and tracker.next_deadline() == 900


def test_services_of_one_window_share_one_planned_record(tracker) -> None:
    announce(tracker, customers={"fibre": ["c-1"], "mobile": ["c-1", "c-2"]})
    assert tracker.advance(100) == [
        planned_notice(services=("mobile", "fibre")),
        planned_notice(customer="c-2"),
    ]


def test_services_announced_in_two_chunks_still_share_one_record(tracker) -> None:
    announce(tracker, customers={"mobile": ["c-1"]})
    announce(tracker, customers={"fibre": ["c-1"]})
    assert tracker.advance(100) == [planned_notice(services=("mobile", "fibre"))]


def test_a_re_announced_window_is_not_told_twice(tracker) -> None:
    announce(tracker)
    assert len(tracker.advance(100)) == 1
    announce(tracker)
    assert tracker.advance(INF) == []
    assert tracker.reasons[Reason.DUPLICATE_ANNOUNCEMENT] == 1


def test_a_window_moved_before_its_notice_is_told_once_with_the_new_times(tracker) -> None:
    announce(tracker, at=100, text="alt")
    announce(tracker, at=150, text="neu")
    assert tracker.advance(INF) == [planned_notice(150, text="neu")]


def test_a_window_announced_after_it_ended_is_ignored(tracker) -> None:
    announce(tracker, at=END + 10)
    assert tracker.advance(INF) == [] and tracker.pending() == 0
    assert tracker.reasons[Reason.WINDOW_MISSED] == 1


# ----------------------------------------------------------------------------- inside


def test_alarms_inside_the_window_give_no_outage_notice(tracker, planned, table) -> None:
    announce(tracker)
    decisions = tracker.observe(planned(START)) + tracker.advance(START + 900)
    assert stages(decisions) == [("c-1", "planned", 100)]
    assert table["c-1"]["planned"] == {"mobile": "mw-1"}


def test_an_outage_not_yet_notified_when_the_window_starts_is_dropped(
    tracker, out, planned, back
) -> None:
    decisions = [d for c in (out(START - 60), planned(START), back(END)) for d in
                 tracker.observe(c)] + tracker.advance(INF)
    assert decisions == []
    assert tracker.reasons[Reason.SUPPRESSED_PLANNED] == 1


def test_an_outage_already_notified_carries_on_through_the_window(
    tracker, out, planned, back
) -> None:
    tracker.observe(out(0))
    decisions = tracker.observe(planned(START)) + tracker.observe(back(END))
    decisions += tracker.advance(INF)
    assert stages(decisions) == [("c-1", "outage", 120), ("c-1", "resolved", END + 300)]
    assert decisions[1].ended_at == END
    assert tracker.reasons[Reason.EPISODE_HELD] == 1


def test_a_window_starting_while_a_notified_outage_is_briefly_back_holds_it_out(
    tracker, out, back, planned
) -> None:
    tracker.observe(out(0))
    tracker.observe(back(START - 10))
    tracker.observe(planned(START))
    assert tracker.advance(END) == []  # held out: no resolved while the window runs
    tracker.observe(back(END))
    assert stages(tracker.advance(INF)) == [("c-1", "resolved", END + 300)]


# ----------------------------------------------------------------------------- the end


def test_window_end_with_service_back_gives_one_completed_notice(tracker, planned, back) -> None:
    announce(tracker)
    tracker.observe(planned(START))
    tracker.observe(back(END))
    assert tracker.end_window("mw-1", END, {"mobile": ["c-1"]}) == [completed()]
    assert tracker.end_window("mw-1", END, {"mobile": ["c-1"]}) == []  # once
    assert tracker.advance(INF) == []


def test_completed_names_only_the_services_back_and_still_out_ones_get_an_episode(
    tracker, planned, back, out, table
) -> None:
    announce(tracker, customers={"mobile": ["c-1"], "fibre": ["c-1"]})
    tracker.observe(planned(START))
    tracker.observe(planned(START, service="fibre"))
    tracker.observe(back(END))
    tracker.observe(out(END, service="fibre", incident_id="inc-cut"))
    decisions = tracker.end_window("mw-1", END, {"mobile": ["c-1"], "fibre": ["c-1"]})
    assert decisions == [completed(services=("mobile",))]
    assert tracker.reasons[Reason.WINDOW_OVERRUN] == 1
    assert set(table["c-1"]["windows"]["mw-1"]) == {"end", "forget_at"}  # done with it


def test_still_out_at_window_end_starts_an_outage_episode_at_the_window_end(
    tracker, planned, out, back
) -> None:
    announce(tracker)
    tracker.observe(planned(START))
    tracker.observe(out(END, incident_id="inc-overrun"))
    assert tracker.end_window("mw-1", END, {"mobile": ["c-1"]}) == []
    assert tracker.advance(END + 119) == []
    (notice,) = tracker.advance(END + 120)
    assert (notice.stage, notice.since, notice.incident_id) == (Stage.OUTAGE, END, "inc-overrun")


def test_an_overrun_shorter_than_confirm_window_sends_nothing(tracker, planned, out, back) -> None:
    announce(tracker)
    tracker.observe(planned(START))
    tracker.observe(out(END))
    tracker.end_window("mw-1", END, {"mobile": ["c-1"]})
    tracker.observe(back(END + 60))
    assert tracker.advance(INF) == []


def test_a_customer_never_told_of_the_window_gets_no_completed_notice(
    tracker, planned, back
) -> None:
    tracker.observe(planned(START, "c-7"))
    tracker.observe(back(END, "c-7"))
    assert tracker.end_window("mw-1", END, {"mobile": ["c-7"]}) == []


def test_a_customer_told_but_never_affected_hears_the_works_are_done(tracker) -> None:
    announce(tracker)
    tracker.advance(START)
    assert tracker.end_window("mw-1", END, {"mobile": ["c-1"]}) == [completed()]


def test_window_end_before_its_impact_change_waits_for_the_change(
    tracker, planned, back, table
) -> None:
    announce(tracker, customers={"mobile": ["c-1", "c-2"]})
    tracker.observe(planned(START))
    tracker.observe(planned(START, "c-2"))
    assert tracker.end_window("mw-1", END, {"mobile": ["c-1", "c-2"]}) == []
    tracker.observe(back(END))
    decisions = tracker.observe_many([back(END + 1, "c-2")])
    assert decisions == [completed(customer="c-2")]
    assert all(set(table[c]["windows"]["mw-1"]) == {"end", "forget_at"} for c in ("c-1", "c-2"))


def test_window_end_before_its_notice_instant_sends_neither_notice(tracker, planned, back) -> None:
    announce(tracker, at=END - 1)
    tracker.observe(planned(START))
    tracker.observe(back(END - 10))
    # the network stage ended the window early (e.g. cancelled), before its notice was due
    assert tracker.end_window("mw-1", END - 20, {"mobile": ["c-1"]}) == []
    assert tracker.advance(INF) == []
    assert tracker.reasons[Reason.WINDOW_MISSED] == 1


def test_moving_straight_into_another_window_leaves_no_completed_for_the_first(
    tracker, planned, back
) -> None:
    announce(tracker, mid="mw-1")
    tracker.observe(planned(START))
    tracker.end_window("mw-1", END, {"mobile": ["c-1"]})  # still planned: waits
    tracker.observe(planned(END, maintenance_id="mw-2"))
    tracker.observe(back(END + 500))
    assert tracker.advance(INF) == []


# ----------------------------------------------------------------------------- state


def test_window_state_is_json_and_forgotten_after_the_window(tracker, planned, back, table) -> None:
    announce(tracker)
    tracker.observe(planned(START))
    assert table.snapshot()["c-1"] == {
        "t": START,
        "episodes": {},
        "planned": {"mobile": "mw-1"},
        "windows": {"mw-1": {"at": 100.0, "start": START, "end": END, "text": "Umbau",
                             "services": ["mobile"], "sent": True}},
    }
    tracker.observe(back(END))
    tracker.end_window("mw-1", END, {"mobile": ["c-1"]})
    forget_at = END + WINDOW_MEMORY_S
    assert table.snapshot() == {"c-1": {"t": END, "episodes": {},
                                        "windows": {"mw-1": {"end": END, "forget_at": forget_at}}}}
    assert tracker.advance(forget_at) == [] and len(table) == 0


def test_an_announcement_re_sent_after_the_window_ended_is_not_told_again(tracker) -> None:
    announce(tracker)
    tracker.advance(START)
    tracker.end_window("mw-1", END - 500, {"mobile": ["c-1"]})  # e.g. ended early
    announce(tracker)  # an upstream replaying its input after a crash
    assert tracker.advance(END) == []
    assert tracker.reasons[Reason.DUPLICATE_ANNOUNCEMENT] == 1


def test_rebuild_re_arms_planned_notices_not_yet_sent(tracker, table) -> None:
    announce(tracker, at=100, customers={"mobile": ["c-1", "c-2"]})
    announce(tracker, at=50, mid="mw-0", customers={"fibre": ["c-3"]})
    tracker.advance(60)
    recovered = EpisodeTracker(table)
    recovered.rebuild()
    assert (recovered.pending(), recovered.next_deadline()) == (2, 100)
    assert stages(recovered.advance(INF)) == [("c-1", "planned", 100), ("c-2", "planned", 100)]
