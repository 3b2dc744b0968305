"""The synthetic region: valid, deterministic, and shaped like the brief asks."""

from __future__ import annotations

import filecmp
import itertools
import json
from pathlib import Path

import pytest

from forewarn.geo import Region, RegionIndex, load_region, write_synthetic_region

FILES = ["areas.geojson", "cells.geojson", "customers.csv", "fibre_areas.geojson",
         "topology.csv"]


@pytest.fixture(scope="module")
def synth_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("synth")
    write_synthetic_region(folder, 2000, 5)
    return folder


@pytest.fixture(scope="module")
def synth(synth_dir: Path) -> Region:
    return load_region(synth_dir)


def test_writes_every_layer_and_loads_without_repairs(synth_dir: Path, synth: Region) -> None:
    assert sorted(p.name for p in synth_dir.iterdir()) == FILES
    assert len(synth.customers) == 2000
    assert synth.repaired == {}


def test_same_seed_gives_identical_files(synth_dir: Path, tmp_path: Path) -> None:
    write_synthetic_region(tmp_path, 2000, 5)
    _same, mismatch, errors = filecmp.cmpfiles(synth_dir, tmp_path, FILES, shallow=False)
    assert mismatch == [] and errors == []


def test_different_seeds_give_different_customers(synth_dir: Path, tmp_path: Path) -> None:
    write_synthetic_region(tmp_path, 2000, 6)
    assert (tmp_path / "customers.csv").read_text() != (synth_dir / "customers.csv").read_text()


def test_sites_have_three_sector_cells_with_a_technology_mix(synth: Region) -> None:
    cells = synth.cells
    assert cells is not None
    assert set(cells.groupby("site_id").size()) == {3}
    assert set(cells["technology"]) == {"2G", "4G", "5G"}


def test_topology_has_power_transport_olt_and_pon_parents(synth: Region) -> None:
    topology = synth.topology
    assert topology is not None
    types = set(topology["element_type"])
    assert {"power", "transport", "site", "cell", "olt", "pon"} <= types
    sites = topology[topology["element_type"] == "site"]
    assert (sites.groupby("element_id").size() == 2).all()  # power and transport


def test_customers_mix_services_languages_channels_and_timezones(synth: Region) -> None:
    c = synth.customers
    assert set(c["services"]) == {"mobile", "fibre", "mobile;fibre"}
    assert set(c["language"].dropna()) == {"de", "en"} and c["language"].isna().any()
    assert set(c["timezone"]) == {"Europe/Berlin", "Europe/London"}
    assert 0.01 < c["priority"].mean() < 0.06
    assert c["fibre_node_id"].notna().any()
    assert c["phone"].dropna().str.match(r"^\+4915\d{9}$").all()
    assert c["email"].dropna().str.endswith((".org", ".com")).all()
    assert {"sms", "email", "push"} <= set(";".join(c["channels"]).split(";"))


def test_some_customers_are_outside_every_cell(synth: Region) -> None:
    index = RegionIndex.build(synth)
    uncovered = [cid for cid in index.customer_ids if not index.covering_cells(cid)
                 and "mobile" in index.customer(cid).services]
    assert 0 < len(uncovered) < 0.05 * len(index)


def test_fibre_areas_do_not_overlap(synth: Region) -> None:
    areas = synth.fibre_areas
    assert areas is not None
    metric = areas.geometry.to_crs(32633)
    assert metric.union_all().area == pytest.approx(metric.area.sum(), rel=1e-9)


def test_geojson_is_wgs84_with_counter_clockwise_exteriors(synth_dir: Path) -> None:
    data = json.loads((synth_dir / "cells.geojson").read_text())
    ring = data["features"][0]["geometry"]["coordinates"][0]
    area2 = sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in itertools.pairwise(ring))
    assert area2 > 0
    assert all(13.0 < x < 13.8 and 52.3 < y < 52.7 for x, y in ring)


def test_areas_are_named_with_postcodes(synth: Region) -> None:
    areas = synth.areas
    assert areas is not None
    assert len(areas) == 6
    assert areas["postcode"].str.fullmatch(r"1\d{4}").all()
    assert areas["name"].str.startswith("Berlin-").all()
