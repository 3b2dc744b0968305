"""A partition taken over while its old owner is still writing (thrown out of the group in
the middle of a message, its changelog records still on their way): the new owner recovers
whatever prefix of those records had landed and handles the message again (the old owner's
offset commit failed). Whatever the prefix, the network replica it recovers must not be
ahead of the episodes: a replica that already holds the message's element down turns the
repeated message into "no change", and customers whose episodes were not recovered with it
are never opened, so never told (the churn run: 31,332 of 1,000,044 never decided).

Why it holds: the replica lives in the episode table's changelog partition, written after
the message's episode journal records (``CustomerStage.handle``), so a prefix holding the
replica's new version holds those records too."""

from __future__ import annotations

from typing import Any

import pytest

from forewarn.geo import RegionIndex, load_region
from forewarn.streams import records
from forewarn.streams.customers.network_view import NetworkView, replica_key
from forewarn.streams.customers.stage import CustomerStage
from tests.forewarn_testing import TINY
from tests.unit.customers.test_episode_journal import ChangelogTable

T0 = 1_795_356_000.0
CONFIRM_S = 5.0


@pytest.fixture(scope="module")
def tiny() -> RegionIndex:
    return RegionIndex.build(load_region(TINY))


def _owner(index: RegionIndex, table: ChangelogTable) -> CustomerStage:
    """The customer stage as the worker wires it (``kafka/app.py``): the view is given no
    state of its own, the stage keeps the replica beside the episodes."""
    return CustomerStage(table, 1, CONFIRM_S, 300.0, network=NetworkView(index, 1))


def _element(element: str, at: float) -> dict[str, Any]:
    message = records.ElementMessage(at, element, True, f"INC-{element}", element, "olt")
    return records.NetworkMessage([message.to_wire()], None).to_wire()


def _told(out: list[dict[str, Any]]) -> list[str]:
    return sorted(item["customer_id"] for record in out if "items" in record
                  for item in record["items"] if item["stage"] == "outage")


def test_a_new_owner_recovering_any_prefix_of_the_old_owners_writes_tells_every_customer(
    tiny: RegionIndex,
) -> None:
    old_table = ChangelogTable()
    old = _owner(tiny, old_table)
    old.handle(0, {"kind": "tick", "at": T0})  # assigned earlier: its journal is loaded
    before = len(old_table.changelog)
    message = _element("OLT-1", T0 + 1)
    old.handle(0, message)  # ... then thrown out; this message's offset is not committed
    written = len(old_table.changelog)
    assert {key for key, _ in old_table.changelog[before:]} >= {replica_key(0)}
    assert written - before >= 2, "the message wrote episodes and the replica"
    tick = {"kind": "tick", "at": T0 + 1 + CONFIRM_S + 1}
    expected = _told(old.handle(0, tick))  # what the old owner would have decided
    assert expected

    for landed in range(before, written + 1):
        new = _owner(tiny, old_table.recovered(upto=landed))
        told = _told(new.handle(0, message) + new.handle(0, tick))
        assert told == expected, f"recovered {landed - before} of {written - before} records"
