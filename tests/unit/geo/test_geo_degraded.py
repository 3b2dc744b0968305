"""Degraded service: the best technology is gone while a lower one still serves.

Cases on the ``layered`` fixture (see its README), then the vectorised answer against a
plain-Python reference on a synthetic region.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from forewarn.geo import RegionIndex, load_region, write_synthetic_region
from forewarn.geo.commands import impact_report, run_impact

LAYERED = Path(__file__).resolve().parents[2] / "fixtures" / "regions" / "layered"
RANK = {"2G": 1, "3G": 2, "4G": 3, "5G": 4}


@pytest.fixture(scope="module")
def layered() -> RegionIndex:
    return RegionIndex.build(load_region(LAYERED))


def degraded_ids(index: RegionIndex, down: set[str]) -> list[str]:
    return index.ids_of(np.flatnonzero(index.degraded(down)))


def test_5g_down_with_4g_up_is_degraded_not_out(layered: RegionIndex) -> None:
    assert degraded_ids(layered, {"N5"}) == ["m-all"]
    assert layered.impact({"N5"})["mobile"] == []


def test_site_down_leaves_2g_so_both_its_customers_are_degraded(layered: RegionIndex) -> None:
    assert degraded_ids(layered, {"S1"}) == ["m-4g", "m-all"]
    assert degraded_ids(layered, {"PWR-1"}) == ["m-4g", "m-all"]  # via the topology


def test_losing_a_lower_technology_is_not_degraded(layered: RegionIndex) -> None:
    assert degraded_ids(layered, {"G2"}) == []  # m-all keeps 5G, m-3g keeps 3G
    assert layered.impact({"G2"})["mobile"] == ["m-2g"]


def test_customer_who_is_out_is_not_also_degraded(layered: RegionIndex) -> None:
    down = {"S1", "S2"}
    assert set(layered.impact(down)["mobile"]) == {"m-all", "m-4g", "m-2g", "m-3g"}
    assert degraded_ids(layered, down) == []


def test_degraded_positions_match_the_full_pass(layered: RegionIndex) -> None:
    for down in ({"N5"}, {"S1"}, {"U3"}, {"S2"}, set()):
        full = np.flatnonzero(layered.degraded(down))
        assert np.array_equal(layered.degraded_positions(down), full)


def test_degraded_aligned_with_given_positions(layered: RegionIndex) -> None:
    positions = np.array([layered.position("m-4g"), layered.position("m-all")])
    assert layered.degraded({"N5"}, positions).tolist() == [False, True]


def test_impact_output_gains_degraded_only_when_asked() -> None:
    plain = run_impact(LAYERED, ["N5"])
    assert plain == {"outage": {"mobile": [], "fibre": []}}
    asked = run_impact(LAYERED, ["N5"], degraded=True)
    assert asked == {"outage": {"mobile": [], "fibre": []}, "degraded": {"mobile": ["m-all"]}}


def test_fibre_only_customers_are_never_degraded(layered: RegionIndex) -> None:
    result = impact_report(layered, {"OLT-1", "S1"}, degraded=True)
    assert not {"f-1", "f-2", "f-in"} & set(result["degraded"]["mobile"])


def reference_degraded(index: RegionIndex, down: set[str]) -> set[str]:
    region = index.region
    assert region is not None
    tech = dict(zip(region.cells["cell_id"], region.cells["technology"]))
    out = set()
    for cid in index.customer_ids:
        cells = index.covering_cells(cid)
        if not cells:
            continue
        dead = {c for c in cells if c in down or set(index.ancestors(c)) & down}
        live = [RANK.get(tech[c], 0) for c in cells if c not in dead]
        if live and max(live) < max(RANK.get(tech[c], 0) for c in cells):
            out.add(cid)
    return out


def test_vectorised_degraded_matches_a_plain_reference(tmp_path: Path) -> None:
    write_synthetic_region(tmp_path, 1500, 7)
    index = RegionIndex.build(load_region(tmp_path))
    rng = np.random.default_rng(3)
    cells = [e for e in index.element_ids if index.element_type(e) == "cell"]
    sites = [e for e in index.element_ids if index.element_type(e) == "site"]
    for _ in range(5):
        down = set(rng.choice(cells, 15, replace=False)) | set(rng.choice(sites, 2))
        expected = reference_degraded(index, down)
        assert set(index.ids_of(index.degraded_positions(down))) == expected
