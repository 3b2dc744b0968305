"""The network's view: incidents per root cause, maintenance windows, NOC updates."""

from __future__ import annotations

from pathlib import Path

import pytest

from forewarn.domain import Alarm, IncidentUpdate, MaintenanceWindow
from forewarn.geo import RegionIndex, load_region
from forewarn.streams.network.correlation import (
    Impact,
    IncidentMerge,
    IncidentNews,
    NetworkCorrelator,
    PlannedNotice,
    WindowEnd,
)
from forewarn.streams.network.elements import ElementStates
from forewarn.streams.network.windows import MaintenanceSchedule

TINY = Path(__file__).resolve().parents[2] / "fixtures" / "regions" / "tiny"
DAY = 86400.0


@pytest.fixture(scope="module")
def index() -> RegionIndex:
    return RegionIndex.build(load_region(TINY))


@pytest.fixture
def net(index: RegionIndex) -> NetworkCorrelator:
    return NetworkCorrelator(index, ElementStates({}), MaintenanceSchedule({}), {},
                             notice_before_s=2 * DAY)


def raised(alarm_id: str, element: str, at: float) -> Alarm:
    return Alarm(alarm_id, element, "raised", "critical", at, "cause")


def cleared(alarm_id: str, element: str, at: float) -> Alarm:
    return Alarm(alarm_id, element, "cleared", "critical", at, "cause")


def changes(events: list) -> list:
    return [c for e in events if isinstance(e, Impact) for c in e.changes]


def who(events: list, *, out: bool | None = None,
        planned: bool | None = None) -> set[tuple[str, str]]:
    return {(c.customer_id, c.service) for c in changes(events)
            if (out is None or c.out == out) and (planned is None or c.planned == planned)}


def expected(index: RegionIndex, *elements: str) -> set[tuple[str, str]]:
    return {(c, s) for s, ids in index.impact(list(elements)).items() for c in ids}


def test_everyone_hurt_by_one_power_failure_shares_one_incident(net: NetworkCorrelator,
                                                                index: RegionIndex) -> None:
    events = net.apply(raised("p", "PWR-1", 0))
    assert who(events, out=True) == expected(index, "PWR-1")
    assert len({c.incident_id for c in changes(events)}) == 1
    assert {c.cause_type for c in changes(events)} == {"power"}


def test_root_found_after_its_symptom_merges_the_symptom_incident(net: NetworkCorrelator) -> None:
    first = net.apply(raised("a", "A1", 0))
    symptom = {c.incident_id for c in changes(first)}
    later = net.apply(raised("s", "S-A", 5))
    merges = [e for e in later if isinstance(e, IncidentMerge)]
    assert [m.from_incident for m in merges] == list(symptom)
    assert {c.incident_id for c in changes(later)} == {merges[0].into_incident}
    assert merges[0].cause_element == "S-A"


def test_update_naming_an_element_reaches_the_incident_of_its_root(net: NetworkCorrelator) -> None:
    incident = changes(net.apply(raised("s", "S-A", 0)))[0].incident_id
    news = net.apply(IncidentUpdate(60, element_id="A1", eta=3600, message="Techniker vor Ort"))
    assert news == [IncidentNews(60, incident, 3600, "Techniker vor Ort")]


def test_update_for_no_open_incident_is_counted_not_sent(net: NetworkCorrelator) -> None:
    assert net.apply(IncidentUpdate(60, element_id="S-B")) == []
    assert net.counts.unmatched_updates == 1


def test_planned_notice_is_decided_notice_before_s_ahead_of_the_window(
    net: NetworkCorrelator, index: RegionIndex
) -> None:
    window = MaintenanceWindow("M1", ("S-A",), 5 * DAY, 5 * DAY + 3600, "Umbau", 0.0)
    [notice] = net.apply(window)
    assert isinstance(notice, PlannedNotice) and notice.at == 3 * DAY
    assert {(c, s) for s, ids in notice.customers.items() for c in ids} == expected(index, "S-A")
    assert net.apply(window) == [], "a repeated announcement notifies nobody twice"


def test_planned_notice_announced_late_is_decided_at_the_announcement(
    net: NetworkCorrelator,
) -> None:
    [notice] = net.apply(MaintenanceWindow("M1", ("S-A",), DAY, DAY + 60, None, DAY - 600))
    assert notice.at == DAY - 600


def test_alarm_inside_a_started_window_takes_nobody_out(net: NetworkCorrelator,
                                                        index: RegionIndex) -> None:
    net.apply(MaintenanceWindow("M1", ("S-A",), 100, 1000, None, 0))
    started = net.advance(100)
    assert who(started, planned=True) == expected(index, "S-A")
    assert {c.incident_id for c in changes(started)} == {"M1"}
    assert who(net.apply(raised("a", "A1", 200)), out=True) == set()


def test_window_end_with_service_back_brings_customers_back_and_names_them(
    net: NetworkCorrelator, index: RegionIndex
) -> None:
    net.apply(MaintenanceWindow("M1", ("S-A",), 100, 1000, None, 0))
    net.advance(100)
    ended = net.advance(1000)
    assert who(ended, out=False) == expected(index, "S-A")
    [end] = [e for e in ended if isinstance(e, WindowEnd)]
    assert {(c, s) for s, ids in end.customers.items() for c in ids} == expected(index, "S-A")


def test_window_overrun_leaves_customers_out_from_the_window_end(net: NetworkCorrelator,
                                                                 index: RegionIndex) -> None:
    net.apply(MaintenanceWindow("M1", ("S-A",), 100, 1000, None, 0))
    net.advance(100)
    net.apply(raised("s", "S-A", 500))
    ended = net.advance(1000)
    overrun = [c for c in changes(ended) if c.out]
    assert {(c.customer_id, c.service) for c in overrun} == expected(index, "S-A")
    assert all(not c.planned and c.at == 1000 for c in overrun)


def test_element_bouncing_often_is_marked_unstable_but_notices_stay_the_same(
    net: NetworkCorrelator, index: RegionIndex
) -> None:
    for n in range(2):
        net.apply(raised(f"f{n}", "A2", n * 100))
        net.apply(cleared(f"f{n}", "A2", n * 100 + 30))
    assert net.is_unstable("A2")
    assert not net.is_unstable("B1")
    events = net.apply(raised("f9", "A2", 500))
    assert who(events, out=True) == expected(index, "A2")


def test_flapping_mark_expires_when_the_element_settles(net: NetworkCorrelator) -> None:
    for n in range(2):
        net.apply(raised(f"f{n}", "A2", n * 100))
        net.apply(cleared(f"f{n}", "A2", n * 100 + 30))
    net.apply(raised("late", "A2", 5000))
    assert not net.is_unstable("A2")
