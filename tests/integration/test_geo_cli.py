"""The geo commands as users meet them: ``region check``, ``index build``, ``coverage derive``.

Broken inputs must give file, row and problem and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from forewarn.geo import RegionIndex, load_region

pytestmark = pytest.mark.integration

REGIONS = Path(__file__).resolve().parents[1] / "fixtures" / "regions"


def test_region_check_on_a_broken_region_exits_1_with_rows(run_forewarn) -> None:
    proc = run_forewarn("region", "check", str(REGIONS / "broken"))
    assert proc.returncode == 1
    assert "UNUSABLE" in proc.stdout
    assert "customers.csv, row 3: lon 'abc' is not a number" in proc.stdout
    assert "cells.geojson, row 3: geometry is missing" in proc.stdout
    assert "Traceback" not in proc.stdout + proc.stderr


def test_region_check_on_a_usable_region_exits_0(run_forewarn) -> None:
    proc = run_forewarn("region", "check", str(REGIONS / "messy"), "--json")
    assert proc.returncode == 0
    assert json.loads(proc.stdout)["usable"] is True


@pytest.mark.parametrize("text", ["", "not json", '{"type": "FeatureCollection"}',
                                  ('{"type": "FeatureCollection", "features": [{"type": '
                                  '"Feature", "properties": {"cell_id": "A"}, "geometry": '
                                  '{"type": "Polygon", "coordinates": [[[1, 2]]]}}]}')])
def test_region_check_never_shows_a_traceback(run_forewarn, tmp_path: Path, text: str) -> None:
    region = tmp_path / "r"
    region.mkdir()
    (region / "customers.csv").write_text((REGIONS / "tiny" / "customers.csv").read_text())
    (region / "cells.geojson").write_text(text)
    proc = run_forewarn("region", "check", str(region))
    assert proc.returncode == 1
    assert "cells.geojson" in proc.stdout
    assert "Traceback" not in proc.stdout + proc.stderr


def test_region_check_of_a_missing_folder(run_forewarn, tmp_path: Path) -> None:
    proc = run_forewarn("region", "check", str(tmp_path / "nope"))
    assert proc.returncode == 1 and "does not exist" in proc.stdout


def test_index_build_publishes_a_version_that_loads(run_forewarn, tmp_path: Path) -> None:
    proc = run_forewarn("index", "build", str(REGIONS / "layered"), "--out", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    version = Path(proc.stdout.strip())
    assert (tmp_path / "CURRENT").read_text().strip() == version.name
    loaded = RegionIndex.load(tmp_path)
    built = RegionIndex.build(load_region(REGIONS / "layered"))
    assert loaded.impact({"S1", "PON-A"}) == built.impact({"S1", "PON-A"})


def test_index_build_of_a_broken_region_names_the_problem(run_forewarn, tmp_path: Path) -> None:
    proc = run_forewarn("index", "build", str(REGIONS / "broken"), "--out", str(tmp_path))
    assert proc.returncode == 2
    assert "customers.csv, row" in proc.stderr and "Traceback" not in proc.stderr


def test_coverage_derive_reports_bad_rows(run_forewarn, tmp_path: Path) -> None:
    csv = tmp_path / "cells.csv"
    csv.write_text("radio,mcc,net,area,cell,lon,lat,range\nGSM,262,1,1,1,13.4,52.5,1000\n"
                   "WIMAX,262,1,1,2,13.4,52.5,1000\n")
    proc = run_forewarn("coverage", "derive", str(csv), "--out", str(tmp_path / "o.geojson"))
    assert proc.returncode == 2
    assert "cells.csv, row 3: unknown radio 'WIMAX'" in proc.stderr
