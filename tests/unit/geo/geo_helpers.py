"""Helpers to write small region files inline in tests (imported by the geo tests)."""

from __future__ import annotations

from pathlib import Path

__all__ = ["SAMPLE", "SQUARE", "TINY", "customers_csv", "feature_collection", "polygon_feature"]

TINY = Path(__file__).resolve().parents[2] / "fixtures" / "regions" / "tiny"
SAMPLE = Path(__file__).resolve().parents[3] / "forewarn" / "data" / "sample_region"


def customers_csv(*rows: str) -> str:
    """A customers.csv with the contract's header and the given data rows."""
    header = ("customer_id,lon,lat,services,fibre_node_id,language,channels,phone,email,"
              "push_token,priority,timezone")
    return "\n".join([header, *rows]) + "\n"


def feature_collection(*features: str) -> str:
    return '{"type": "FeatureCollection", "features": [' + ",\n".join(features) + "]}"


def polygon_feature(props: str, ring: str) -> str:
    """A GeoJSON polygon feature; ``props`` and ``ring`` are JSON text."""
    return (f'{{"type": "Feature", "properties": {props}, '
            f'"geometry": {{"type": "Polygon", "coordinates": [{ring}]}}}}')


SQUARE = "[[13.40, 52.50], [13.42, 52.50], [13.42, 52.52], [13.40, 52.52], [13.40, 52.50]]"
