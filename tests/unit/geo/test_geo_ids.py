"""A sliced index's ids: bytes until asked for, answering like the list of ``str`` they replace."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forewarn.geo._columns import StringColumn, encode_strings
from forewarn.geo._ids import IdColumn, SlicedIds
from forewarn.geo.slice_build import build_slices
from forewarn.geo.slices import load_slices
from forewarn.geo.synth import write_synthetic_region
from forewarn.streams.partitioning import partition_of

_ID_TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\0"),
                   min_size=1, max_size=12)


def column_of(ids: list[str]) -> IdColumn:
    data, lengths = encode_strings(ids)
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    order = np.asarray(sorted(range(len(ids)), key=lambda p: ids[p].encode()), dtype=np.int64)
    return IdColumn(StringColumn(offsets, data), order)


@settings(max_examples=60, deadline=None)
@given(st.lists(_ID_TEXT, min_size=1, max_size=40, unique=True), st.data())
def test_an_id_column_answers_like_the_list_of_ids(ids: list[str], data: st.DataObject) -> None:
    column = column_of(ids)
    assert len(column) == len(ids) and list(column) == ids and column.tolist() == ids
    positions = np.asarray(data.draw(st.lists(st.integers(0, len(ids) - 1), max_size=20)),
                           dtype=np.int64)
    gathered = column[positions]
    assert gathered.dtype == object and gathered.tolist() == [ids[p] for p in positions]
    assert all(type(x) is str for x in gathered.tolist())
    for p, customer_id in enumerate(ids):
        assert column[p] == customer_id and column.find(customer_id) == p
    stranger = data.draw(_ID_TEXT)
    assert column.find(stranger) == (ids.index(stranger) if stranger in ids else None)


@settings(max_examples=60, deadline=None)
@given(st.lists(_ID_TEXT, max_size=40, unique=True),
       st.lists(st.one_of(_ID_TEXT, st.sampled_from(["", "A\0", "\ud800", "x" * 40])),
                max_size=20), st.data())
def test_finding_many_ids_at_once_answers_like_finding_each(
        ids: list[str], strangers: list[str], data: st.DataObject) -> None:
    column = column_of(ids or ["C1"])
    held = column.tolist()
    asked = data.draw(st.permutations(held + strangers))
    found = column.find_many(asked)
    assert found.dtype == np.int64
    assert found.tolist() == [-1 if (p := column.find(c)) is None else p for c in asked]
    assert column.find_many([]).tolist() == []


def test_an_id_column_does_not_find_what_it_cannot_hold() -> None:
    column = column_of(["C1", "C22", "Ä3"])
    assert column.find("") is None
    assert column.find("C1234567") is None  # longer than any id held
    assert column.find("C2") is None  # a prefix of one
    assert column.find("\ud800") is None  # not encodable
    assert column.find("Ä3") == 2


def test_sliced_ids_read_empty_for_slices_not_loaded_and_find_by_partition() -> None:
    ids = [f"C{n:03d}" for n in range(40)]
    by_partition: dict[int, list[str]] = {0: [], 1: [], 2: []}
    for customer_id in ids:
        by_partition[partition_of(customer_id, 3)].append(customer_id)
    bases = np.concatenate([[0], np.cumsum([len(v) for v in by_partition.values()])])
    loaded = {0: column_of(by_partition[0]), 2: column_of(by_partition[2])}
    sliced = SlicedIds("v1", bases.astype(np.int64), loaded)
    everyone = by_partition[0] + [""] * len(by_partition[1]) + by_partition[2]
    assert len(sliced) == 40 and list(sliced) == everyone
    assert sliced[np.arange(40)].tolist() == everyone and np.asarray(sliced).tolist() == everyone
    assert sliced[len(by_partition[0])] == ""  # the first of partition 1
    for customer_id in ids:
        expected = everyone.index(customer_id) if customer_id in everyone else None
        assert sliced.find(customer_id) == expected
    with pytest.raises(IndexError):
        sliced[40]
    assert sliced.same_positions(SlicedIds("v1", bases, {})) and not sliced.same_positions(
        SlicedIds("v2", bases, loaded))


@pytest.fixture(scope="module")
def sliced_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    region = tmp_path_factory.mktemp("region")
    write_synthetic_region(region, 600, 3)
    out = tmp_path_factory.mktemp("index")
    build_slices(region, out, partitions=2)
    return out


def test_a_slice_remembers_only_the_customers_it_was_asked_for(sliced_dir: Path) -> None:
    index = load_slices(sliced_dir)
    part = index._slices[0]
    assert isinstance(part.customer_ids, IdColumn)
    ids = part.customer_ids.tolist()
    for p, customer_id in enumerate(ids[:5]):  # binary search, then remembered
        assert part.position(customer_id) == p
    assert "_lookup" not in part.__dict__  # no dict over the whole slice, ever
    assert sorted(part._asked) == sorted(ids[:5])
    assert all(part.asked(c) for c in ids[:5]) and not part.asked(ids[5])
    assert not part.has("nobody") and "nobody" not in part._asked  # misses not kept
    assert [part.position(c) for c in ids] == list(range(len(ids)))
    assert "_lookup" not in part.__dict__ and len(part._asked) == len(ids)
    other = index._slices[1].customer_ids.tolist()[0]  # found in its own slice
    assert index.position(other) == index._base[1] and not part.asked(other)
    everyone = np.arange(len(index), dtype=np.int64)
    assert index.ids_of(everyone) == sorted(c for c in index.customer_ids if c)


def test_a_sliced_index_gives_many_timezones_as_it_gives_each(sliced_dir: Path) -> None:
    index = load_slices(sliced_dir)
    everyone = [c for c in index.customer_ids if c]
    asked = [*everyone[::7], "nobody", "", *everyone[3::11]]
    assert index.timezones_of(asked) == [
        index.timezone_of(c) if c in everyone else None for c in asked]
    index.drop_slice(0)
    mapped = {c for c in index.customer_ids if c}
    assert mapped and mapped != set(everyone)
    assert index.timezones_of(asked) == [
        index.timezone_of(c) if c in mapped else None for c in asked]
