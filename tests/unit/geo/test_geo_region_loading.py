"""load_region on valid input: what the frames hold after normalisation."""

from __future__ import annotations

from forewarn.geo import Region, load_region
from tests.unit.geo.geo_helpers import (
    SAMPLE,
    SQUARE,
    TINY,
    customers_csv,
    feature_collection,
    polygon_feature,
)


def test_ids_that_look_like_numbers_stay_strings(tiny_region: Region) -> None:
    ids = list(tiny_region.customers["customer_id"])
    assert ids[:2] == ["007", "0012"]


def test_customers_are_wgs84_points_in_file_order(tiny_region: Region) -> None:
    customers = tiny_region.customers
    assert customers.crs.to_epsg() == 4326
    first = customers.geometry.iloc[0]
    assert (first.x, first.y) == (13.405, 52.51)


def test_empty_values_get_their_contract_defaults(tiny_region: Region) -> None:
    row = tiny_region.customers.set_index("customer_id").loc["0012"]
    assert row["timezone"] == "Europe/Berlin"
    assert row["fibre_node_id"] is None
    east = tiny_region.customers.set_index("customer_id").loc["c-east"]
    assert east["language"] is None
    assert east["priority"] == 0
    assert east["timezone"] == "Europe/London"


def test_services_in_either_order_with_spaces_become_canonical(tiny_region: Region) -> None:
    row = tiny_region.customers.set_index("customer_id").loc["f-fttb"]
    assert row["services"] == "mobile;fibre"


def test_optional_layers_are_loaded_and_absent_ones_are_none(region_copy) -> None:
    folder = region_copy(areas_geojson=None, topology_csv=None)
    region = load_region(folder)
    assert region.areas is None and region.topology is None
    assert list(region.cells["cell_id"]) == ["A1", "A2", "B1", "C1"]
    assert region.files["cells"] == "cells.geojson"


def test_minimal_customers_file_with_only_required_columns_loads(region_copy) -> None:
    folder = region_copy(customers_csv="customer_id,lon,lat,services\n1,13.41,52.51,mobile\n")
    customer = load_region(folder).customers.iloc[0]
    assert customer["customer_id"] == "1"
    assert customer["channels"] == "" and customer["language"] is None
    assert customer["timezone"] == "Europe/Berlin" and customer["priority"] == 0


def test_blank_lines_are_skipped_but_keep_row_numbers(region_copy) -> None:
    text = customers_csv("a,13.41,52.51,mobile,,,,,,,,", "", "b,13.41,52.51,mobile,,,,,,,,")
    region = load_region(region_copy(customers_csv=text))
    assert list(region.customers["customer_id"]) == ["a", "b"]


def test_language_region_suffix_is_dropped_and_unknown_language_uses_default(region_copy) -> None:
    text = customers_csv("a,13.41,52.51,mobile,,de-DE,sms,,,,,", "b,13.41,52.51,mobile,,fr,,,,,,")
    languages = list(load_region(region_copy(customers_csv=text)).customers["language"])
    assert languages == ["de", None]


def test_repairable_bow_tie_is_repaired_and_counted(region_copy) -> None:
    bow_tie = "[[13.40, 52.50], [13.42, 52.52], [13.42, 52.50], [13.40, 52.52], [13.40, 52.50]]"
    cells = feature_collection(
        polygon_feature('{"cell_id": "X1", "site_id": "S-X"}', bow_tie),
        polygon_feature('{"cell_id": "X2", "site_id": "S-X"}', SQUARE),
    )
    region = load_region(region_copy(cells_geojson=cells))
    assert region.repaired == {"cells.geojson": 1}
    repaired = region.cells.geometry.iloc[0]
    assert repaired.is_valid and repaired.geom_type == "MultiPolygon"


def test_numeric_ids_in_geojson_are_read_as_text(region_copy) -> None:
    cells = feature_collection(polygon_feature('{"cell_id": 7, "site_id": 12}', SQUARE))
    region = load_region(region_copy(cells_geojson=cells))
    assert region.cells.iloc[0][["cell_id", "site_id"]].tolist() == ["7", "12"]


def test_cell_without_site_is_allowed(region_copy) -> None:
    cells = feature_collection(polygon_feature('{"cell_id": "X1", "site_id": null}', SQUARE))
    region = load_region(region_copy(cells_geojson=cells))
    assert region.cells.iloc[0]["site_id"] is None


def test_one_fibre_node_may_own_several_polygons(region_copy) -> None:
    areas = feature_collection(polygon_feature('{"node_id": "P"}', SQUARE),
                               polygon_feature('{"node_id": "P"}', SQUARE))
    region = load_region(region_copy(fibre_areas_geojson=areas))
    assert list(region.fibre_areas["node_id"]) == ["P", "P"]


def test_topology_keeps_one_row_per_parent_and_drops_repeated_edges(region_copy) -> None:
    text = ("element_id,parent_id,element_type\nS,P1,site\nS,P2,site\nS,P1,site\n"
            "P1,,power\nP2,,power\n")
    topology = load_region(region_copy(topology_csv=text)).topology
    assert topology is not None
    assert list(zip(topology["element_id"], topology["parent_id"])) == [
        ("S", "P1"), ("S", "P2"), ("P1", None), ("P2", None)]
    assert list(topology["row"]) == [2, 3, 5, 6]


def test_region_path_may_be_a_string() -> None:
    assert len(load_region(str(TINY)).customers) == 10  # type: ignore[arg-type]


def test_sample_region_ships_and_loads() -> None:
    region = load_region(SAMPLE)
    assert len(region.customers) == 300
    assert region.cells is not None and len(region.cells) == 36


def test_overlapping_parts_of_a_geometry_collection_are_merged(region_copy) -> None:
    collection = (
        '{"type": "Feature", "properties": {"cell_id": "X", "site_id": "S"}, "geometry": '
        '{"type": "GeometryCollection", "geometries": ['
        f'{{"type": "Polygon", "coordinates": [{SQUARE}]}}, '
        '{"type": "Polygon", "coordinates": [[[13.41, 52.51], [13.43, 52.51], [13.43, 52.53], '
        "[13.41, 52.53], [13.41, 52.51]]]}]}}")
    region = load_region(region_copy(cells_geojson=feature_collection(collection)))
    merged = region.cells.geometry.iloc[0]
    assert merged.is_valid and merged.geom_type == "Polygon"
    assert region.repaired == {"cells.geojson": 1}


def test_timezone_names_are_matched_case_insensitively(region_copy) -> None:
    text = customers_csv("a,13.41,52.51,mobile,,,,,,,,europe/london")
    assert load_region(region_copy(customers_csv=text)).customers.iloc[0]["timezone"] == (
        "Europe/London")


def test_windows_1252_customers_file_is_read(region_copy) -> None:
    folder = region_copy()
    text = "customer_id,lon,lat,services,name\nm1,13.41,52.51,mobile,Müller\n"
    (folder / "customers.csv").write_bytes(text.encode("cp1252"))
    assert load_region(folder).customers.iloc[0]["name"] == "Müller"
