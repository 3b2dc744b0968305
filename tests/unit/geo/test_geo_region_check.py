"""``check_region``: every problem of a region in one report, none of them a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from forewarn.geo.check import check_region, format_report
from forewarn.geo.commands import run_check
from tests.unit.geo.geo_helpers import TINY

REGIONS = TINY.parent
BROKEN = REGIONS / "broken"
MESSY = REGIONS / "messy"


def located(findings) -> set[tuple[str, int | None]]:
    return {(f.file, f.row) for f in findings}


def test_broken_region_lists_every_rejected_row_with_file_and_number() -> None:
    report = check_region(BROKEN)
    assert not report.usable
    assert located(report.errors) >= {
        ("customers.csv", 3), ("customers.csv", 5), ("customers.csv", 6),
        ("cells.geojson", 2), ("cells.geojson", 3), ("fibre_areas.geojson", 2),
        ("topology.csv", None)}
    problems = [str(f) for f in report.errors]
    assert "customers.csv, row 3: lon 'abc' is not a number" in problems
    assert any("duplicate customer_id 'a' (rows 2 and 5)" in p for p in problems)
    assert any(p.startswith("topology.csv: cycle") for p in problems)


def test_errors_of_one_file_are_listed_in_row_order() -> None:
    rows = [f.row for f in check_region(BROKEN).errors if f.file == "customers.csv"]
    assert rows == sorted(rows)


def test_repaired_geometries_are_listed_with_their_row_and_reason() -> None:
    report = check_region(MESSY)
    assert [(f.file, f.row) for f in report.repaired] == [("cells.geojson", 4)]
    assert "Self-intersection" in report.repaired[0].problem


def test_usable_region_with_data_problems_gives_warnings_not_errors() -> None:
    report = check_region(MESSY)
    assert report.usable and not report.errors
    text = "\n".join(str(w) for w in report.warnings)
    assert "technology '6G' is unknown" in text and "technology is empty" in text
    assert "PON-1 (row 1) and PON-2 (row 2) overlap" in text
    assert "1 customers are outside every layer (no service covered): far" in text
    assert report.counts["overlapping fibre area pairs"] == 1
    assert report.counts["cells 4G"] == 1


def test_layers_are_summarised_with_file_format_crs_and_counts() -> None:
    report = check_region(TINY)
    summary = {s.layer: s for s in report.layers}
    assert summary["cells"].format == "GeoJSON" and summary["cells"].crs == "EPSG:4326"
    assert summary["customers"].records == summary["customers"].accepted == 10
    assert report.counts["customers"] == 10


def test_missing_folder_is_an_error_not_an_exception(tmp_path: Path) -> None:
    report = check_region(tmp_path / "nowhere")
    assert not report.usable
    assert "does not exist" in report.errors[0].problem


def test_unreadable_file_is_named(tmp_path: Path) -> None:
    region = tmp_path / "r"
    region.mkdir()
    (region / "customers.csv").write_text((TINY / "customers.csv").read_text())
    (region / "cells.geojson").write_text('{"type": "FeatureCollection", "features": [')
    report = check_region(region)
    assert not report.usable
    assert report.errors[0].file == "cells.geojson"
    assert "cannot read file" in report.errors[0].problem


def test_many_bad_rows_are_capped_per_file(tmp_path: Path) -> None:
    region = tmp_path / "r"
    region.mkdir()
    header = (TINY / "customers.csv").read_text().splitlines()[0]
    rows = [f"c{i},x,52.5,mobile,,,,,,,," for i in range(30)]
    (region / "customers.csv").write_text("\n".join([header, *rows]) + "\n")
    report = check_region(region, max_rows=5)
    assert len([f for f in report.errors if f.row is not None]) == 5
    assert "stopped after 5 rejected rows" in report.errors[-1].problem


def test_run_check_exit_codes_and_json() -> None:
    text, code = run_check(BROKEN, as_json=True)
    assert code == 1
    data = json.loads(text)
    assert data["usable"] is False
    assert {"file": "customers.csv", "row": 3, "problem": "lon 'abc' is not a number"} in \
        data["errors"]
    text, code = run_check(MESSY)
    assert code == 0 and text.startswith(f"region {MESSY}: usable")


@pytest.mark.parametrize("region", [TINY, MESSY, BROKEN])
def test_text_report_names_the_verdict_first(region: Path) -> None:
    first = format_report(check_region(region)).splitlines()[0]
    assert ("UNUSABLE" in first) == (region == BROKEN)
