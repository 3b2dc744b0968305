"""The per-worker impact memo: keys from set fingerprints, kept up to date in O(1)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from forewarn.geo import RegionIndex, load_region
from forewarn.streams.network.transitions import ImpactMemo, Toggled, set_print, toggled
from tests.forewarn_testing import TINY

names = st.sets(st.text(min_size=1, max_size=6), max_size=30)


@given(names, st.text(min_size=1, max_size=6))
def test_a_toggled_print_is_the_print_of_the_changed_set(elements: set[str], element: str
                                                         ) -> None:
    added, removed = elements | {element}, elements - {element}
    assert toggled(set_print(removed), element, True) == set_print(added)
    assert toggled(set_print(added), element, False) == set_print(removed)


@given(names, st.text(min_size=1, max_size=6))
def test_the_set_before_a_change_reads_like_a_copy(after: set[str], element: str) -> None:
    before = Toggled(after, element)
    copy = after - {element} if element in after else after | {element}
    assert set(before) == copy and len(before) == len(copy)
    assert all((e in before) == (e in copy) for e in after | {element, element + "x"})


def test_the_same_change_from_equal_sets_is_computed_once() -> None:
    index = RegionIndex.build(load_region(TINY))
    olt = next(e for e in index.element_ids if index.element_type(e) == "olt")
    memo = ImpactMemo()
    calls = []

    def dependents() -> object:
        calls.append(1)
        return index.dependents([olt])

    first = memo.transitions(index, (olt,), dependents, (set(), set()), ({olt}, set()),
                             1.0, "inc", olt, None)
    again = memo.transitions(index, (olt,), dependents, (set(), set()), ({olt}, set()),
                             1.0, "inc", olt, None)
    other = memo.transitions(index, (olt,), dependents, ({"X"}, set()), ({olt, "X"}, set()),
                             1.0, "inc", olt, None)
    assert first is again and first is not None and memo.hits == 1
    assert other is not first and len(calls) == 2  # another state before: computed again
