"""Fixtures for the web layer: a copy of ``tiny`` with two named areas, its index, a board."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from forewarn.geo import RegionIndex, load_region
from forewarn.streams.network.incident_board import IncidentBoard
from tests.forewarn_testing import TINY


def _square(x0: float, x1: float) -> dict[str, object]:
    ring = [[x0, 52.49], [x1, 52.49], [x1, 52.53], [x0, 52.53], [x0, 52.49]]
    return {"type": "Polygon", "coordinates": [ring]}


@pytest.fixture(scope="session")
def areas_region(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``tiny`` with areas West (10115, customer 007 and 0012) and East (10405, the rest)."""
    folder = tmp_path_factory.mktemp("web") / "region"
    shutil.copytree(TINY, folder)
    features = [
        {"type": "Feature", "geometry": _square(13.39, 13.425),
         "properties": {"area_id": "BER-10115", "name": "Mitte West", "postcode": "10115"}},
        {"type": "Feature", "geometry": _square(13.425, 13.47),
         "properties": {"area_id": "BER-10405", "name": "Prenzlauer Berg", "postcode": "10405"}},
    ]
    (folder / "areas.geojson").write_text(json.dumps({"type": "FeatureCollection",
                                                      "features": features}))
    return folder


@pytest.fixture(scope="session")
def index(areas_region: Path) -> RegionIndex:
    return RegionIndex.build(load_region(areas_region))


@pytest.fixture
def board() -> IncidentBoard:
    return IncidentBoard()

