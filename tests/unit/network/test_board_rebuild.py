"""The incident board after a takeover of ``alarms.raw`` (issue 14/15 follow-up): a new
owner re-derives open incidents, who is out under each, maintenance windows and open
suspicions from the network journal, and held receipts land on them. On the shipped sample
region, with the real suspicion detector, over plain dicts (no broker)."""

from __future__ import annotations

from typing import Any

import pytest

from forewarn.config import SensorSettings
from forewarn.domain import Contact, IncidentUpdate, MaintenanceWindow
from forewarn.geo import RegionIndex, load_region
from forewarn.streams import records
from forewarn.streams.kafka.network_step import suspicion_entry
from forewarn.streams.network.board_snapshot import BoardSnapshot, OpenIncident, board_snapshot
from forewarn.streams.network.correlation import NetworkCorrelator, SuspicionEvent
from forewarn.streams.network.elements import ElementStates
from forewarn.streams.network.incident_board import IncidentBoard
from forewarn.streams.network.serving import served_counts
from forewarn.streams.network.stage import NetworkStage
from forewarn.streams.network.suspicion import SuspicionDetector
from forewarn.streams.network.windows import MaintenanceSchedule
from tests.forewarn_testing import SAMPLE
from tests.unit.network.network_helpers import cleared, correlator, raised

T0 = 1_795_000_000.0  # 2026-11-18
PON = "PON-0003"
SITE = "S0004"
PARTITIONS = 4


@pytest.fixture(scope="module")
def sample() -> RegionIndex:
    return RegionIndex.build(load_region(SAMPLE))


def stage(index: RegionIndex, state: dict[str, dict[str, Any]]) -> NetworkStage:
    """A network stage over ``state`` (shared by an old and a new owner: the journal)."""
    detector = SuspicionDetector(SensorSettings(), served_counts(index), index.element_type,
                                 state["suspicions"])
    net = NetworkCorrelator(index, ElementStates(state["elements"]),
                            MaintenanceSchedule(state["windows"]), state["incidents"],
                            cuts=state["cuts"], suspicion=detector, country="DE")
    net.rebuild()
    return NetworkStage(net, PARTITIONS)


def journal() -> dict[str, dict[str, Any]]:
    return {"elements": {}, "windows": {}, "incidents": {}, "cuts": {}, "suspicions": {}}


def feed(net: NetworkStage, board: IncidentBoard, inputs: list[Any]) -> None:
    """What the network step does: every message to ``impacts`` and every suspicion event
    goes on the board too."""
    for record in inputs:
        for _, message in net.handle(record):
            board.record(message)
        for event in net.take_sensed():
            if isinstance(event, SuspicionEvent):
                board.record_suspicion(suspicion_entry(event))


def receipt(n: int, incident: str, stage_name: str = "outage") -> dict[str, Any]:
    return {"notification_id": f"n-{n}-{incident}-{stage_name}", "customer_id": f"C{n:07d}",
            "incident_id": incident, "stage": stage_name, "services": ["mobile"],
            "channel": "sms", "to": "+49***78", "language": "de", "subject": None,
            "text": "Wir wissen Bescheid.", "decided_at": "2026-11-18T10:00:00+00:00",
            "delivered_at": "2026-11-18T10:00:01+00:00"}


def story(index: RegionIndex, pon_customers: list[str]) -> list[Any]:
    """A site down, a window running, one announced for next week, a suspected PON."""
    reports = [Contact(f"k-{n}", "app", "no_service", T0 + 100 + n * 60, customer_id=c)
               for n, c in enumerate(pon_customers[:6])]
    return [raised("a-1", SITE, T0),
            MaintenanceWindow("MW-now", ("PON-0007",), T0 + 10, T0 + 7200, "works", T0 + 5),
            MaintenanceWindow("MW-later", ("PON-0008",), T0 + 7 * 86400, T0 + 7 * 86400 + 3600,
                              None, T0 + 20),
            IncidentUpdate(T0 + 30, element_id=SITE, eta=T0 + 3600, message="crew on site"),
            *reports]


def view(board: IncidentBoard) -> dict[str, Any]:
    """What a takeover must keep: incidents, who is out, windows, suspicions."""
    return {"incidents": {i["incident_id"]: (i["cause_element"], i["cause_type"], i["started_at"],
                                             i["active"], i["affected_now"], i["window"])
                          for i in board.incidents()},
            "affected": board.affected(), "upcoming": board.upcoming(),
            "suspected": [(s["incident_id"], s["element_id"], s["reports"])
                          for s in board.suspicions()]}


def test_a_new_owners_board_shows_the_open_incidents_windows_and_suspicions_of_the_journal(
        sample: RegionIndex) -> None:
    state = journal()
    old, live = stage(sample, state), IncidentBoard()
    pon_customers = [sample.customer_ids[p] for p in sample.dependents([PON]).tolist()]
    feed(old, live, story(sample, pon_customers))
    feed(old, live, [records.WallClock(T0 + 1000)])  # the last reports are tested
    assert live.suspicions() and live.upcoming() and len(live.affected()) == 2  # the story ran

    new, rebuilt = stage(sample, state), IncidentBoard()  # same journal, fresh memory
    new.rebuild_lifecycle()
    rebuilt.rebuild(board_snapshot(new))
    assert view(rebuilt) == view(live)


def test_receipts_held_before_the_rebuild_land_on_the_rebuilt_incident_once_each(
        sample: RegionIndex) -> None:
    state = journal()
    old, live = stage(sample, state), IncidentBoard()
    feed(old, live, [raised("a-1", SITE, T0)])
    [incident_id] = {e["incident_id"] for e in state["incidents"].values()}
    new, board = stage(sample, state), IncidentBoard()
    for n in (1, 2, 3, 2):  # the receipt feed starts before the journal is loaded; 2 repeats
        board.record_receipt(receipt(n, incident_id))
    assert board.incident(incident_id) is None  # held: the incident is not on the board yet
    board.rebuild(board_snapshot(new))
    summary = board.incident(incident_id)
    assert summary is not None and summary["told"]["outage"]["count"] == 3
    assert summary["affected_now"] == live.incidents()[0]["affected_now"]
    assert sum(summary["affected_now"].values()) > 0


def test_a_later_impact_after_the_rebuild_moves_the_rebuilt_customers(
        sample: RegionIndex) -> None:
    state = journal()
    feed(stage(sample, state), IncidentBoard(), [raised("a-1", SITE, T0)])
    new, board = stage(sample, state), IncidentBoard()
    board.rebuild(board_snapshot(new))
    feed(new, board, [cleared("a-1", SITE, T0 + 600)])
    [summary] = board.incidents()
    assert not summary["active"] and summary["ended_at"] is not None
    assert board.affected() == {}


def test_eta_and_news_journalled_with_the_incident_reach_the_new_owners_board(
        sample: RegionIndex) -> None:
    state = journal()
    old, live = stage(sample, state), IncidentBoard()
    feed(old, live, [raised("a-1", SITE, T0),
                     IncidentUpdate(T0 + 30, element_id=SITE, eta=T0 + 3600, message="crew"),
                     IncidentUpdate(T0 + 60, element_id=SITE, eta=T0 + 7200, message=None)])
    new, rebuilt = stage(sample, state), IncidentBoard()
    rebuilt.rebuild(board_snapshot(new))
    [before], [after] = live.incidents(), rebuilt.incidents()
    assert (after["eta"], after["message"], after["news"]) == (
        before["eta"], before["message"], before["news"])
    assert after["eta"] is not None and len(after["news"]) == 2


def test_an_incident_that_ended_under_another_owner_ends_on_a_returning_owners_board() -> None:
    board = IncidentBoard()
    board.rebuild(BoardSnapshot(T0, (OpenIncident("INC-1", "S-A", "site", T0,
                                                  {"mobile": ["a", "b"]}),)))
    board.record_receipt(receipt(1, "INC-1"))
    board.rebuild(BoardSnapshot(T0 + 900))  # ownership came back: nothing open any more
    summary = board.incident("INC-1")
    assert summary is not None and not summary["active"]
    assert summary["ended_at"] is not None and summary["affected_peak"]["mobile"] == 2
    assert summary["told"]["outage"]["count"] == 1  # counts already on the board stay
    assert board.incidents_of("a") == {}


def test_a_rebuild_keeps_the_told_counts_of_an_incident_that_is_still_open() -> None:
    board = IncidentBoard()
    snapshot = BoardSnapshot(T0, (OpenIncident("INC-1", "S-A", "site", T0,
                                               {"mobile": ["a", "b"]}),))
    board.rebuild(snapshot)
    board.record_receipt(receipt(1, "INC-1"))
    board.rebuild(snapshot)
    summary = board.incident("INC-1")
    assert summary is not None
    assert summary["told"]["outage"]["count"] == 1 and summary["affected_now"]["mobile"] == 2


def test_receipts_of_incidents_merged_into_a_root_count_for_the_root_after_a_takeover(
        tiny_index: RegionIndex) -> None:
    state = {"elements": {}, "windows": {}, "incidents": {}, "cuts": {}}
    old, live = NetworkStage(correlator(tiny_index, state), PARTITIONS), IncidentBoard()
    feed(old, live, [raised("c", "A1", T0)])
    cell_incident = live.incidents()[0]["incident_id"]
    feed(old, live, [raised("s", "S-A", T0 + 200)])  # the site above: A1's incident merges
    site_incident = state["incidents"]["S-A"]["incident_id"]
    feed(old, live, [raised("p", "PWR-1", T0 + 400)])  # and the power above the site
    [root_entry] = state["incidents"].values()
    assert root_entry["incident_id"] not in (cell_incident, site_incident)
    assert set(root_entry["merged"]) == {cell_incident, site_incident}, "chains kept"

    new, board = NetworkStage(correlator(tiny_index, state), PARTITIONS), IncidentBoard()
    board.record_receipt(receipt(1, cell_incident))  # told under the cell's incident
    board.record_receipt(receipt(2, site_incident))
    board.rebuild(board_snapshot(new))
    board.record_receipt(receipt(3, cell_incident))  # after the rebuild: via the alias
    summary = board.story(cell_incident)
    assert summary is not None and summary["incident_id"] == root_entry["incident_id"]
    assert summary["told"]["outage"]["count"] == 3


def test_an_open_incident_with_nobody_out_under_it_is_not_put_on_the_board() -> None:
    board = IncidentBoard()
    board.rebuild(BoardSnapshot(T0, (OpenIncident("INC-covered", "A1", "cell", T0, {}),
                                     OpenIncident("INC-1", "S-A", "site", T0,
                                                  {"mobile": ["a"]}))))
    assert [i["incident_id"] for i in board.incidents()] == ["INC-1"]
