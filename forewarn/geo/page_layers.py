"""The polygon layers the web pages draw and search: cells, fibre areas, named areas.

Why an accessor on the index (``RegionIndex.page_layers``) rather than ``index.region``: a
worker started from a sliced index has no region, but the shared part of the index carries
the same layers as GeoParquet (``slice_build._write_shared``). The status page, the desk map,
the banners' place names, incident pages and CAP areas ask the index for them and never care
where they came from: the region a worker built its index from, or the index's shared part.
A whole-region index artifact stores no polygons: there the layers are all None.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd

from forewarn.errors import RegionError

__all__ = ["LAYERS", "PageLayers", "read_page_layers"]

LAYERS = ("cells", "fibre_areas", "areas")


@dataclass(frozen=True)
class PageLayers:
    """Each layer as the region loaded it (its own CRS, its columns), or None when absent."""

    cells: gpd.GeoDataFrame | None = None
    fibre_areas: gpd.GeoDataFrame | None = None
    areas: gpd.GeoDataFrame | None = None


def read_page_layers(folder: Path) -> PageLayers:
    """The layers written into ``folder`` (``<layer>.parquet``); a missing file is a missing
    layer, an unreadable one a ``RegionError`` naming it."""
    found: dict[str, gpd.GeoDataFrame] = {}
    for layer in LAYERS:
        file = Path(folder) / f"{layer}.parquet"
        if not file.exists():
            continue
        try:
            found[layer] = gpd.read_parquet(file)
        except (OSError, ValueError) as exc:
            raise RegionError(str(file), f"corrupt index file: {exc}") from None
    return PageLayers(**found)
