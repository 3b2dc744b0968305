"""Hot reload in a worker: the timer notices a published version, a reload record in the
network's stream order swaps it in; customer lookups follow
(``forewarn.streams.network.index_reload``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from forewarn.geo import RegionIndex
from forewarn.geo.artifact import write_index
from forewarn.streams.network.index_reload import (
    IndexReloader,
    LiveIndex,
    ReloadingNetworkStage,
    reload_record,
)
from tests.unit.network.network_helpers import correlator

OLD_007 = "007,13.405,52.51,"
NEW_007 = "007,13.43,52.518,"
ALARM = {"record": "alarm", "alarm_id": "a2", "element_id": "A2", "state": "raised",
         "severity": "critical", "event_time": 1000.0}


def outs(messages: list[tuple[int, dict[str, Any]]]) -> set[str]:
    return {c for _, m in messages if m.get("kind") == "impact"
            for ids in m.get("out", {}).values() for c in ids}


@pytest.fixture
def moved(region_variant: Any) -> RegionIndex:
    return region_variant("tiny", {"customers.csv": {OLD_007: NEW_007}})


def publish(index: RegionIndex, folder: Path) -> str:
    assert index.region is not None
    return write_index(index, folder, index.region.path).name


def test_reload_record_swaps_the_published_version_in_stream_order(
    tiny_index: RegionIndex, moved: RegionIndex, tmp_path: Path,
) -> None:
    live = LiveIndex(tiny_index)
    reloader = IndexReloader(tmp_path / "index", live)
    stage = ReloadingNetworkStage(correlator(tiny_index), 2, reloader)
    stage.handle(ALARM)
    assert reloader.poll(1050.0) is None  # nothing published yet
    version = publish(moved, tmp_path / "index")
    record = reloader.poll(1060.0)
    assert record == reload_record(version, 1060.0)
    assert "007" not in outs(stage.handle(ALARM | {"event_time": 1030.0}))
    assert outs(stage.handle(record)) == {"007"}
    assert stage.handle(record) == [(p, {"kind": "tick", "at": 1060.0}) for p in range(2)]
    assert reloader.poll(1070.0) is None and live.version == version


def test_record_sent_by_another_worker_loads_the_version_itself(
    tiny_index: RegionIndex, moved: RegionIndex, tmp_path: Path,
) -> None:
    stage = ReloadingNetworkStage(correlator(tiny_index), 1, IndexReloader(tmp_path))
    stage.handle(ALARM)
    version = publish(moved, tmp_path)
    assert outs(stage.handle(reload_record(version, 1060.0))) == {"007"}


def test_stale_record_swaps_to_the_newest_version_not_back(
    tiny_index: RegionIndex, moved: RegionIndex, tmp_path: Path,
) -> None:
    reloader = IndexReloader(tmp_path)
    stage = ReloadingNetworkStage(correlator(tiny_index), 1, reloader)
    stage.handle(ALARM)
    older = publish(tiny_index, tmp_path)
    publish(moved, tmp_path)
    assert outs(stage.handle(reload_record(older, 1060.0))) == {"007"}
    assert reloader.applied != older


def test_reload_record_without_a_configured_dir_is_skipped(tiny_index: RegionIndex) -> None:
    stage = ReloadingNetworkStage(correlator(tiny_index), 2)
    assert stage.handle(reload_record("v1", 10.0)) == []


def test_other_records_are_handled_as_by_the_plain_network_stage(
    tiny_index: RegionIndex, tmp_path: Path,
) -> None:
    from forewarn.streams.network.stage import NetworkStage

    plain = NetworkStage(correlator(tiny_index), 3)
    reloading = ReloadingNetworkStage(correlator(tiny_index), 3, IndexReloader(tmp_path))
    for value in (ALARM, {"control": "tick", "at": 1200.0}, {"control": "drain", "token": "t"}):
        assert reloading.handle(dict(value)) == plain.handle(dict(value))


def test_live_index_looks_up_dropped_customers_in_the_previous_version(
    tiny_index: RegionIndex, region_variant: Any,
) -> None:
    c_east = "c-east,13.44,52.505,mobile,,,push;sms,+4915212345678,,tok-c-east,,Europe/London\n"
    without = region_variant("tiny", {"customers.csv": {c_east: ""}})
    live = LiveIndex(tiny_index)
    live.offer(without, "v2")
    assert live.customer("c-east").timezone == "Europe/London"
    assert len(live) == len(without) and live.version == "v2"
    with pytest.raises(KeyError):
        live.customer("nobody")
