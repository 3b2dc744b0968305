"""Incident lifecycle: the network's events -> CONTRACT §8 incident events, each at its instant."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from forewarn.domain import IncidentUpdate, MaintenanceWindow
from forewarn.geo import RegionIndex
from forewarn.streams.network import incident_lifecycle
from forewarn.streams.network.correlation import NetworkCorrelator
from forewarn.streams.network.events import (
    ContactSeen,
    Impact,
    IncidentMerge,
    IncidentNews,
    SuspicionEvent,
)
from forewarn.streams.network.incident_lifecycle import IncidentEvent, IncidentLifecycle
from forewarn.streams.network.service_states import OK, OUT, Cause
from forewarn.streams.network.stage import NetworkStage
from tests.unit.network.network_helpers import cleared, correlator, raised

T0 = 1_780_000_000.0


def cause(incident_id: str, at: float, element: str = "S-A", kind: str = "site") -> Cause:
    return at, incident_id, element, kind, None


def impact(rows: list[tuple[str, str, int, Cause]]) -> Impact:
    return Impact.of(rows)


def contact(contact_id: str, customer_id: str, at: float) -> ContactSeen:
    return ContactSeen(at, contact_id, customer_id, "call", "no_service", True)


def kinds(events: list[IncidentEvent]) -> list[tuple[str, str]]:
    return [(e.incident_id, e.event) for e in events]


def test_first_customer_out_opens_the_incident_with_its_counts_per_service() -> None:
    life = IncidentLifecycle()
    c = cause("INC-1", T0)
    events = life.feed([impact([("a", "mobile", OUT, c), ("a", "fibre", OUT, c),
                                ("b", "mobile", OUT, c)])])
    assert kinds(events) == [("INC-1", "opened")]
    record = events[0].record()
    assert record["customers"] == {"mobile": 2, "fibre": 1}
    assert record["element_id"] == "S-A" and record["cause_type"] == "site"
    assert record["at"] == "2026-05-28T20:26:40+00:00"
    assert "contacts_before_notice" not in record


def test_more_customers_out_is_an_update_and_the_last_one_back_resolves() -> None:
    life = IncidentLifecycle()
    life.feed([impact([("a", "mobile", OUT, cause("INC-1", T0))])])
    grown = life.feed([impact([("b", "mobile", OUT, cause("INC-1", T0 + 10))])])
    assert kinds(grown) == [("INC-1", "updated")]
    assert grown[0].reason == "customers" and grown[0].customers == {"mobile": 2, "fibre": 0}
    partly = life.feed([impact([("a", "mobile", OK, cause("INC-1", T0 + 20))])])
    assert kinds(partly) == [("INC-1", "updated")]
    done = life.feed([impact([("b", "mobile", OK, cause("INC-1", T0 + 30))])])
    assert kinds(done) == [("INC-1", "resolved")]
    assert done[0].at == T0 + 30
    record = done[0].record({})
    assert record["customers"] == {"mobile": 0, "fibre": 0}
    assert record["peak"] == {"mobile": 2, "fibre": 0}
    assert record["opened_at"] == "2026-05-28T20:26:40+00:00"
    assert life.open_incidents() == []


def test_one_record_changing_counts_many_times_gives_one_update() -> None:
    life = IncidentLifecycle()
    life.feed([impact([("a", "mobile", OUT, cause("INC-1", T0))])])
    events = life.feed([impact([("b", "mobile", OUT, cause("INC-1", T0 + 1))]),
                        impact([("c", "fibre", OUT, cause("INC-1", T0 + 1))])])
    assert kinds(events) == [("INC-1", "updated")]
    assert events[0].customers == {"mobile": 2, "fibre": 1}


def test_noc_news_for_an_open_incident_is_an_update_and_for_an_unknown_one_nothing() -> None:
    life = IncidentLifecycle()
    life.feed([impact([("a", "mobile", OUT, cause("INC-1", T0))])])
    events = life.feed([IncidentNews(T0 + 60, "INC-1", T0 + 3600, "crew on site"),
                        IncidentNews(T0 + 60, "INC-unknown", None, "?")])
    assert kinds(events) == [("INC-1", "updated")]
    assert events[0].reason == "news" and events[0].at == T0 + 60


def test_a_merge_moves_customers_and_contacts_and_ends_the_merged_id() -> None:
    life = IncidentLifecycle()
    life.feed([impact([("a", "mobile", OUT, cause("INC-cell", T0, "A1", "cell"))])])
    life.feed([contact("k1", "a", T0 + 5)])
    events = life.feed([IncidentMerge(T0 + 10, "INC-cell", "INC-power", "PWR-1", "power"),
                        impact([("b", "mobile", OUT, cause("INC-power", T0 + 10, "PWR-1",
                                                           "power"))])])
    assert kinds(events) == [("INC-power", "opened"), ("INC-cell", "resolved"),
                             ("INC-power", "updated"), ("INC-power", "updated")]
    merged = events[1].record()
    assert merged["merged_into"] == "INC-power"
    assert "contacts_never_told" not in merged
    assert life.customers("INC-power") == {"mobile": 2, "fibre": 0}
    # a's outage was filed under the old id: its return ends the merged incident
    life.feed([impact([("a", "mobile", OK, cause("INC-power", T0 + 50, "PWR-1", "power"))])])
    done = life.feed([impact([("b", "mobile", OK, cause("INC-power", T0 + 60, "PWR-1",
                                                        "power"))])])
    assert kinds(done) == [("INC-power", "resolved")]
    assert done[0].told_ids == ("INC-power", "INC-cell")
    told_under_old_id = {"a": T0 + 1}
    assert done[0].record(told_under_old_id)["contacts_after_notice"] == 1


def test_suspected_incident_confirmed_then_resolved_under_its_id() -> None:
    life = IncidentLifecycle()
    opened = life.feed([SuspicionEvent("suspected", "SUS-1", "PON-1", "pon", T0, 6, 40)])
    assert kinds(opened) == [("SUS-1", "suspected")]
    assert opened[0].record()["reports"] == 6
    more = life.feed([SuspicionEvent("updated", "SUS-1", "PON-1", "pon", T0 + 60, 8, 40)])
    assert kinds(more) == [("SUS-1", "updated")] and more[0].reports == 8
    confirmed = life.feed([SuspicionEvent("confirmed", "SUS-1", "PON-1", "pon", T0 + 90, 8, 40),
                           impact([("a", "fibre", OUT, cause("SUS-1", T0 + 90, "PON-1",
                                                             "pon"))])])
    assert kinds(confirmed) == [("SUS-1", "confirmed"), ("SUS-1", "updated")]
    done = life.feed([impact([("a", "fibre", OK, cause("SUS-1", T0 + 900, "PON-1", "pon"))])])
    assert kinds(done) == [("SUS-1", "resolved")]


def test_unconfirmed_suspicion_is_cancelled_with_its_counts_and_never_resolves() -> None:
    life = IncidentLifecycle()
    life.feed([SuspicionEvent("suspected", "SUS-1", "PON-1", "pon", T0, 6, 40)])
    events = life.feed([SuspicionEvent("cancelled", "SUS-1", "PON-1", "pon", T0 + 900, 6, 40)])
    assert kinds(events) == [("SUS-1", "cancelled")]
    assert events[0].record({})["contacts_never_told"] == 0
    assert life.open_incidents() == []


def test_contacts_count_for_the_incident_the_customer_is_out_under() -> None:
    life = IncidentLifecycle()
    life.feed([impact([("a", "mobile", OUT, cause("INC-1", T0)),
                       ("b", "mobile", OUT, cause("INC-1", T0))])])
    life.feed([contact("k1", "a", T0 + 10)])  # told at T0 + 120: before notice
    life.feed([contact("k2", "b", T0 + 200)])  # told at T0 + 120: after notice
    life.feed([contact("k2", "b", T0 + 200)])  # the same contact again: once
    life.feed([contact("k3", "stranger", T0 + 200)])  # not in the incident
    life.feed([impact([("a", "mobile", OK, cause("INC-1", T0 + 300))])])
    life.feed([contact("k4", "a", T0 + 310)])  # back already: not this incident's
    life.feed([contact("k5", "b", T0 + 320)])  # b was never told (no notice for b below)
    done = life.feed([impact([("b", "mobile", OK, cause("INC-1", T0 + 400))])])
    record = done[0].record({"a": T0 + 120, "b": T0 + 120})
    assert (record["contacts_before_notice"], record["contacts_after_notice"],
            record["contacts_never_told"]) == (1, 2, 0)
    assert done[0].record({"a": T0 + 120})["contacts_never_told"] == 2


def test_contacts_beyond_the_cap_are_counted_as_unrecorded() -> None:
    life = IncidentLifecycle(max_contacts=2)
    life.feed([impact([("a", "mobile", OUT, cause("INC-1", T0))])])
    life.feed([contact(f"k{i}", "a", T0 + i) for i in range(5)])
    done = life.feed([impact([("a", "mobile", OK, cause("INC-1", T0 + 60))])])
    record = done[0].record({})
    assert record["contacts_never_told"] == 2 and record["contacts_unrecorded"] == 3


def test_correlator_outage_and_recovery_give_opened_then_resolved(
        tiny_index: RegionIndex) -> None:
    net = correlator(tiny_index)
    life = IncidentLifecycle()
    opened = life.feed(net.apply(raised("x", "S-A", T0)))
    assert kinds(opened) == [(opened[0].incident_id, "opened")]
    assert opened[0].element_id == "S-A"
    assert sum(opened[0].customers.values()) > 0
    done = life.feed(net.apply(cleared("x", "S-A", T0 + 600)))
    assert [e.event for e in done] == ["resolved"]
    assert done[0].incident_id == opened[0].incident_id and done[0].at == T0 + 600


def test_correlator_root_found_above_merges_into_the_power_incident(
        tiny_index: RegionIndex) -> None:
    net = correlator(tiny_index)
    life = IncidentLifecycle()
    cell = life.feed(net.apply(raised("c", "A1", T0)))[0].incident_id
    events = life.feed(net.apply(raised("p", "PWR-1", T0 + 30)))
    power = next(e.incident_id for e in events if e.event == "opened")
    assert (cell, "resolved") in kinds(events)
    assert next(e for e in events if e.incident_id == cell).merged_into == power
    life.feed(net.apply(cleared("c", "A1", T0 + 40)))
    done = life.feed(net.apply(cleared("p", "PWR-1", T0 + 100)))
    assert kinds(done) == [(power, "resolved")]
    assert life.open_incidents() == []


def test_planned_works_produce_no_incident_events(tiny_index: RegionIndex) -> None:
    net = correlator(tiny_index)
    life = IncidentLifecycle()
    window = MaintenanceWindow("MW-1", ("S-A",), T0 + 100, T0 + 200, None, T0)
    seen: list[IncidentEvent] = []
    seen += life.feed(net.apply(window))
    seen += life.feed(net.advance(T0 + 150))
    seen += life.feed(net.advance(T0 + 300))
    assert seen == []


def test_an_outage_that_outlasts_its_window_opens_at_the_window_end(
        tiny_index: RegionIndex) -> None:
    net: NetworkCorrelator = correlator(tiny_index)
    life = IncidentLifecycle()
    life.feed(net.apply(MaintenanceWindow("MW-1", ("S-A",), T0 + 100, T0 + 200, None, T0)))
    assert life.feed(net.advance(T0 + 150)) == []
    assert life.feed(net.apply(raised("x", "S-A", T0 + 160))) == []  # planned, not out
    opened = life.feed(net.advance(T0 + 250))
    assert [(e.event, e.at) for e in opened] == [("opened", T0 + 200)]
    news = life.feed(net.apply(IncidentUpdate(T0 + 260, element_id="S-A", message="crew")))
    assert [e.event for e in news] == ["updated"]


def test_a_large_impact_is_counted_without_a_python_object_per_customer() -> None:
    n = 200_000
    ids = np.asarray([f"c{i}" for i in range(n)], dtype=object)
    causes: tuple[Cause, ...] = (cause("INC-big", T0, "PWR-9", "power"),)
    out = Impact(ids, np.arange(n), np.zeros(n, np.int64), np.full(n, OUT, np.int64), causes,
                 np.zeros(n, np.int64))
    back = Impact(ids, np.arange(n), np.zeros(n, np.int64), np.full(n, OK, np.int64), causes,
                  np.zeros(n, np.int64))
    life = IncidentLifecycle()
    assert life.feed([out])[0].customers == {"mobile": n, "fibre": 0}
    assert kinds(life.feed([back])) == [("INC-big", "resolved")]


def test_after_a_takeover_open_incidents_go_on_from_the_journalled_state(
        tiny_index: RegionIndex) -> None:
    state: dict[str, dict[str, Any]] = {"elements": {}, "windows": {}, "incidents": {},
                                        "cuts": {}}
    before = NetworkStage(correlator(tiny_index, state), 2)
    before.handle(raised("x", "S-A", T0))
    opened = before.take_incident_events()
    after = NetworkStage(correlator(tiny_index, state), 2)  # new owner, same journal
    after.rebuild_lifecycle()
    assert after.take_incident_events() == []  # opened before: not again
    assert after.lifecycle.customers(opened[0].incident_id) == opened[0].customers
    after.handle(cleared("x", "S-A", T0 + 600))
    assert kinds(after.take_incident_events()) == [(opened[0].incident_id, "resolved")]


def test_a_customer_out_of_both_services_counts_one_contact_once() -> None:
    life = IncidentLifecycle()
    c = cause("INC-1", T0)
    life.feed([impact([("a", "mobile", OUT, c), ("a", "fibre", OUT, c)])])
    life.feed([contact("k1", "a", T0 + 10)])
    life.feed([impact([("a", "mobile", OK, cause("INC-1", T0 + 50))])])
    life.feed([contact("k2", "a", T0 + 60)])  # still out of fibre: the incident's
    done = life.feed([impact([("a", "fibre", OK, cause("INC-1", T0 + 70))])])
    assert kinds(done) == [("INC-1", "resolved")]
    assert done[0].record({})["contacts_never_told"] == 2


def test_a_suspected_incident_counts_contacts_of_its_elements_customers_from_the_tipping_one(
        ) -> None:
    life = IncidentLifecycle(served=lambda element: ["r1", "r2", "r3"] if element == "PON-1"
                             else [])
    life.feed([contact("k0", "r1", T0 - 60)])  # before the suspicion: not its
    life.feed([contact("k1", "r2", T0),  # the report that tips it
               SuspicionEvent("suspected", "SUS-1", "PON-1", "pon", T0, 5, 3)])
    life.feed([contact("k2", "stranger", T0 + 10), contact("k3", "r3", T0 + 20)])
    done = life.feed([SuspicionEvent("cancelled", "SUS-1", "PON-1", "pon", T0 + 900, 5, 3)])
    assert done[0].record({})["contacts_never_told"] == 2
    assert done[0].record({"r3": T0 + 5})["contacts_after_notice"] == 1


def test_an_incident_cancelled_with_customers_out_frees_them_for_the_next_one() -> None:
    life = IncidentLifecycle()
    life.feed([SuspicionEvent("suspected", "SUS-1", "PON-1", "pon", T0, 5, 3)])
    life.feed([impact([("a", "fibre", OUT, cause("SUS-1", T0 + 1, "PON-1", "pon"))])])
    assert kinds(life.feed([SuspicionEvent("cancelled", "SUS-1", "PON-1", "pon", T0 + 900, 5,
                                           3)])) == [("SUS-1", "cancelled")]
    opened = life.feed([impact([("a", "fibre", OUT, cause("INC-2", T0 + 950))])])
    assert kinds(opened) == [("INC-2", "opened")] and opened[0].customers["fibre"] == 1
    assert kinds(life.feed([impact([("a", "fibre", OK, cause("INC-2", T0 + 999))])])) == [
        ("INC-2", "resolved")]


def test_recent_contacts_and_watched_customers_stop_at_their_limits(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(incident_lifecycle, "MAX_RECENT", 2)
    monkeypatch.setattr(incident_lifecycle, "MAX_WATCHED", 3)
    served = ["r0", "r1", "r2", "r3"]  # one more than watched
    life = IncidentLifecycle(served=lambda element: served)
    # three reports at the suspected instant, reported later: only the last two are kept
    life.feed([contact("k0", "r0", T0), contact("k1", "r1", T0), contact("k2", "r2", T0)])
    life.feed([SuspicionEvent("suspected", "SUS-1", "PON-1", "pon", T0, 5, 4)])
    life.feed([contact("k3", "r3", T0 + 5)])  # beyond the watched customers: not counted
    done = life.feed([SuspicionEvent("cancelled", "SUS-1", "PON-1", "pon", T0 + 900, 5, 4)])
    assert done[0].record({})["contacts_never_told"] == 2
