"""The customer's first report and legal clocks that start from it (``clock_start = "report"``).

Stories in Berlin time around Saturday 2026-11-21, DE rules (TKG §58: news on D+1 and
compensation from D+3, at 09:00 local), confirm 120 s, resolve 300 s, report lead 3600 s.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from forewarn.domain import Customer
from forewarn.streams import records
from forewarn.streams.customers.legal_clocks import GermanyTkg58
from forewarn.streams.customers.reports import MAX_REPORTS
from forewarn.streams.customers.stage import CustomerStage
from forewarn.streams.reasons import Reason
from tests.unit.customers.json_table import JsonTable
from tests.unit.customers.test_episode_journal import ChangelogTable

BERLIN = ZoneInfo("Europe/Berlin")
LEAD = 3600.0


def berlin(day: int, hour: int, minute: int = 0) -> float:
    return datetime(2026, 11, day, hour, minute, tzinfo=BERLIN).timestamp()


def customer(customer_id: str) -> Customer:
    return Customer(customer_id, ("mobile", "fibre"), "de", ("sms",), phone="+49151",
                    timezone="Europe/Berlin")


def make_stage(clock_start: str = "report", state: Any = None) -> CustomerStage:
    return CustomerStage(JsonTable() if state is None else state, 1, 120, 300,
                         customer=customer, legal=GermanyTkg58(), clock_start=clock_start,
                         report_lead_s=LEAD)


def out(at: float, *ids: str) -> dict[str, Any]:
    return {"kind": "impact", "at": at, "incident_id": "inc-1", "cause_element": "pon-1",
            "cause_type": "pon", "out": {"fibre": list(ids)}, "back": {}}


def back(at: float, *ids: str) -> dict[str, Any]:
    return {"kind": "impact", "at": at, "incident_id": "inc-1", "cause_element": "pon-1",
            "cause_type": "pon", "out": {}, "back": {"fibre": list(ids)}}


def contact(at: float, customer_id: str = "c-1", contact_id: str = "k-1",
            reason: str = "no_service") -> dict[str, Any]:
    return records.ContactMessage(at, customer_id, contact_id, "call", reason).to_wire()


def tick(at: float) -> dict[str, Any]:
    return {"kind": "tick", "at": at}


def told(stage: CustomerStage, *messages: dict[str, Any]) -> list[tuple[str, str, float, str]]:
    """(customer, stage, decided_at, reason) of every decision the messages yield."""
    found = []
    for message in messages:
        for record in stage.handle(0, message):
            found += [(d["customer_id"], d["stage"], d["decided_at"], str(d["reason"]))
                      for d in record.get("items", [])]
    return found


def legal(decisions: list[tuple[str, str, float, str]]) -> list[tuple[str, float, str]]:
    return [(c, at, reason) for c, stage, at, reason in decisions
            if reason in (Reason.LEGAL_DAY1, Reason.LEGAL_COMPENSATION)]


def week_of_ticks() -> list[dict[str, Any]]:
    return [tick(berlin(day, 12)) for day in range(21, 29)]


# -- when the first report is ------------------------------------------------------------------


def test_a_report_the_day_after_the_outage_starts_the_legal_clock_on_the_report_day() -> None:
    stage = make_stage()
    decisions = told(stage, out(berlin(21, 14), "c-1"), tick(berlin(21, 15)),
                     contact(berlin(22, 10)), *week_of_ticks())
    assert ("c-1", "outage", berlin(21, 14, 2), "confirmed") in decisions
    assert legal(decisions) == [("c-1", berlin(23, 9), "legal_day1"),
                                ("c-1", berlin(25, 9), "legal_compensation")]


def test_with_clock_start_outage_the_same_story_counts_from_the_outage() -> None:
    stage = make_stage("outage")
    decisions = told(stage, out(berlin(21, 14), "c-1"), tick(berlin(21, 15)),
                     contact(berlin(22, 10)), *week_of_ticks())
    assert legal(decisions) == [("c-1", berlin(22, 9), "legal_day1"),
                                ("c-1", berlin(24, 9), "legal_compensation")]


def test_a_report_before_the_notice_counts_when_the_outage_is_confirmed() -> None:
    stage = make_stage()
    decisions = told(stage, out(berlin(21, 23, 59), "c-1"), contact(berlin(22, 0, 0)),
                     *week_of_ticks())
    # out on the 21st, reported on the 22nd (before the notice at 00:01): D is the 22nd
    assert legal(decisions) == [("c-1", berlin(23, 9), "legal_day1"),
                                ("c-1", berlin(25, 9), "legal_compensation")]


def test_a_report_before_the_alarm_within_the_lead_counts_from_the_report() -> None:
    stage = make_stage()
    decisions = told(stage, contact(berlin(20, 23, 50)), out(berlin(21, 0, 20), "c-1"),
                     *week_of_ticks())
    # called on Friday 23:50, the alarm came on Saturday 00:20: D is Friday
    assert legal(decisions) == [("c-1", berlin(21, 9), "legal_day1"),
                                ("c-1", berlin(23, 9), "legal_compensation")]
    entry = stage.state["c-1"]
    assert entry["episodes"]["fibre"]["report"] == berlin(20, 23, 50)


@pytest.mark.parametrize(("before", "counts"), [(LEAD - 1, True), (LEAD, False),
                                                (LEAD + 600, False)])
def test_a_report_counts_only_less_than_the_lead_before_the_alarm(
    before: float, counts: bool
) -> None:
    stage = make_stage()
    alarm = berlin(21, 14)
    decisions = told(stage, contact(alarm - before), out(alarm, "c-1"), *week_of_ticks())
    assert ("c-1", "outage", alarm + 120, "confirmed") in decisions  # told either way
    assert bool(legal(decisions)) is counts
    assert ("report" in stage.state["c-1"]["episodes"]["fibre"]) is counts


def test_the_earliest_report_is_the_first_report() -> None:
    stage = make_stage()
    told(stage, contact(berlin(21, 13, 30), contact_id="k-1"),
         contact(berlin(21, 13, 40), contact_id="k-2"), out(berlin(21, 14), "c-1"),
         contact(berlin(21, 15), contact_id="k-3"))
    assert stage.state["c-1"]["episodes"]["fibre"]["report"] == berlin(21, 13, 30)
    assert stage.tracker(0).reasons[Reason.FIRST_REPORT] == 1


def test_a_contact_with_reason_other_is_no_report() -> None:
    stage = make_stage()
    decisions = told(stage, out(berlin(21, 14), "c-1"), contact(berlin(21, 15), reason="other"),
                     *week_of_ticks())
    assert legal(decisions) == []
    assert "report" not in stage.state["c-1"]["episodes"]["fibre"]
    assert stage.tracker(0).reasons[Reason.CONTACT_IGNORED] == 1


def test_a_report_after_the_episode_ended_is_not_its_report() -> None:
    stage = make_stage()
    decisions = told(stage, out(berlin(21, 14), "c-1"), back(berlin(21, 15), "c-1"),
                     tick(berlin(21, 16)), contact(berlin(21, 17)))
    assert [d[1] for d in decisions] == ["outage", "resolved"]
    assert stage.state["c-1"]["episodes"] == {}  # only the report is kept, for a while
    assert told(stage, *week_of_ticks()) == []
    assert dict(stage.state) == {}


# -- no report, no clock -------------------------------------------------------------------------


def test_without_a_report_there_is_no_legal_notice_but_every_other_notice() -> None:
    stage = make_stage()
    decisions = told(stage, out(berlin(21, 14), "c-1", "c-2"), contact(berlin(21, 15), "c-2"),
                     *week_of_ticks(), back(berlin(28, 13), "c-1", "c-2"), tick(berlin(28, 14)))
    assert [(c, s) for c, s, _, _ in decisions if c == "c-1"] == [
        ("c-1", "outage"), ("c-1", "resolved")]
    assert [c for c, _, _ in legal(decisions)] == ["c-2", "c-2"]
    assert stage.tracker(0).reasons[Reason.LEGAL_NO_REPORT] == 2  # both, at their notice


def test_a_report_while_back_sends_no_legal_notice_when_the_episode_then_ends() -> None:
    stage = make_stage()
    decisions = told(stage, out(berlin(21, 14), "c-1"), tick(berlin(21, 15)),
                     back(berlin(22, 8, 58), "c-1"), contact(berlin(22, 8, 59)),
                     tick(berlin(22, 9, 30)))
    # back at 08:58 (not yet resolved), reported at 08:59: news is due on the 23rd, and the
    # episode ends at 09:03, so none goes out
    assert legal(decisions) == []
    assert [d[1] for d in decisions] == ["outage", "resolved"]


# -- duplicates and bounds -----------------------------------------------------------------------


def test_a_contact_delivered_twice_counts_once() -> None:
    once, twice = make_stage(), make_stage()
    story = [out(berlin(21, 14), "c-1"), tick(berlin(21, 15))]
    first = told(once, *story, contact(berlin(22, 10)), *week_of_ticks())
    second = told(twice, *story, contact(berlin(22, 10)), contact(berlin(22, 10)),
                  contact(berlin(22, 10, 30)),  # the same id again, with another time
                  *week_of_ticks())
    assert second == first
    assert twice.tracker(0).reasons[Reason.FIRST_REPORT] == 1
    assert twice.tracker(0).reasons[Reason.CONTACT_IGNORED] == 2


def test_a_contact_of_a_customer_with_no_episode_changes_nothing_and_is_forgotten() -> None:
    stage = make_stage()
    at = berlin(21, 10)
    assert told(stage, contact(at, "c-9")) == []
    assert list(stage.state) == ["c-9"]
    assert stage.state["c-9"]["episodes"] == {}
    assert told(stage, tick(at + LEAD - 1)) == []
    assert list(stage.state) == ["c-9"]  # kept while an episode could still use it
    assert told(stage, tick(at + LEAD)) == []
    assert dict(stage.state) == {}
    assert stage.tracker(0).pending() == 0


def test_a_customer_who_reports_all_day_keeps_a_bounded_number_of_reports() -> None:
    stage = make_stage()
    start = berlin(21, 8)
    for n in range(200):
        told(stage, contact(start + n, contact_id=f"k-{n}"))
    seen = stage.state["c-1"]["reports"]["seen"]
    assert len(seen) == MAX_REPORTS
    assert [at for at, _ in seen] == [start + n for n in range(MAX_REPORTS)]  # the earliest
    told(stage, tick(start + 200 + LEAD))
    assert dict(stage.state) == {}


def test_a_report_older_than_the_lead_drops_while_later_ones_stay() -> None:
    stage = make_stage()
    told(stage, contact(berlin(21, 12), contact_id="k-1"),
         contact(berlin(21, 12, 30), contact_id="k-2"), tick(berlin(21, 13)))
    assert [r[1] for r in stage.state["c-1"]["reports"]["seen"]] == ["k-2"]
    decisions = told(stage, out(berlin(21, 13, 20), "c-1"), *week_of_ticks())
    assert stage.state["c-1"]["episodes"]["fibre"]["report"] == berlin(21, 12, 30)
    assert legal(decisions)[0] == ("c-1", berlin(22, 9), "legal_day1")


# -- the changelog and a restart -------------------------------------------------------------


def test_reports_and_first_reports_round_trip_through_the_changelog_and_a_restart() -> None:
    table = ChangelogTable()
    stage = make_stage(state=table)
    early = berlin(21, 13, 30)
    told(stage, contact(early, "c-1", "k-1"), contact(berlin(21, 13, 45), "c-2", "k-2"),
         out(berlin(21, 14), "c-1"), tick(berlin(21, 15)), contact(berlin(21, 16), "c-3", "k-3"))
    before = {k: v for k, v in table.data.items() if not k.startswith("\x00")}

    fresh = table.recovered()
    again = make_stage(state=fresh)
    later = told(again, *week_of_ticks())
    restored = {k: v for k, v in fresh.data.items() if not k.startswith("\x00")}
    assert set(restored) == {"c-1"}  # the others' reports were forgotten after the lead
    assert restored["c-1"]["episodes"]["fibre"]["report"] == early
    assert before["c-1"]["episodes"]["fibre"]["report"] == early
    assert legal(later) == [("c-1", berlin(22, 9), "legal_day1"),
                            ("c-1", berlin(24, 9), "legal_compensation")]


def test_the_forget_timer_of_reports_is_rebuilt_after_a_restart() -> None:
    table = ChangelogTable()
    told(make_stage(state=table), contact(berlin(21, 10), "c-9"))
    fresh = table.recovered()
    again = make_stage(state=fresh)
    told(again, tick(berlin(21, 10, 30)))
    assert "c-9" in fresh.data
    told(again, tick(berlin(21, 11)))
    assert "c-9" not in fresh.data


def test_a_report_after_the_notice_survives_a_restart_with_its_clocks() -> None:
    table = ChangelogTable()
    told(make_stage(state=table), out(berlin(21, 14), "c-1"), tick(berlin(21, 15)),
         contact(berlin(22, 10)))
    again = make_stage(state=table.recovered())
    assert legal(told(again, *week_of_ticks())) == [
        ("c-1", berlin(23, 9), "legal_day1"), ("c-1", berlin(25, 9), "legal_compensation")]


# -- the message -----------------------------------------------------------------------------


def test_the_contact_message_round_trips_and_a_malformed_one_is_a_dead_letter() -> None:
    wire = contact(5.0)
    assert wire == {"kind": "contact", "at": 5.0, "customer_id": "c-1", "contact_id": "k-1",
                    "channel": "call", "reason": "no_service"}
    assert records.decode_impacts(wire) == [records.ContactMessage(5.0, "c-1", "k-1", "call",
                                                                   "no_service")]
    stage = make_stage()
    assert stage.handle(0, {**wire, "customer_id": 7}) == []
    assert told(stage, {k: v for k, v in wire.items() if k != "reason"}) == []
    letters = stage.take_dead_letters()
    assert len(letters) == 2
    assert "customer_id is not a string" in letters[0]["reason"]
    assert "'reason'" in letters[1]["reason"]
    assert dict(stage.state) == {}


def test_the_stage_refuses_an_unknown_clock_start_and_a_negative_lead() -> None:
    with pytest.raises(ValueError, match=r"clock_start must be one of outage, report, got 'alarm'"):
        make_stage("alarm")
    with pytest.raises(ValueError, match=r"report_lead_s must not be negative"):
        CustomerStage({}, 1, 120, 300, report_lead_s=-1)
