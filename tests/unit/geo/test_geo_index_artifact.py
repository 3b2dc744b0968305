"""Index artifacts: a loaded index answers exactly like the built one; versions are
published atomically and picked up by ``IndexWatcher`` without a restart."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from forewarn.errors import RegionError
from forewarn.geo import RegionIndex, load_region, write_synthetic_region
from forewarn.geo.artifact import IndexWatcher, current_version, region_checksum, write_index
from tests.unit.geo.geo_helpers import TINY

LAYERED = TINY.parent / "layered"


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, RegionIndex]:
    folder = tmp_path_factory.mktemp("synth")
    write_synthetic_region(folder, 3000, 11)
    return folder, RegionIndex.build(load_region(folder))


def test_loaded_index_answers_like_the_built_one(synthetic, tmp_path: Path) -> None:
    folder, built = synthetic
    write_index(built, tmp_path, folder)
    loaded = RegionIndex.load(tmp_path)
    assert loaded.customer_ids == built.customer_ids
    assert loaded.element_ids == built.element_ids
    rng = np.random.default_rng(1)
    ids = built.element_ids
    for _ in range(10):
        down = set(rng.choice(ids, 12, replace=False).tolist())
        assert loaded.impact(down) == built.impact(down)
        assert np.array_equal(loaded.degraded(down), built.degraded(down))
        assert np.array_equal(loaded.dependents(down), built.dependents(down))
    some = built.customer_ids[17]
    assert loaded.customer(some) == built.customer(some)
    assert loaded.region is None and loaded.notes == built.notes


def test_routes_and_places_survive_the_round_trip(tmp_path: Path) -> None:
    import shapely

    built = RegionIndex.build(load_region(LAYERED))
    write_index(built, tmp_path, LAYERED)
    loaded = RegionIndex.load(tmp_path)
    assert loaded.cut_at((13.395, 52.51), 5.0) == ["PON-A"]
    area = shapely.box(13.395, 52.495, 13.412, 52.512)
    assert loaded.elements_in(area) == built.elements_in(area)


def test_manifest_names_format_version_and_region_checksum(tmp_path: Path) -> None:
    version = write_index(RegionIndex.build(load_region(TINY)), tmp_path, TINY)
    manifest = json.loads((version / "manifest.json").read_text())
    assert manifest["format_version"] == 1
    assert manifest["region_checksum"] == region_checksum(TINY)
    assert manifest["version"] == version.name == current_version(tmp_path)
    assert (version / "cover.indices.npy").is_file()


def test_watcher_picks_up_a_newer_version_once(tmp_path: Path) -> None:
    watcher = IndexWatcher(tmp_path)
    assert watcher.poll() is None  # nothing published yet
    write_index(RegionIndex.build(load_region(TINY)), tmp_path, TINY)
    first = watcher.poll()
    assert first is not None and len(first) == 10
    assert watcher.poll() is None
    write_index(RegionIndex.build(load_region(LAYERED)), tmp_path, LAYERED)
    second = watcher.poll()
    assert second is not None and "m-all" in second.customer_ids


def test_old_versions_are_pruned(tmp_path: Path) -> None:
    index = RegionIndex.build(load_region(TINY))
    for _ in range(4):
        write_index(index, tmp_path, TINY, keep=2)
    assert len([p for p in tmp_path.iterdir() if p.is_dir()]) == 2


def test_unknown_format_version_is_refused(tmp_path: Path) -> None:
    version = write_index(RegionIndex.build(load_region(TINY)), tmp_path, TINY)
    manifest = json.loads((version / "manifest.json").read_text())
    manifest["format_version"] = 99
    (version / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(RegionError, match="format_version 99"):
        RegionIndex.load(tmp_path)


def test_empty_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(RegionError, match="no index published"):
        RegionIndex.load(tmp_path)
