"""A ``SlicedIndex`` answers ``outages_each`` and ``dependents`` for any positions of its
loaded slices exactly like the whole-region index: it stacks the slices' rows into one
table (positions in any order, repeated or not) and walks the shared graph once, not per
slice."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forewarn.geo import RegionIndex, load_region, write_synthetic_region
from forewarn.geo.slice_build import build_slices
from forewarn.geo.slices import SlicedIndex, load_slices
from forewarn.streams.network.transitions import Toggled

PARTITIONS = 4
LOADED = (0, 2, 3)  # one slice left out: its customers are never named


@pytest.fixture(scope="module")
def indexes(tmp_path_factory: pytest.TempPathFactory) -> tuple[SlicedIndex, RegionIndex]:
    folder = tmp_path_factory.mktemp("synth")
    write_synthetic_region(folder, 600, 11)
    out = tmp_path_factory.mktemp("slices")
    build_slices(folder, out, PARTITIONS)
    return load_slices(out, LOADED), RegionIndex.build(load_region(folder))


def _loaded_positions(sliced: SlicedIndex) -> list[int]:
    return np.flatnonzero(np.asarray(sliced.customer_id_array) != "").tolist()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_outages_of_loaded_customers_in_any_order_equal_the_whole_region(
    indexes: tuple[SlicedIndex, RegionIndex], data: st.DataObject,
) -> None:
    sliced, built = indexes
    elements = sorted(built.element_ids)
    downs = data.draw(st.lists(st.sets(st.sampled_from([*elements, "not-an-element"]),
                                       max_size=25), min_size=1, max_size=3), label="downs")
    positions = data.draw(st.lists(st.sampled_from(_loaded_positions(sliced)), max_size=40),
                          label="positions")  # any order, repeats allowed
    if data.draw(st.booleans(), label="sorted"):
        positions = sorted(set(positions))
    got = sliced.outages_each(downs, np.asarray(positions, dtype=np.int64))
    ids = [sliced.customer_ids[p] for p in positions]
    where = np.asarray([built.position(c) for c in ids], dtype=np.int64)
    for down, each in zip(downs, got, strict=True):
        whole = built.outages(down)
        for service in ("mobile", "fibre"):
            assert each[service].tolist() == whole[service][where].tolist()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_dependents_are_the_whole_regions_among_the_loaded_customers(
    indexes: tuple[SlicedIndex, RegionIndex], data: st.DataObject,
) -> None:
    sliced, built = indexes
    named = data.draw(st.lists(st.sampled_from([*sorted(built.element_ids), "nope"]),
                               max_size=6), label="elements")
    found = sliced.dependents(named)
    assert found.tolist() == sorted(found.tolist())
    loaded = {sliced.customer_ids[p] for p in _loaded_positions(sliced)}
    assert {sliced.customer_ids[p] for p in found.tolist()} == {
        built.customer_ids[p] for p in built.dependents(named).tolist()} & loaded


def test_a_position_of_a_slice_not_loaded_is_a_key_error(
    indexes: tuple[SlicedIndex, RegionIndex], tmp_path: Path,
) -> None:
    sliced, _ = indexes
    missing = int(np.flatnonzero(np.asarray(sliced.customer_id_array) == "")[0])
    with pytest.raises(KeyError):
        sliced.outages_each([set()], np.asarray([missing], dtype=np.int64))
    with pytest.raises(KeyError):
        sliced.outages_each([set()], np.asarray([len(sliced.customer_ids)], dtype=np.int64))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_a_down_set_seen_before_one_change_answers_like_its_copy(
    indexes: tuple[SlicedIndex, RegionIndex], data: st.DataObject,
) -> None:
    """The correlator asks "before and after" with ``before`` a view of ``after`` with one
    element toggled back; the index shares the lookups of the two and flips one entry."""
    sliced, built = indexes
    elements = sorted(built.element_ids)
    after = data.draw(st.sets(st.sampled_from(elements), max_size=25), label="after")
    element = data.draw(st.sampled_from([*elements, "not-an-element"]), label="element")
    copy = after - {element} if element in after else after | {element}
    for index in (sliced, built):
        positions = index.dependents([element, *sorted(after)[:3]])
        viewed = index.outages_each([Toggled(after, element), after], positions)
        copied = index.outages_each([copy, after], positions)
        for got, expected in zip(viewed, copied, strict=True):
            for service in ("mobile", "fibre"):
                assert got[service].tolist() == expected[service].tolist()
