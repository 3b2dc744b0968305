"""Every way a region can be unusable is a RegionError naming file, row and problem.

Row numbers: CSV rows count the header as row 1 (what an editor shows); GeoJSON rows are
feature numbers from 1.
"""

from __future__ import annotations

import pytest

from forewarn.errors import RegionError
from forewarn.geo import RegionIndex, load_region
from tests.unit.geo.geo_helpers import SQUARE, customers_csv, feature_collection, polygon_feature

GOOD = "a,13.41,52.51,mobile,,de,sms,+491511,,,0,Europe/Berlin"


def load_error(folder) -> RegionError:
    with pytest.raises(RegionError) as caught:
        load_region(folder)
    return caught.value


def test_missing_customers_file_is_named(region_copy) -> None:
    error = load_error(region_copy(customers_csv=None))
    assert error.file == "customers.csv"
    assert "missing" in error.problem


def test_missing_region_folder_is_reported(tmp_path) -> None:
    error = load_error(tmp_path / "nowhere")
    assert "does not exist" in error.problem


def test_missing_column_is_named(region_copy) -> None:
    error = load_error(region_copy(customers_csv="customer_id,lon,services\na,13.4,mobile\n"))
    assert (error.file, error.row) == ("customers.csv", None)
    assert "'lat'" in error.problem


def test_duplicate_customer_id_names_the_id_and_both_rows(region_copy) -> None:
    text = customers_csv(GOOD, "007,13.41,52.51,mobile,,,,,,,,", GOOD.replace("a,", "b,"),
                         "007,13.42,52.51,mobile,,,,,,,,")
    error = load_error(region_copy(customers_csv=text))
    assert error.row == 5
    assert "'007'" in error.problem and "rows 3 and 5" in error.problem
    assert str(error).startswith("customers.csv, row 5: duplicate customer_id")


@pytest.mark.parametrize(
    ("lon", "lat", "words"),
    [("abc", "52.5", "lon 'abc' is not a number"), ("13.4", "95", "lat 95 is outside"),
     ("", "52.5", "lon is empty"), ("181", "52.5", "lon 181 is outside"),
     ("nan", "52.5", "not a number")],
)
def test_bad_coordinates_name_the_row(region_copy, lon: str, lat: str, words: str) -> None:
    text = customers_csv(GOOD, f"b,{lon},{lat},mobile,,,,,,,,")
    error = load_error(region_copy(customers_csv=text))
    assert error.row == 3
    assert words in error.problem


def test_unknown_service_is_named(region_copy) -> None:
    text = customers_csv(GOOD, "b,13.4,52.5,mobile;dsl,,,,,,,,")
    error = load_error(region_copy(customers_csv=text))
    assert error.row == 3 and "unknown service 'dsl'" in error.problem


def test_empty_services_is_an_error(region_copy) -> None:
    error = load_error(region_copy(customers_csv=customers_csv("b,13.4,52.5,,,,,,,,,")))
    assert error.row == 2 and "services is empty" in error.problem


def test_unknown_channel_is_named(region_copy) -> None:
    text = customers_csv(GOOD, GOOD, "c,13.4,52.5,mobile,,,sms;fax,,,,,")
    error = load_error(region_copy(customers_csv=text.replace("a,", "x,", 1)))
    assert error.row == 4 and "unknown channel 'fax'" in error.problem


def test_unknown_timezone_names_the_row(region_copy) -> None:
    text = customers_csv(GOOD, "b,13.4,52.5,mobile,,,,,,,,Mars/Olympus",
                         "c,13.4,52.5,mobile,,,,,,,,Europe")
    error = load_error(region_copy(customers_csv=text))
    assert error.row == 3 and "unknown timezone 'Mars/Olympus'" in error.problem


def test_priority_that_is_not_a_number_names_the_row(region_copy) -> None:
    text = customers_csv(GOOD, "b,13.4,52.5,mobile,,,,,,,high,")
    error = load_error(region_copy(customers_csv=text))
    assert error.row == 3 and "priority 'high'" in error.problem


def test_empty_customer_id_names_the_row(region_copy) -> None:
    error = load_error(region_copy(customers_csv=customers_csv(GOOD, ",13.4,52.5,mobile,,,,,,,,")))
    assert error.row == 3 and "customer_id is empty" in error.problem


def test_row_numbers_count_blank_lines_like_an_editor(region_copy) -> None:
    text = customers_csv(GOOD, "", "b,13.4,95,mobile,,,,,,,,")
    assert load_error(region_copy(customers_csv=text)).row == 4


def test_row_with_more_fields_than_header_is_an_error(region_copy) -> None:
    text = customers_csv(GOOD, GOOD.replace("a,", "b,") + ",extra")
    error = load_error(region_copy(customers_csv=text))
    assert (error.file, error.row) == ("customers.csv", 3)
    assert "more fields" in error.problem


def test_unreadable_geojson_is_reported(region_copy) -> None:
    error = load_error(region_copy(cells_geojson='{"type": "FeatureCollection", "features": ['))
    assert error.file == "cells.geojson" and "cannot read file" in error.problem


def test_cells_missing_site_column_is_named(region_copy) -> None:
    cells = feature_collection(polygon_feature('{"cell_id": "X1"}', SQUARE))
    error = load_error(region_copy(cells_geojson=cells))
    assert error.file == "cells.geojson" and "'site_id'" in error.problem


def test_duplicate_cell_id_names_both_features(region_copy) -> None:
    cells = feature_collection(
        polygon_feature('{"cell_id": "X1", "site_id": "S"}', SQUARE),
        polygon_feature('{"cell_id": "X2", "site_id": "S"}', SQUARE),
        polygon_feature('{"cell_id": "X1", "site_id": "S"}', SQUARE),
    )
    error = load_error(region_copy(cells_geojson=cells))
    assert error.row == 3 and "duplicate cell_id 'X1' (rows 1 and 3)" in error.problem


def test_geometry_without_area_after_repair_is_an_error(region_copy) -> None:
    flat = "[[13.40, 52.50], [13.42, 52.50], [13.40, 52.50], [13.40, 52.50]]"
    cells = feature_collection(polygon_feature('{"cell_id": "X1", "site_id": "S"}', SQUARE),
                               polygon_feature('{"cell_id": "X2", "site_id": "S"}', flat))
    error = load_error(region_copy(cells_geojson=cells))
    assert (error.file, error.row) == ("cells.geojson", 2)
    assert "cannot be repaired into a polygon" in error.problem


def test_missing_geometry_names_the_feature(region_copy) -> None:
    cells = feature_collection(
        polygon_feature('{"cell_id": "X1", "site_id": "S"}', SQUARE),
        '{"type": "Feature", "properties": {"cell_id": "X2", "site_id": "S"}, "geometry": null}',
    )
    error = load_error(region_copy(cells_geojson=cells))
    assert error.row == 2 and "geometry is missing" in error.problem


def test_empty_geometry_names_the_feature(region_copy) -> None:
    areas = feature_collection(
        '{"type": "Feature", "properties": {"node_id": "P"}, '
        '"geometry": {"type": "Polygon", "coordinates": []}}')
    error = load_error(region_copy(fibre_areas_geojson=areas))
    assert (error.file, error.row) == ("fibre_areas.geojson", 1)
    assert "geometry is empty" in error.problem


def test_point_where_a_polygon_is_expected_is_an_error(region_copy) -> None:
    cells = feature_collection(
        '{"type": "Feature", "properties": {"cell_id": "X", "site_id": "S"}, '
        '"geometry": {"type": "Point", "coordinates": [13.4, 52.5]}}')
    error = load_error(region_copy(cells_geojson=cells))
    assert error.row == 1 and "geometry is a Point" in error.problem


def test_projected_coordinates_in_geojson_are_caught(region_copy) -> None:
    ring = "[[390000, 5820000], [391000, 5820000], [391000, 5821000], [390000, 5820000]]"
    cells = feature_collection(polygon_feature('{"cell_id": "X", "site_id": "S"}', ring))
    error = load_error(region_copy(cells_geojson=cells))
    assert error.row == 1 and "outside the WGS84" in error.problem


def test_two_files_for_one_layer_are_ambiguous(region_copy) -> None:
    folder = region_copy()
    (folder / "cells.gpkg").write_bytes(b"")
    error = load_error(folder)
    assert "several files for layer 'cells'" in error.problem


def test_topology_missing_parent_column_is_named(region_copy) -> None:
    error = load_error(region_copy(topology_csv="element_id,element_type\nX,site\n"))
    assert error.file == "topology.csv" and "'parent_id'" in error.problem


def test_topology_conflicting_types_name_both_rows(region_copy) -> None:
    text = "element_id,parent_id,element_type\nX,P,site\nP,,power\nX,Q,cabinet\n"
    error = load_error(region_copy(topology_csv=text))
    assert error.row == 4 and "'site' in row 2" in error.problem


def test_element_that_is_its_own_parent_is_a_cycle(region_copy) -> None:
    error = load_error(region_copy(topology_csv="element_id,parent_id,element_type\nX,X,site\n"))
    assert error.row == 2 and "cycle" in error.problem


def test_topology_cycle_is_an_error_naming_the_elements(region_copy) -> None:
    text = ("element_id,parent_id,element_type\nS-A,PWR-1,site\nPWR-1,GRID,power\n"
            "GRID,S-A,grid\n")
    region = load_region(region_copy(topology_csv=text))
    with pytest.raises(RegionError) as caught:
        RegionIndex.build(region)
    assert caught.value.file == "topology.csv"
    assert "S-A -> PWR-1 -> GRID -> S-A" in caught.value.problem


def test_cycle_through_a_cell_and_its_site_is_caught(region_copy) -> None:
    text = "element_id,parent_id,element_type\nS-A,A1,site\n"
    with pytest.raises(RegionError, match="A1 -> S-A -> A1"):
        RegionIndex.build(load_region(region_copy(topology_csv=text)))


def test_semicolon_separated_customers_file_gets_a_hint(region_copy) -> None:
    text = "customer_id;lon;lat;services\na;13.4;52.5;mobile\n"
    error = load_error(region_copy(customers_csv=text))
    assert "'customer_id'" in error.problem and "';'-separated" in error.problem
