"""Which elements serve a customer, and how many customers each element serves."""

from __future__ import annotations

import pytest

from forewarn.geo import RegionIndex
from forewarn.streams.network import serving as serving_module
from forewarn.streams.network.serving import served_counts, serving_elements
from tests.unit.network.conftest import SynthRegion


def _expected_serving(index: RegionIndex, customer_id: str) -> set[str]:
    """From the index's id-based methods: direct cells and nodes, then their ancestors."""
    direct = [*index.covering_cells(customer_id), *index.serving_nodes(customer_id)]
    return {e for d in direct for e in (d, *index.ancestors(d))}


def test_serving_elements_are_covering_cells_serving_nodes_and_all_their_ancestors(
        tiny_index: RegionIndex) -> None:
    for customer_id in tiny_index.customer_ids:
        found = serving_elements(tiny_index, tiny_index.position(customer_id))
        assert len(found) == len(set(found)), customer_id
        assert set(found) == _expected_serving(tiny_index, customer_id), customer_id


def test_a_customer_of_a_cell_and_a_pon_is_served_by_both_lineages(
        tiny_index: RegionIndex) -> None:
    found = serving_elements(tiny_index, tiny_index.position("007"))
    assert set(found) == {"A1", "S-A", "PWR-1", "TRN-1", "PON-1", "OLT-1"}


def test_a_customer_covered_by_nothing_is_served_by_no_element(tiny_index: RegionIndex) -> None:
    assert serving_elements(tiny_index, tiny_index.position("c-out")) == ()


def test_serving_elements_match_the_index_on_a_synthetic_region(synth_100k: SynthRegion) -> None:
    index = synth_100k.index
    for p in range(0, len(index), 997):
        assert set(synth_100k.serving[p]) == _expected_serving(index, index.customer_ids[p])


def test_served_counts_equal_each_elements_dependents(tiny_index: RegionIndex) -> None:
    counts = served_counts(tiny_index)
    assert set(counts) == set(tiny_index.element_ids)
    assert counts == {e: len(tiny_index.dependents([e])) for e in tiny_index.element_ids}


def test_a_customer_reaching_an_ancestor_through_two_cells_counts_once(
        tiny_index: RegionIndex) -> None:
    # 0012 is under A1 (S-A -> PWR-1) and B1 (-> PWR-1): PWR-1 serves 007, 0012, c-east,
    # c-south and f-fttb, five customers, not six.
    assert served_counts(tiny_index)["PWR-1"] == 5


def test_served_counts_match_dependents_on_a_synthetic_region(synth_100k: SynthRegion) -> None:
    index = synth_100k.index
    assert synth_100k.served == {e: len(index.dependents([e])) for e in index.element_ids}


def test_served_counts_do_not_depend_on_the_chunk_size(
        tiny_index: RegionIndex, monkeypatch: pytest.MonkeyPatch) -> None:
    whole = served_counts(tiny_index)
    monkeypatch.setattr(serving_module, "_CHUNK", 3)
    assert served_counts(tiny_index) == whole
