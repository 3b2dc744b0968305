"""Contacts reach the network stage in its one order (issue 15 item 1): a contact moves event
time and changes nobody's service (what the network makes of it: test_network_contacts)."""

from __future__ import annotations

from typing import Any

from forewarn.domain import Contact, MaintenanceWindow
from forewarn.geo import RegionIndex
from forewarn.streams import records
from forewarn.streams.network.stage import NetworkStage
from forewarn.streams.partitioning import partitions_of
from tests.unit.network.network_helpers import changes, correlator


def contact(at: float, customer_id: str = "007") -> Contact:
    return Contact("c-1", "app", "no_service", at, customer_id=customer_id)


def test_contact_moves_event_time_and_changes_no_service(tiny_index: RegionIndex) -> None:
    net = correlator(tiny_index)
    assert changes(net.apply(contact(500.0))) == []
    assert net.clock == 500.0


def test_contact_after_a_window_start_starts_the_window(tiny_index: RegionIndex) -> None:
    net = correlator(tiny_index)
    net.apply(MaintenanceWindow("M1", ("S-A",), 100, 1000, None, 0))
    started = net.apply(contact(150.0))
    planned = changes(started)
    assert planned and all(c.planned and c.at == 100 for c in planned)  # at the window's start
    assert net.clock == 150.0


def test_network_stage_takes_a_normalised_contact_off_alarms_raw(
    tiny_index: RegionIndex,
) -> None:
    stage = NetworkStage(correlator(tiny_index), 2)
    wire: dict[str, Any] = records.normalised(contact(2_000_000_000.0))
    out = stage.handle(wire)
    assert stage.records == 1
    # the contact goes to its customer's partition (legal clocks from the report live there),
    # and time reaches every partition by a tick
    home = int(partitions_of(["007"], 2)[0])
    assert [(p, m) for p, m in out if m["kind"] != "tick"] == [(home, {
        "kind": "contact", "at": 2_000_000_000.0, "customer_id": "007", "contact_id": "c-1",
        "channel": "app", "reason": "no_service"})]
    assert sorted(p for p, m in out if m["kind"] == "tick") == [0, 1]
    assert [s.contact_id for s in stage.take_sensed()] == ["c-1"]  # seen, for lifecycles
    assert stage.correlator.clock == 2_000_000_000.0


def test_a_contact_keeps_its_own_time_and_does_not_stand_in_for_its_partitions_tick(
    tiny_index: RegionIndex,
) -> None:
    stage = NetworkStage(correlator(tiny_index), 1)
    first = stage.handle(records.normalised(contact(1000.0)))
    assert [(m["kind"], m["at"]) for _, m in first] == [("contact", 1000.0), ("tick", 1000.0)]
    late = stage.handle(records.normalised(
        Contact("c-2", "call", "no_service", 990.0, customer_id="007")))
    # a late contact goes with its own event time; the network's (1000) is not moved
    assert [(m["kind"], m["at"]) for _, m in late] == [("contact", 990.0)]
    assert stage.correlator.clock == 1000.0
