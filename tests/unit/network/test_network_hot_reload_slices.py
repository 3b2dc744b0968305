"""Hot reload with sliced index versions (``forewarn index build --partitions``): the
reloader picks up a sliced version like a whole-region one, and a worker that started from
a version does not reload that same version again."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from forewarn.geo import RegionIndex
from forewarn.geo.slice_build import build_slices
from forewarn.geo.slices import SlicedIndex
from forewarn.streams.network.index_reload import (
    IndexReloader,
    LiveIndex,
    ReloadingNetworkStage,
    reload_record,
)
from tests.unit.network.network_helpers import correlator
from tests.unit.network.test_network_hot_reload import ALARM, NEW_007, OLD_007, outs


def test_a_published_sliced_version_swaps_in_and_lookups_follow(
    tiny_index: RegionIndex, region_variant: Any, tmp_path: Path,
) -> None:
    moved = region_variant("tiny", {"customers.csv": {OLD_007: NEW_007}})
    live = LiveIndex(tiny_index)
    reloader = IndexReloader(tmp_path / "index", live)
    stage = ReloadingNetworkStage(correlator(tiny_index), 4, reloader)
    stage.handle(ALARM)
    assert moved.region is not None
    version = build_slices(moved.region.path, tmp_path / "index", 4).name
    record = reloader.poll(1060.0)
    assert record == reload_record(version, 1060.0)
    assert isinstance(live.current, SlicedIndex) and live.version == version
    assert outs(stage.handle(record)) == {"007"}  # 007 moved under the alarmed cell
    assert live.customer("007") == moved.customer("007")
    assert reloader.poll(1070.0) is None


def test_a_worker_started_from_a_version_does_not_reload_it(tiny_index: RegionIndex,
                                                            tmp_path: Path) -> None:
    assert tiny_index.region is not None
    build_slices(tiny_index.region.path, tmp_path, 2)
    started = RegionIndex.load(tmp_path)
    assert isinstance(started, SlicedIndex)
    reloader = IndexReloader(tmp_path, LiveIndex(started, started.version))
    assert reloader.poll(1000.0) is None and reloader.take() is None
    newer = build_slices(tiny_index.region.path, tmp_path, 2).name
    assert reloader.poll(1010.0) == reload_record(newer, 1010.0)
