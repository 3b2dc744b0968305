"""``RegionIndex.prepare_lookup``: the id -> position dict built ahead, same answers."""

from __future__ import annotations

import pytest

from forewarn.geo import RegionIndex, load_region
from tests.forewarn_testing import SAMPLE


@pytest.fixture(scope="module")
def index() -> RegionIndex:
    return RegionIndex.build(load_region(SAMPLE))


@pytest.mark.parametrize("chunk", [1, 3, 65_536])
def test_prepared_lookup_answers_every_position_as_the_lazy_one(chunk: int) -> None:
    lazy = RegionIndex.build(load_region(SAMPLE))
    prepared = RegionIndex.build(load_region(SAMPLE))
    prepared.prepare_lookup(chunk=chunk)
    assert "_lookup" in prepared.__dict__
    ids = list(lazy.customer_ids)
    assert [prepared.position(c) for c in ids] == [lazy.position(c) for c in ids]
    assert [prepared.position(c) for c in ids] == list(range(len(ids)))


def test_prepared_lookup_still_refuses_an_unknown_id(index: RegionIndex) -> None:
    index.prepare_lookup()
    with pytest.raises(KeyError):
        index.position("no-such-customer")
    assert not index.has("no-such-customer")


def test_prepare_lookup_keeps_a_dict_already_built(index: RegionIndex) -> None:
    index.prepare_lookup()
    built = index.__dict__["_lookup"]
    index.prepare_lookup()
    assert index.__dict__["_lookup"] is built
