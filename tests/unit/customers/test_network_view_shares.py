"""One worker's partitions share the build of an element change (``NetworkView`` shares):
each partition gets exactly the messages a view of its own would give it, in whatever order
the partitions reach the changes, and the change is built once per worker, not once per
partition (issue 13: a worker holding 4 of 8 partitions expanded every change 4 times)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forewarn.geo import RegionIndex, load_region
from forewarn.streams import records
from forewarn.streams.customers.network_view import NetworkView
from forewarn.streams.network.transitions import ImpactMemo
from tests.forewarn_testing import SAMPLE

PARTITIONS = 4
T0 = 1_795_356_000.0


@pytest.fixture(scope="module")
def sample() -> RegionIndex:
    return RegionIndex.build(load_region(SAMPLE))


def _elements(index: RegionIndex) -> list[str]:
    """Elements of the sample region that serve customers, most customers first."""
    found = [(len(index.dependents([e])), e) for e in index.element_ids
             if len(index.dependents([e]))]
    return [e for _, e in sorted(found, reverse=True)]


def _changes(index: RegionIndex, count: int) -> list[records.NetworkMessage]:
    """``count`` element changes: elements go down, then the first half come back."""
    elements = _elements(index)[:count]
    down = [records.ElementMessage(T0 + k, e, True, f"INC-{k}", e, "x")
            for k, e in enumerate(elements)]
    up = [records.ElementMessage(T0 + 100 + k, e, False, f"INC-{k}", e, "x")
          for k, e in enumerate(elements[: count // 2])]
    return [records.NetworkMessage([m.to_wire()], None, ingested_at=T0 + k)
            for k, m in enumerate(down + up)]


def _wire(messages: list[Any]) -> list[dict[str, Any]]:
    return [m.to_wire() for m in messages]


def _alone(index: RegionIndex, changes: list[records.NetworkMessage]
           ) -> dict[int, list[dict[str, Any]]]:
    """What each partition gets from a view (and memo) of its own."""
    found: dict[int, list[dict[str, Any]]] = {}
    for p in range(PARTITIONS):
        view = NetworkView(index, PARTITIONS, {}, ImpactMemo())
        found[p] = [w for c in changes for w in _wire(view.expand(p, c))]
    return found


def test_the_sample_has_changes_that_reach_several_partitions(sample: RegionIndex) -> None:
    alone = _alone(sample, _changes(sample, 6))
    assert sum(1 for p in alone if alone[p]) >= 3  # else the tests below prove little


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(order=st.lists(st.integers(0, PARTITIONS - 1), min_size=40, max_size=120),
       max_rows=st.sampled_from([0, 3, 10_000]))
def test_each_partition_gets_what_a_view_of_its_own_gives_in_any_interleaving(
    sample: RegionIndex, order: list[int], max_rows: int,
) -> None:
    changes = _changes(sample, 10)
    view = NetworkView(sample, PARTITIONS, {}, ImpactMemo())
    view.shares.max_rows = max_rows  # 0: nothing held, every partition builds its own
    for p in range(PARTITIONS):  # every partition has been handled on this worker
        view.replica(p)
    got: dict[int, list[dict[str, Any]]] = {p: [] for p in range(PARTITIONS)}
    at = dict.fromkeys(range(PARTITIONS), 0)  # the next change of each partition
    for p in order + [q for q in range(PARTITIONS) for _ in changes]:
        if at[p] < len(changes):
            got[p] += _wire(view.expand(p, changes[at[p]]))
            at[p] += 1
    assert got == _alone(sample, changes)
    assert view.shares.rows >= 0 and (max_rows or len(view.shares) == 0)


def test_a_change_is_built_once_for_all_partitions_of_a_worker(sample: RegionIndex) -> None:
    changes = _changes(sample, 6)
    view = NetworkView(sample, PARTITIONS, {}, ImpactMemo())
    for p in range(PARTITIONS):
        view.replica(p)
    for p in range(PARTITIONS):  # partition 0 first through every change, then 1, ...
        for change in changes:
            view.expand(p, change)
    built = view.shares.built
    assert 0 < built <= len(changes)
    assert view.shares.taken > 0
    assert len(view.shares) == 0 and view.shares.rows == 0  # every share was taken


def test_revoked_partitions_shares_are_dropped(sample: RegionIndex) -> None:
    changes = _changes(sample, 6)
    view = NetworkView(sample, PARTITIONS, {}, ImpactMemo())
    for p in range(PARTITIONS):
        view.replica(p)
    for change in changes:
        view.expand(0, change)
    assert len(view.shares) > 0
    view.forget({1, 2, 3})
    assert len(view.shares) == 0 and view.shares.rows == 0


class _Swapped:
    """``index`` under a new id array (what a new index version or other slices look like
    to the view), everything else the same."""

    def __init__(self, index: RegionIndex) -> None:
        self._index = index
        self.customer_id_array = np.array(list(index.customer_id_array), dtype=object)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._index, name)


def test_a_new_index_version_drops_the_shares_built_on_the_old_one(
    sample: RegionIndex,
) -> None:
    changes = _changes(sample, 6)
    view = NetworkView(sample, PARTITIONS, {}, ImpactMemo())
    for p in range(PARTITIONS):
        view.replica(p)
    view.expand(0, changes[0])
    assert len(view.shares) > 0
    view.index = _Swapped(sample)
    view.expand(1, changes[0])
    assert view.shares.taken == 0, "partition 1 built its share on the new index"
