"""A partition's view of element-level network messages (``customers/network_view.py``):
only its own customers, a replica that survives a restart, repeats that change nothing,
ticks only where nothing else arrived, and clear dead letters for what it cannot expand."""

from __future__ import annotations

from typing import Any

import pytest

from forewarn.geo import RegionIndex, load_region
from forewarn.streams import records
from forewarn.streams.customers.network_view import NetworkView, replica_key
from forewarn.streams.customers.stage import CustomerStage
from forewarn.streams.partitioning import partition_of
from tests.forewarn_testing import TINY

PARTITIONS = 3
T0 = 1_795_356_000.0


@pytest.fixture(scope="module")
def tiny() -> RegionIndex:
    return RegionIndex.build(load_region(TINY))


def olt_down(at: float = T0, down: bool = True) -> dict[str, Any]:
    return records.ElementMessage(at, "OLT-1", down, "INC-1", "OLT-1", "olt").to_wire()


def network(*items: dict[str, Any], tick: float | None = None) -> records.NetworkMessage:
    return records.NetworkMessage(list(items), tick)


def named(messages: list[records.ImpactsMessage]) -> set[str]:
    return {c for m in messages if isinstance(m, records.ImpactMessage)
            for by_service in (m.out, m.back, m.planned or {}) for ids in by_service.values()
            for c in ids}


def test_each_partition_names_only_its_own_customers_and_all_of_them(tiny: RegionIndex) -> None:
    everyone: set[str] = set()
    for partition in range(PARTITIONS):
        view = NetworkView(tiny, PARTITIONS, {})
        mine = named(view.expand(partition, network(olt_down())))
        assert all(partition_of(c, PARTITIONS) == partition for c in mine)
        everyone |= mine
    behind_olt = {tiny.customer_ids[p] for p in tiny.dependents(["OLT-1"]).tolist()}
    assert everyone and everyone <= behind_olt


def test_a_repeated_down_changes_nothing_and_the_replica_survives_a_restart(
    tiny: RegionIndex,
) -> None:
    state: dict[str, Any] = {}
    first = NetworkView(tiny, 1, state)
    went_out = named(first.expand(0, network(olt_down())))
    assert went_out
    assert first.expand(0, network(olt_down())) == []  # the network re-sent it: no news
    assert replica_key(0) not in state, "written once per impacts message, by flush"
    first.flush(0)
    assert state[replica_key(0)]["down"] == ["OLT-1"]
    restarted = NetworkView(tiny, 1, state)
    assert restarted.expand(0, network(olt_down())) == []
    # the restarted view knows OLT-1 was down: exactly its customers come back
    back = restarted.expand(0, network(olt_down(T0 + 60, down=False)))
    assert named(back) == went_out
    assert all(not m.out and m.back for m in back if isinstance(m, records.ImpactMessage))


class CountingState(dict[str, Any]):
    def __init__(self) -> None:
        super().__init__()
        self.writes = 0

    def __setitem__(self, key: str, value: Any) -> None:
        self.writes += 1
        super().__setitem__(key, value)


def test_a_storm_batch_writes_the_replica_once_and_a_restart_reads_its_last_state(
    tiny: RegionIndex,
) -> None:
    state = CountingState()
    view = NetworkView(tiny, 1, state)
    for k in range(5):  # five records of one fetched batch: down, up, down, up, down
        view.expand(0, network(olt_down(T0 + k, down=k % 2 == 0)))
    view.flush(0)
    view.flush(0)  # nothing changed since: no second write
    assert state.writes == 1
    assert NetworkView(tiny, 1, state).replica(0).down == {"OLT-1"}


def test_the_tick_is_passed_on_only_when_nothing_concerned_the_partition(
    tiny: RegionIndex,
) -> None:
    view = NetworkView(tiny, 1, {})
    unknown = records.ElementMessage(T0, "NO-SUCH", True, "INC-2", "NO-SUCH", "unknown")
    assert view.expand(0, network(unknown.to_wire(), tick=T0)) == [records.EventTick(T0)]
    hit = view.expand(0, network(olt_down(), tick=T0))
    assert hit and not any(isinstance(m, records.EventTick) for m in hit)


def test_a_contact_alone_is_followed_by_the_tick_as_on_the_per_customer_path(
    tiny: RegionIndex,
) -> None:
    view = NetworkView(tiny, 1, {})
    contact = records.ContactMessage(T0 - 30, tiny.customer_ids[0], "K-1", "phone", "no_service")
    assert view.expand(0, network(contact.to_wire(), tick=T0)) == [contact,
                                                                  records.EventTick(T0)]


def test_network_messages_without_a_view_and_stray_element_messages_are_dead_letters(
    tiny: RegionIndex,
) -> None:
    stage = CustomerStage({}, 1, 120.0, 300.0)
    assert stage.handle(0, network(olt_down()).to_wire()) == []
    assert stage.handle(0, olt_down()) == []
    reasons = [letter["reason"] for letter in stage.take_dead_letters()]
    assert len(reasons) == 2
    assert "no index to expand it" in reasons[0]
    assert "outside a network message" in reasons[1]


def test_a_window_message_with_an_unknown_event_is_refused_naming_it(tiny: RegionIndex) -> None:
    state: dict[str, Any] = {}
    stage = CustomerStage({}, 1, 120.0, 300.0, network=NetworkView(tiny, 1, state))
    bad = {"kind": "window", "at": T0, "event": "paused", "maintenance_id": "MW-1",
           "elements": ["OLT-1"], "incident_id": "MW-1", "cause_element": "OLT-1",
           "cause_type": "olt"}
    stage.handle(0, network(bad, olt_down()).to_wire())
    (letter,) = stage.take_dead_letters()
    assert "paused" in letter["reason"]
    assert state[replica_key(0)]["down"] == ["OLT-1"]  # the valid part still went on
    assert named(stage.expanded)
