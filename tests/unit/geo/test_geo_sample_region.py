"""The shipped sample region keeps the story targets its README promises."""

from __future__ import annotations

import pytest

from forewarn.geo import RegionIndex, load_region
from tests.unit.geo.geo_helpers import SAMPLE

# (element, type, mobile out, fibre out) — the table in forewarn/data/sample_region/README.md
TARGETS = [
    ("PWR-002", "power", 16, 0),
    ("S0002", "site", 9, 0),
    ("S0011-2", "cell", 5, 0),
    ("PON-0008", "pon", 0, 10),
    ("OLT-02", "olt", 0, 20),
]


@pytest.fixture(scope="module")
def sample() -> RegionIndex:
    return RegionIndex.build(load_region(SAMPLE))


@pytest.mark.parametrize(("element", "kind", "mobile", "fibre"), TARGETS)
def test_story_target_hits_the_documented_customers(sample: RegionIndex, element: str, kind: str,
                                                     mobile: int, fibre: int) -> None:
    hit = sample.impact({element})
    assert sample.element_type(element) == kind
    assert (len(hit["mobile"]), len(hit["fibre"])) == (mobile, fibre)


def test_story_targets_hit_disjoint_customers(sample: RegionIndex) -> None:
    hit = sample.impact({"PWR-002", "S0002", "S0011-2", "PON-0008"})
    assert (len(hit["mobile"]), len(hit["fibre"])) == (30, 10)


def test_pon_target_hangs_off_its_olt(sample: RegionIndex) -> None:
    assert sample.ancestors("PON-0008") == ("OLT-02",)


def test_sample_region_is_small() -> None:
    assert sum(p.stat().st_size for p in SAMPLE.iterdir()) < 500_000
