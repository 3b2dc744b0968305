"""Every id the network stage sends lands on its own partition, also after an index swap
moved customers to other positions (the stage keeps partitions per index position)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from forewarn.geo import RegionIndex
from forewarn.geo.artifact import write_index
from forewarn.streams.network.index_reload import (
    IndexReloader,
    ReloadingNetworkStage,
    reload_record,
)
from forewarn.streams.partitioning import partition_of
from tests.unit.network.network_helpers import correlator

PARTITIONS = 5
FIRST_CUSTOMER = ("007,13.405,52.51,mobile;fibre,,de,sms;email,+4915112345678,007@example.org,"
                  ",0,Europe/Berlin\n")


def alarm(element: str, state: str, at: float) -> dict[str, Any]:
    return {"record": "alarm", "alarm_id": f"a-{element}", "element_id": element,
            "state": state, "severity": "critical", "event_time": at}


def placed(messages: list[tuple[int, dict[str, Any]]]) -> dict[str, set[int]]:
    """Customer id -> partitions it was sent to, over every message naming customers."""
    found: dict[str, set[int]] = {}
    for partition, message in messages:
        named = [message.get(k, {}) for k in ("out", "back", "planned", "customers")]
        for ids in (ids for by_service in named for ids in by_service.values()):
            for customer in ids:
                found.setdefault(customer, set()).add(partition)
    return found


def assert_own_partitions(messages: list[tuple[int, dict[str, Any]]]) -> set[str]:
    found = placed(messages)
    assert found, "the messages name nobody"
    assert found == {c: {partition_of(c, PARTITIONS)} for c in found}
    return set(found)


def test_ids_land_on_their_partitions_before_and_after_a_swap_shifts_positions(
    tiny_index: RegionIndex, region_variant: Any, tmp_path: Path,
) -> None:
    shifted = region_variant("tiny", {"customers.csv": {FIRST_CUSTOMER: ""}})
    assert shifted.customer_ids == tiny_index.customer_ids[1:]
    stage = ReloadingNetworkStage(correlator(tiny_index), PARTITIONS, IndexReloader(tmp_path))
    out = assert_own_partitions(stage.handle(alarm("PWR-1", "raised", 1000.0))
                                + stage.handle(alarm("PWR-2", "raised", 1000.0)))
    assert "007" in out
    assert shifted.region is not None
    version = write_index(shifted, tmp_path, shifted.region.path).name
    assert assert_own_partitions(stage.handle(reload_record(version, 1060.0))) == {"007"}
    back = assert_own_partitions(stage.handle(alarm("PWR-1", "cleared", 1100.0))
                                 + stage.handle(alarm("PWR-2", "cleared", 1100.0)))
    assert back == out - {"007"}
