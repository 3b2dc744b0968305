"""``outages_each`` on a few customers (the correlator's before/after question) equals the
whole-region computation, and ``descendants`` is the inverse of ``ancestors``.

A few customers name fewer cells and nodes than the graph has elements, so these take the
path that checks only those elements' lineages; the whole-region one marks subtrees.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forewarn.geo import RegionIndex, load_region, write_synthetic_region


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> RegionIndex:
    folder = tmp_path_factory.mktemp("synth")
    write_synthetic_region(folder, 160, 1)
    return RegionIndex.build(load_region(folder))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_outages_of_several_down_sets_at_a_few_customers_equal_the_whole_region(
    synthetic: RegionIndex, data: st.DataObject,
) -> None:
    index = synthetic
    elements = sorted(index.element_ids)
    down_sets = data.draw(st.lists(st.sets(st.sampled_from([*elements, "not-an-element"]),
                                           max_size=30), min_size=1, max_size=4), label="downs")
    positions = sorted(data.draw(st.sets(st.integers(0, len(index) - 1), max_size=20),
                                 label="positions"))
    each = index.outages_each(down_sets, positions)
    for down, got in zip(down_sets, each, strict=True):
        whole = index.outages(down)
        for service in ("mobile", "fibre"):
            assert got[service].tolist() == whole[service][positions].tolist()


def test_descendants_are_exactly_the_elements_an_element_is_an_ancestor_of(
    synthetic: RegionIndex,
) -> None:
    index = synthetic
    for element in index.element_ids:
        below = {e for e in index.element_ids if element in index.ancestors(e)}
        assert set(index.descendants(element)) == below
        assert len(index.descendants(element)) == len(below)
    assert index.descendants("not-an-element") == ()


def test_a_few_customers_name_fewer_elements_than_the_graph_has(synthetic: RegionIndex) -> None:
    """Guards the premise of the test above: it exercises the per-lineage path."""
    few = synthetic.dependents(synthetic.element_ids[:1])[:20]
    named = sum(len(synthetic.covering_cells(synthetic.customer_ids[p]))
                + len(synthetic.serving_nodes(synthetic.customer_ids[p])) for p in few)
    assert 0 < named < len(synthetic.element_ids)


def test_outages_each_of_no_customers_is_empty(synthetic: RegionIndex) -> None:
    [got] = synthetic.outages_each([set(synthetic.element_ids)], [])
    assert got["mobile"].tolist() == [] and got["fibre"].tolist() == []


def test_outages_accepts_any_collection_of_ids(synthetic: RegionIndex) -> None:
    down = synthetic.element_ids[:5]
    positions = list(range(10))
    as_list, as_set = synthetic.outages(down, positions), synthetic.outages(set(down), positions)
    assert {s: v.tolist() for s, v in as_list.items()} == {s: v.tolist() for s, v in as_set.items()}
