"""RegionIndex.impact against a brute-force reference written independently here.

The reference reads the region files with ``csv`` and ``json`` (not ``load_region``), tests
every customer against every polygon with plain shapely ``covers`` in the same CRS as the
index (the file's lon/lat by default; UTM 33N for the metric variant), and walks ancestors
in pure Python. Hypothesis picks the synthetic region and mixed down sets of cells, sites,
power, transport, OLT and PON elements.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyproj
import pytest
import shapely
import shapely.ops
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import Point, shape

from forewarn.geo import RegionIndex, load_region, write_synthetic_region

SEEDS = (1, 2, 3)


@dataclass
class Reference:
    """Coverage and topology computed the slow, obvious way."""

    ids: list[str]
    services: list[set[str]]
    cells: list[list[str]]  # covering cells per customer
    nodes: list[list[str]]  # serving fibre nodes per customer
    parents: dict[str, list[str]]

    def effectively_down(self, element: str, down: set[str]) -> bool:
        stack, seen = [element], set()
        while stack:
            e = stack.pop()
            if e in down:
                return True
            if e not in seen:
                seen.add(e)
                stack.extend(self.parents.get(e, []))
        return False

    def impact(self, down: set[str]) -> dict[str, list[str]]:
        mobile, fibre = [], []
        for cid, services, cells, nodes in zip(self.ids, self.services, self.cells, self.nodes):
            if "mobile" in services and cells and all(
                    self.effectively_down(c, down) for c in cells):
                mobile.append(cid)
            if "fibre" in services and any(self.effectively_down(n, down) for n in nodes):
                fibre.append(cid)
        return {"mobile": sorted(mobile), "fibre": sorted(fibre)}

    def dependents(self, elements: set[str]) -> list[int]:
        hit = []
        for p, (services, cells, nodes) in enumerate(zip(self.services, self.cells, self.nodes)):
            attached = (cells if "mobile" in services else []) + (
                nodes if "fibre" in services else [])
            if any(self.effectively_down(e, elements) for e in attached):
                hit.append(p)
        return hit


def _features(path: Path, key: str) -> list[tuple[str, shapely.Geometry]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return [(str(f["properties"][key]), shape(f["geometry"])) for f in data["features"]]


def build_reference(folder: Path, project: pyproj.Transformer | None) -> Reference:
    def where(geom: shapely.Geometry) -> shapely.Geometry:
        return shapely.ops.transform(project.transform, geom) if project else geom

    cells = [(c, where(g)) for c, g in _features(folder / "cells.geojson", "cell_id")]
    areas = [(n, where(g)) for n, g in _features(folder / "fibre_areas.geojson", "node_id")]
    parents: dict[str, list[str]] = {}
    with (folder / "cells.geojson").open(encoding="utf-8") as f:
        for feature in json.load(f)["features"]:
            props = feature["properties"]
            parents.setdefault(props["cell_id"], []).append(props["site_id"])
    with (folder / "topology.csv").open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            if row["parent_id"]:
                parents.setdefault(row["element_id"], []).append(row["parent_id"])
    ref = Reference([], [], [], [], parents)
    with (folder / "customers.csv").open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            point = where(Point(float(row["lon"]), float(row["lat"])))
            ref.ids.append(row["customer_id"])
            ref.services.append({s.strip() for s in row["services"].split(";")})
            ref.cells.append([c for c, g in cells if g.covers(point)])
            if row["fibre_node_id"]:
                ref.nodes.append([row["fibre_node_id"]])
            else:
                ref.nodes.append([n for n, g in areas if g.covers(point)])
    return ref


@pytest.fixture(scope="module")
def cases(tmp_path_factory: pytest.TempPathFactory) -> dict[int, tuple[RegionIndex, Reference]]:
    out = {}
    for seed in SEEDS:
        folder = tmp_path_factory.mktemp(f"synth{seed}")
        write_synthetic_region(folder, 160, seed)
        out[seed] = (RegionIndex.build(load_region(folder)), build_reference(folder, None))
    return out


@pytest.fixture(scope="module")
def utm_case(tmp_path_factory: pytest.TempPathFactory) -> tuple[RegionIndex, Reference]:
    folder = tmp_path_factory.mktemp("synth_utm")
    write_synthetic_region(folder, 160, 11)
    zone = int((13.4 + 180) // 6) + 1  # Berlin: UTM zone 33 north
    project = pyproj.Transformer.from_crs("EPSG:4326", f"EPSG:{32600 + zone}", always_xy=True)
    return RegionIndex.build(load_region(folder), crs="utm"), build_reference(folder, project)


def down_sets(index: RegionIndex) -> st.SearchStrategy[set[str]]:
    by_type: dict[str, list[str]] = {}
    for element in index.element_ids:
        by_type.setdefault(index.element_type(element), []).append(element)
    picks = [st.sets(st.sampled_from(sorted(ids)), max_size=n)
             for ids, n in ((by_type["cell"], 12), (by_type["site"], 4), (by_type["power"], 2),
                            (by_type["transport"], 1), (by_type["olt"], 1), (by_type["pon"], 4))]
    return st.tuples(*picks).map(lambda parts: set().union(*parts))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_impact_matches_brute_force_reference(cases, data) -> None:
    seed = data.draw(st.sampled_from(SEEDS), label="seed")
    index, ref = cases[seed]
    down = data.draw(down_sets(index), label="down")
    assert index.impact(down) == ref.impact(down)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_dependents_match_brute_force_reference(cases, data) -> None:
    seed = data.draw(st.sampled_from(SEEDS), label="seed")
    index, ref = cases[seed]
    elements = data.draw(down_sets(index), label="elements")
    assert index.dependents(elements).tolist() == ref.dependents(elements)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_metric_crs_impact_matches_brute_force_in_utm(utm_case, data) -> None:
    index, ref = utm_case
    down = data.draw(down_sets(index), label="down")
    assert index.impact(down) == ref.impact(down)


def test_reference_sees_the_same_coverage_as_the_index(cases) -> None:
    for index, ref in cases.values():
        for p, cid in enumerate(ref.ids):
            cells = sorted(ref.cells[p]) if "mobile" in ref.services[p] else []
            nodes = sorted(ref.nodes[p]) if "fibre" in ref.services[p] else []
            assert sorted(index.covering_cells(cid)) == cells, cid
            assert sorted(index.serving_nodes(cid)) == nodes, cid


def test_outages_on_a_subset_equal_the_full_computation(cases) -> None:
    index, _ = cases[SEEDS[0]]
    rng = np.random.default_rng(0)
    down = set(rng.choice(index.element_ids, size=10, replace=False).tolist())
    positions = rng.choice(len(index), size=40, replace=False)
    whole, part = index.outages(down), index.outages(down, positions)
    for service in ("mobile", "fibre"):
        assert part[service].tolist() == whole[service][positions].tolist()
