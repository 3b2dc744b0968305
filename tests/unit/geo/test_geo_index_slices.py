"""Sliced index artifacts (``forewarn index build --partitions P``): every slice set answers
exactly like ``RegionIndex.build`` for its own customers, slices come and go one at a time,
and a damaged slice file is one error naming the file."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pytest
import shapely

from forewarn.errors import RegionError
from forewarn.geo import RegionIndex, load_region, write_synthetic_region
from forewarn.geo.artifact import IndexWatcher, current_version
from forewarn.geo.slice_build import MAX_PARTITIONS, build_slices
from forewarn.geo.slices import SlicedIndex, load_slices, slice_name
from forewarn.streams.partitioning import partition_of, partitions_of
from tests.forewarn_testing import forewarn_exe
from tests.unit.geo.geo_helpers import TINY

FIXTURES = TINY.parent


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> dict[int, tuple[Path, RegionIndex]]:
    """Two random synth regions (different seeds and sizes), each with its built index."""
    regions = {}
    for seed, customers in ((5, 1200), (23, 2500)):
        folder = tmp_path_factory.mktemp(f"synth{seed}")
        write_synthetic_region(folder, customers, seed)
        regions[seed] = (folder, RegionIndex.build(load_region(folder)))
    return regions


def _by_id(index: RegionIndex, positions: np.ndarray, mask: np.ndarray) -> set[str]:
    return {index.customer_ids[p] for p in np.asarray(positions)[mask].tolist()}


def assert_same_answers(sliced: RegionIndex, built: RegionIndex, seed: int,
                        only: set[str] | None = None) -> None:
    """``sliced`` answers like ``built`` (restricted to the customers ``only`` names)."""
    mine = set(built.customer_ids) if only is None else only
    assert sorted(c for c in sliced.customer_ids if c) == sorted(mine)
    assert len(sliced) == len(mine)
    assert sliced.element_ids == built.element_ids and sliced.notes == built.notes
    rng = np.random.default_rng(seed)
    elements = built.element_ids
    for size in (1, 3, 12, 40, len(elements) // 2):
        size = min(size, len(elements))
        down = set(rng.choice(elements, size, replace=False).tolist())
        expected = {s: [c for c in ids if c in mine] for s, ids in built.impact(down).items()}
        assert sliced.impact(down) == expected
        assert set(sliced.ids_of(sliced.dependents(down))) == set(
            built.ids_of(built.dependents(down))) & mine
        assert set(sliced.ids_of(sliced.degraded_positions(down))) == set(
            built.ids_of(built.degraded_positions(down))) & mine
        every_s, every_b = sliced.outages(down), built.outages(down)
        for service in ("mobile", "fibre"):
            loaded = np.flatnonzero(np.asarray(sliced.customer_id_array) != "")  # outages' order
            got = _by_id(sliced, loaded, every_s[service])
            assert got == _by_id(built, np.arange(len(built)), every_b[service]) & mine
    for customer_id in sorted(mine)[:: max(1, len(mine) // 150)]:
        assert sliced.customer(customer_id) == built.customer(customer_id)
        assert sliced.covering_cells(customer_id) == built.covering_cells(customer_id)
        assert sliced.serving_nodes(customer_id) == built.serving_nodes(customer_id)
        assert sliced.timezone_of(customer_id) == built.timezone_of(customer_id)
        assert sliced.customer_ids[sliced.position(customer_id)] == customer_id
        assert sliced.serving_elements(sliced.position(customer_id)) == \
            built.serving_elements(built.position(customer_id))
    if only is None:  # every customer loaded: the same population behind every element
        assert sliced.served_counts().tolist() == built.served_counts().tolist()


@pytest.mark.parametrize("partitions", [1, 4])
@pytest.mark.parametrize("seed", [5, 23])
def test_all_slices_answer_exactly_like_the_built_index(synthetic, tmp_path: Path,
                                                        partitions: int, seed: int) -> None:
    folder, built = synthetic[seed]
    build_slices(folder, tmp_path, partitions, rows_per_chunk=500)  # several chunks
    sliced = RegionIndex.load(tmp_path)
    assert isinstance(sliced, SlicedIndex) and sliced.loaded == tuple(range(partitions))
    assert_same_answers(sliced, built, seed)
    area = shapely.box(13.38, 52.50, 13.42, 52.53)
    assert sliced.elements_in(area) == built.elements_in(area)
    assert set(sliced.ids_of(sliced.customers_in(area))) == set(
        built.ids_of(built.customers_in(area)))


@pytest.mark.parametrize("name", ["tiny", "messy", "layered"])
def test_hand_made_regions_keep_their_notes_routes_and_places(tmp_path: Path, name: str) -> None:
    region = FIXTURES / name
    built = RegionIndex.build(load_region(region))
    build_slices(region, tmp_path, 3, rows_per_chunk=2)
    sliced = RegionIndex.load(tmp_path)
    assert_same_answers(sliced, built, 7)
    if name == "layered":
        assert sliced.cut_at((13.395, 52.51), 5.0) == built.cut_at((13.395, 52.51), 5.0)
    for element in built.element_ids:
        assert sliced.ancestors(element) == built.ancestors(element)
        assert sliced.element_type(element) == built.element_type(element)


def test_each_customer_lives_in_the_slice_of_its_kafka_partition(synthetic,
                                                                 tmp_path: Path) -> None:
    folder, built = synthetic[5]
    version = build_slices(folder, tmp_path, 4)
    for k in range(4):
        part = load_slices(version, [k])
        ids = [c for c in part.customer_ids if c]
        assert ids and all(partition_of(c, 4) == k for c in ids)
    manifest = json.loads((version / "manifest.json").read_text())
    assert sum(manifest["counts"]["per_partition"]) == len(built)


def test_the_partition_table_of_a_slice_set_is_the_kafka_partition_of_each_mapped_customer(
        synthetic, tmp_path: Path) -> None:
    folder, _ = synthetic[5]
    build_slices(folder, tmp_path, 4)
    two = load_slices(tmp_path, [1, 3])
    table = two.partition_table(4)
    mapped = [p for p, c in enumerate(two.customer_ids) if c]
    assert len(table) == len(two.customer_ids) and mapped
    assert table[mapped].tolist() == partitions_of([two.customer_ids[p] for p in mapped],
                                                   4).tolist()
    assert two.partition_table(3).tolist() == partitions_of(two.customer_ids, 3).tolist()


def test_a_slice_set_answers_only_for_its_own_customers(synthetic, tmp_path: Path) -> None:
    folder, built = synthetic[23]
    build_slices(folder, tmp_path, 4)
    two = load_slices(tmp_path, [0, 2])
    mine = {c for c in built.customer_ids if partition_of(c, 4) in (0, 2)}
    assert_same_answers(two, built, 3, only=mine)
    stranger = next(c for c in built.customer_ids if c not in mine)
    with pytest.raises(KeyError):
        two.customer(stranger)


def test_every_customer_is_known_whether_its_slice_is_mapped_or_not(synthetic,
                                                                    tmp_path: Path) -> None:
    folder, built = synthetic[23]
    build_slices(folder, tmp_path, 4)
    one = load_slices(tmp_path, [1])
    ids = built.customer_ids
    assert all(one.knows(c) for c in ids), "mapped and unmapped slices alike"
    near = {c + "0" for c in ids} | {c[:-1] for c in ids} | {"", "~", "\u00e9t\u00e9"}
    unknown = sorted(near - set(ids))
    assert unknown and not any(one.knows(c) for c in unknown)
    assert one.loaded == (1,), "knowing maps nothing"


def test_adding_and_dropping_a_slice_leaves_the_others_and_positions_alone(
        synthetic, tmp_path: Path) -> None:
    folder, built = synthetic[5]
    build_slices(folder, tmp_path, 4)
    index = load_slices(tmp_path, [1])
    kept = index._slices[1]
    someone = next(c for c in built.customer_ids if partition_of(c, 4) == 1)
    at = index.position(someone)
    index.add_slice(3)
    assert index.loaded == (1, 3) and index._slices[1] is kept
    assert index.position(someone) == at
    index.drop_slice(3)
    assert index.loaded == (1,) and index._slices[1] is kept
    mine = {c for c in built.customer_ids if partition_of(c, 4) == 1}
    assert_same_answers(index, built, 9, only=mine)
    with pytest.raises(RegionError, match=r"outside 0\.\.3"):
        index.add_slice(4)


def test_served_counts_follow_slices_as_they_come_go_and_come_back(
        synthetic, tmp_path: Path) -> None:
    folder, _ = synthetic[23]
    build_slices(folder, tmp_path, 4)
    whole = load_slices(tmp_path)
    alone = {k: load_slices(tmp_path, [k]).served_counts() for k in range(4)}
    index = load_slices(tmp_path, [0, 2])
    assert index.served_counts().tolist() == (alone[0] + alone[2]).tolist()
    index.add_slice(1)
    index.drop_slice(2)
    assert index.served_counts().tolist() == (alone[0] + alone[1]).tolist()
    for k in (2, 3):
        index.add_slice(k)
    assert index.served_counts().tolist() == whole.served_counts().tolist()
    assert sum(alone.values()).tolist() == whole.served_counts().tolist()


def test_slice_arrays_are_views_of_one_mapping_per_slice(synthetic, tmp_path: Path) -> None:
    folder, _ = synthetic[5]
    build_slices(folder, tmp_path, 2)
    index = load_slices(tmp_path)
    part = index._slices[0]
    maps = {id(_mapping(a)) for a in (part._cover.indices, part._attached.indptr,
                                      part._state.lonlat)}
    assert len(maps) == 1 and isinstance(_mapping(part._cover.indices), np.memmap)
    assert not part._cover.indices.flags.writeable


def _mapping(array: np.ndarray) -> object:
    while isinstance(array.base, np.ndarray):
        array = array.base
    return array


def test_a_truncated_slice_file_is_one_error_naming_the_file(synthetic, tmp_path: Path) -> None:
    folder, _ = synthetic[5]
    version = build_slices(folder, tmp_path, 2)
    damaged = version / slice_name(1) / "slice.bin"
    damaged.write_bytes(damaged.read_bytes()[:-40])
    load_slices(tmp_path, [0])  # the other slice still loads
    with pytest.raises(RegionError) as caught:
        load_slices(tmp_path, [1])
    assert str(caught.value).startswith(f"{damaged}: corrupt index file")
    assert "truncated" in str(caught.value)


def test_a_damaged_slice_file_of_the_right_size_is_an_error_naming_it(synthetic,
                                                                      tmp_path: Path) -> None:
    folder, _ = synthetic[5]
    version = build_slices(folder, tmp_path, 2)
    damaged = version / slice_name(0) / "slice.bin"
    meta = json.loads((damaged.parent / "slice.json").read_text())
    at = meta["pack"]["arrays"]["cover.indices"]["offset"] + 3  # inside the array's bytes
    data = bytearray(damaged.read_bytes())
    data[at] ^= 0xFF
    damaged.write_bytes(bytes(data))
    with pytest.raises(RegionError, match=r"slice\.bin: corrupt index file: .*checksum mismatch"):
        RegionIndex.load(tmp_path)
    (version / slice_name(1) / "slice.json").write_text("{", encoding="utf-8")
    with pytest.raises(RegionError, match=r"p0001/slice\.json"):
        load_slices(tmp_path, [1])


def test_versions_are_published_atomically_and_watched(synthetic, tmp_path: Path) -> None:
    folder, _ = synthetic[5]
    watcher = IndexWatcher(tmp_path)
    first = build_slices(folder, tmp_path, 2)
    assert current_version(tmp_path) == first.name
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    assert isinstance(watcher.poll(), SlicedIndex) and watcher.poll() is None
    second = build_slices(folder, tmp_path, 2)
    assert current_version(tmp_path) == second.name != first.name
    found = watcher.poll()
    assert isinstance(found, SlicedIndex) and found.version == second.name


def _duplicated(tmp_path: Path) -> Path:
    region = tmp_path / "region"
    region.mkdir()
    lines = ["customer_id,lon,lat,services"] + [f"c{k},13.4,52.5,mobile" for k in range(9)]
    lines.append("c2,13.4,52.5,mobile")  # row 11 (the header is row 1); the first c2 is row 4
    (region / "customers.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return region


def test_a_duplicate_id_in_different_chunks_names_both_rows(tmp_path: Path) -> None:
    with pytest.raises(RegionError) as caught:
        build_slices(_duplicated(tmp_path), tmp_path / "out", 3, rows_per_chunk=4)
    assert "duplicate customer_id 'c2' (rows 4 and 11)" in str(caught.value)


def test_a_failed_build_publishes_nothing_and_leaves_no_temporary_folder(
        tmp_path: Path) -> None:
    out = tmp_path / "index"
    with pytest.raises(RegionError, match="duplicate customer_id"):
        build_slices(_duplicated(tmp_path), out, 2, rows_per_chunk=4)
    assert current_version(out) is None and list(out.iterdir()) == []


def test_a_region_without_customers_gives_empty_slices(tmp_path: Path) -> None:
    region = tmp_path / "region"
    region.mkdir()
    (region / "customers.csv").write_text("customer_id,lon,lat,services\n", encoding="utf-8")
    build_slices(region, tmp_path / "out", 2)
    index = RegionIndex.load(tmp_path / "out")
    assert len(index) == 0 and index.impact({"x"}) == {"mobile": [], "fibre": []}


def test_customers_from_parquet_slice_like_from_csv(tmp_path: Path) -> None:
    import pandas as pd

    region = tmp_path / "region"
    region.mkdir()
    for file in TINY.iterdir():
        if file.name != "customers.csv":
            (region / file.name).write_bytes(file.read_bytes())
    table = pd.read_csv(TINY / "customers.csv", dtype=str, keep_default_na=False)
    table.to_parquet(region / "customers.parquet")
    built = RegionIndex.build(load_region(region))
    build_slices(region, tmp_path / "out", 2, rows_per_chunk=3)
    assert_same_answers(RegionIndex.load(tmp_path / "out"), built, 4)


@pytest.mark.parametrize("partitions", [0, MAX_PARTITIONS + 1])
def test_partition_counts_outside_the_limit_are_refused_on_one_line(tmp_path: Path,
                                                                    partitions: int) -> None:
    done = subprocess.run([*forewarn_exe(), "index", "build", str(TINY), "--out",
                           str(tmp_path / "out"), "--partitions", str(partitions)],
                          check=False, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"forewarn: error: --partitions {partitions} is outside 1..{MAX_PARTITIONS}"]
    assert not (tmp_path / "out").exists() or current_version(tmp_path / "out") is None


def test_the_largest_partition_count_builds(tmp_path: Path) -> None:
    build_slices(TINY, tmp_path, MAX_PARTITIONS)
    index = load_slices(tmp_path)
    assert index.partitions == MAX_PARTITIONS and len(index) == 10


def test_index_build_with_partitions_prints_the_version_it_published(tmp_path: Path) -> None:
    done = subprocess.run([*forewarn_exe(), "index", "build", str(TINY), "--out",
                           str(tmp_path), "--partitions", "3"],
                          check=False, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert Path(done.stdout.strip()).name == current_version(tmp_path)
    assert load_slices(tmp_path).partitions == 3


def test_worker_index_with_another_partition_count_is_refused_naming_both(
        tmp_path: Path) -> None:
    from forewarn.config import Settings
    from forewarn.errors import ForewarnError
    from forewarn.streams.commands.worker import load_index_dir

    build_slices(TINY, tmp_path, 2)
    settings = Settings()
    assert settings.kafka.partitions != 2
    with pytest.raises(ForewarnError) as caught:
        load_index_dir(tmp_path, settings)
    assert (f"index has 2 partition slices but the topics have {settings.kafka.partitions} "
            "partitions") in str(caught.value)


def test_worker_index_maps_no_slice_before_its_assignment_and_reloads_from_there(
        tmp_path: Path) -> None:
    from forewarn.config import Settings
    from forewarn.streams.commands.worker import load_index_dir

    settings = Settings()
    build_slices(TINY, tmp_path, settings.kafka.partitions)
    index, used = load_index_dir(tmp_path, settings)
    assert isinstance(index, SlicedIndex) and index.loaded == () and len(index) == 0
    for partition in range(index.partitions):  # what the assignment maps (kafka.slice_mapping)
        index.add_slice(partition)
    assert len(index) == 10
    assert used.index.dir == str(tmp_path) and index.version == current_version(tmp_path)
