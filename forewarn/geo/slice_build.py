"""``forewarn index build REGION --out DIR --partitions P``: a sliced index, built streaming.

Why streaming: joining 10M customers the way ``RegionIndex.build`` does holds every
customer's row as Python objects at once (tens of gigabytes). Here customers are read,
validated and joined to coverage in chunks (``rows_per_chunk``, 250,000 by default); each
chunk's result is split by partition (Kafka's murmur2(customer_id) % P,
``forewarn.streams.partitioning``) and spilled to disk, and each partition's slice is then
assembled from its spills alone. Peak memory follows the chunk and the largest partition,
not the region.

One pass over the customers table. Explicit ``fibre_node_id`` values are elements, and the
element graph puts them before the topology's elements, so their positions are known only
at the end: chunks are joined against the graph without them (cells and fibre areas come
first, so their positions do not move), explicit nodes are spilled as codes and resolved
when the slices are assembled. The result answers exactly like ``RegionIndex.build`` on
the same region (same element positions, joins, notes and metric CRS); the layout is in
``slices``.
"""

from __future__ import annotations

import json
import logging
import shutil
import time
from pathlib import Path
from typing import Any, cast

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from forewarn.errors import RegionError
from forewarn.geo._chunks import customer_chunks
from forewarn.geo._columns import StringColumn, encode_strings, fixed_width, intern_codes
from forewarn.geo._coverage import _tolerance, resolve_crs, spatial_order
from forewarn.geo._csr import Csr
from forewarn.geo._customers import OPTIONAL_COLUMNS, validate_customers
from forewarn.geo._graph import ElementGraph, build_graph
from forewarn.geo._pack import PackWriter
from forewarn.geo._places import element_places
from forewarn.geo._routes import RouteIndex, split_feeds
from forewarn.geo._state import service_masks
from forewarn.geo._technology import cell_ranks
from forewarn.geo.artifact import new_version, publish, region_checksum
from forewarn.geo.phone_map import PhoneMap
from forewarn.geo.region import Region, load_network
from forewarn.geo.slices import (
    CODED,
    FORMAT,
    FORMAT_VERSION,
    PHONE_KEYS,
    SHARED,
    STRINGS,
    slice_name,
)
from forewarn.streams.partitioning import partitions_of

__all__ = ["DEFAULT_CHUNK_ROWS", "MAX_PARTITIONS", "build_slices"]

log = logging.getLogger("forewarn.geo")

DEFAULT_CHUNK_ROWS = 250_000
MAX_PARTITIONS = 1024  # a slice folder per partition; Kafka topics rarely go past a few hundred


class _Joiner:
    """``_coverage.points_in_polygons`` with the polygons prepared once (grown, in their
    CRS, in an STRtree) and queried chunk by chunk: same pairs, without rebuilding the
    tree for every chunk."""

    def __init__(self, polygons: gpd.GeoSeries) -> None:
        self.crs = pyproj.CRS.from_user_input(polygons.crs)
        grown = shapely.buffer(np.asarray(polygons.values, dtype=object), _tolerance(self.crs),
                               quad_segs=1, join_style="mitre", mitre_limit=2.0)
        self.tree = shapely.STRtree(grown)

    def pairs(self, points: gpd.GeoSeries) -> tuple[np.ndarray, np.ndarray]:
        if len(points) == 0:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        pts = points if points.crs == self.crs else points.to_crs(self.crs)
        geoms = np.asarray(pts.values, dtype=object)
        walk = spatial_order(shapely.get_coordinates(geoms))
        point_pos, poly_pos = self.tree.query(geoms[walk], predicate="intersects")
        return walk[point_pos].astype(np.int64), poly_pos.astype(np.int64)


class _Prepared:
    """What every chunk's joins reuse: the network, its graph, one tree per polygon layer,
    the element position of each polygon, the node ids the fibre layers know."""

    def __init__(self, network: Region, graph: ElementGraph) -> None:
        self.network, self.graph = network, graph
        self.cells = None if network.cells is None else _Joiner(network.cells.geometry)
        self.cell_pos = self._positions(network.cells, "cell_id")
        self.areas = (None if network.fibre_areas is None
                      else _Joiner(network.fibre_areas.geometry))
        self.node_pos = self._positions(network.fibre_areas, "node_id")
        known = set(network.fibre_areas["node_id"]) if network.fibre_areas is not None else set()
        if network.topology is not None:
            known |= set(network.topology["element_id"])
        self.known: set[str] = known
        # explicit fibre_node_id -> code, in order of first sight; spilled as n_joined + code
        self.explicit: dict[str, int] = {}

    def _positions(self, frame: pd.DataFrame | None, column: str) -> np.ndarray:
        if frame is None:
            return np.zeros(0, dtype=np.int64)
        return np.asarray([self.graph.position[e] for e in frame[column]], dtype=np.int64)


class _Counts:
    """What ``_joins`` reports as notes, summed over chunks."""

    def __init__(self) -> None:
        self.uncovered = self.several = self.without = 0
        self.unknown: set[str] = set()
        self.low, self.high = np.full(2, np.inf), np.full(2, -np.inf)

    def extend(self, lonlat: np.ndarray) -> None:
        """Widen the customers' bounding box (it picks the metric CRS)."""
        if len(lonlat):
            self.low = np.minimum(self.low, lonlat.min(axis=0))
            self.high = np.maximum(self.high, lonlat.max(axis=0))

    def crs(self) -> pyproj.CRS:
        """The UTM zone ``RegionIndex.build`` picks (``estimate_utm_crs`` looks only at the
        centre of the points' bounds, so the two corners give the same zone)."""
        if not np.isfinite(self.low).all():
            return pyproj.CRS.from_epsg(3857)
        corners = gpd.GeoSeries(gpd.points_from_xy([self.low[0], self.high[0]],
                                                   [self.low[1], self.high[1]]), crs="EPSG:4326")
        return resolve_crs("utm", corners) or pyproj.CRS.from_epsg(3857)


def build_slices(region_dir: Path, out: Path, partitions: int, *,
                 rows_per_chunk: int = DEFAULT_CHUNK_ROWS, keep: int = 3) -> Path:
    """Build the sliced index of ``region_dir`` and publish it as a new version in ``out``.

    Raises ``RegionError`` for bad region data (naming file and row) and ``ValueError`` for
    a partition count outside 1..``MAX_PARTITIONS``.
    """
    if not 1 <= partitions <= MAX_PARTITIONS:
        raise ValueError(f"--partitions {partitions} is outside 1..{MAX_PARTITIONS}")
    started = time.monotonic()
    region_dir, out = Path(region_dir), Path(out)
    network = load_network(region_dir)
    customers_file = region_dir / network.files["customers"]
    topology_file = network.files.get("topology", "topology.csv")
    join_graph = build_graph(network.cells, network.fibre_areas, network.topology, [],
                             topology_file)
    checksum = region_checksum(region_dir)
    version, tmp = new_version(out, checksum)
    try:
        spill = tmp / ".spill"
        spill.mkdir()
        counts = _Counts()
        vocab: dict[str, dict[str, int]] = {name: {} for name in CODED}
        prepared = _Prepared(network, join_graph)
        read = 0
        for chunk, (frame, rows) in enumerate(customer_chunks(customers_file, rows_per_chunk)):
            # absent columns are warned about once for the table, not once per chunk
            _spill_chunk(_quiet(frame) if chunk else frame, rows, customers_file.name,
                         prepared, partitions, spill, chunk, vocab, counts)
            read += len(frame)
            log.info("index build: %d customers read", read)
        nodes = set(prepared.explicit)
        if network.fibre_routes is not None:
            nodes.update(n for f in network.fibre_routes["feeds"] for n in split_feeds(f))
        graph = build_graph(network.cells, network.fibre_areas, network.topology, sorted(nodes),
                            topology_file)
        explicit = np.asarray([graph.position[e] for e in prepared.explicit], dtype=np.int64)
        sizes: list[int] = []
        phones: list[PhoneMap] = []
        zones = np.zeros(len(vocab["timezone"]), dtype=np.int64)
        for k in range(partitions):
            size, phone_map, zone_codes = _finish_slice(
                spill, k, tmp / slice_name(k), graph, len(join_graph.ids), explicit, vocab,
                customers_file.name, base=sum(sizes))
            sizes.append(size)
            phones.append(phone_map)
            zones += np.bincount(zone_codes, minlength=len(zones))
        shutil.rmtree(spill)
        crs = counts.crs()
        notes = _notes(network, counts)
        for level, note in notes:
            log.log(level, "region %s: %s", region_dir, note)
        _write_shared(tmp / SHARED, network, graph, crs, PhoneMap.concat(phones))
        manifest: dict[str, Any] = {
            "format": FORMAT, "format_version": FORMAT_VERSION, "version": version,
            "region_checksum": checksum, "region": str(region_dir),
            "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "partitions": partitions, "crs": crs.to_wkt(),
            "notes": [note for _, note in notes],
            "elements": {"ids": graph.ids, "types": graph.types},
            "counts": {"customers": int(sum(sizes)), "elements": len(graph.ids),
                       "per_partition": sizes,
                       "timezones": {zone: int(zones[code])
                                     for zone, code in vocab["timezone"].items()}},
        }
        if network.fibre_routes is not None and len(network.fibre_routes):
            routes = RouteIndex.build(network.fibre_routes, graph.position, crs)
            manifest["routes"] = {"ids": routes.ids,
                                  "wkb": [w.hex() for w in shapely.to_wkb(routes.lines)]}
        (tmp / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    final = publish(out, tmp, version, keep=keep)
    log.info("index build: %d customers in %d slices in %.1f s", sum(sizes), partitions,
             time.monotonic() - started)
    return final


def _quiet(frame: pd.DataFrame) -> pd.DataFrame:
    """Absent optional columns as empty text: the defaults they stand for, without the
    warning ``validate_customers`` gives (once is enough, for the first chunk)."""
    missing = [c for c in OPTIONAL_COLUMNS if c not in frame.columns]
    if not missing:
        return frame
    return frame.assign(**{c: np.full(len(frame), "", dtype=object) for c in missing})


def _spill_chunk(frame: pd.DataFrame, rows: np.ndarray, file: str, prepared: _Prepared,
                 partitions: int, spill: Path, chunk: int,
                 vocab: dict[str, dict[str, int]], counts: _Counts) -> None:
    """Validate and join one chunk, then write each partition's share of it to ``spill``."""
    customers = validate_customers(frame, rows, file)
    services = customers["services"].to_numpy(dtype=object)
    has_mobile, has_fibre = service_masks(services)
    cover = _cover(customers, has_mobile, prepared)
    counts.uncovered += int(np.count_nonzero(cover.counts()[has_mobile] == 0))
    serving = _serving(customers, has_fibre, prepared, counts)
    ids = customers["customer_id"].to_numpy(dtype=object)
    owner = partitions_of([str(c) for c in ids], partitions)
    lonlat = np.column_stack([customers["lon"].to_numpy(dtype=np.float64),
                              customers["lat"].to_numpy(dtype=np.float64)])
    counts.extend(lonlat)
    coded = {name: intern_codes(customers[name].to_numpy(dtype=object), vocab[name])
             for name in CODED}
    texts = {name: customers[name].to_numpy(dtype=object)
             for name in ("customer_id", *STRINGS)}
    priority = customers["priority"].to_numpy(dtype=np.int64)
    for k in np.unique(owner).tolist():
        sel = np.flatnonzero(owner == k)
        part: dict[str, np.ndarray] = {
            "rows": rows[sel], "lonlat": lonlat[sel], "priority": priority[sel],
            "mobile": has_mobile[sel], "fibre": has_fibre[sel]}
        for name, values in texts.items():
            part[f"{name}.data"], part[f"{name}.lengths"] = encode_strings(values[sel])
        for name, codes in coded.items():
            part[name] = codes[sel]
        for name, table in (("cover", cover), ("serving", serving)):
            taken = table.take(sel)
            part[f"{name}.counts"], part[f"{name}.indices"] = taken.counts(), taken.indices
        np.savez(spill / f"p{k:05d}-c{chunk:06d}.npz", **part)  # type: ignore[arg-type]


def _cover(customers: gpd.GeoDataFrame, has_mobile: np.ndarray, prepared: _Prepared) -> Csr:
    n = len(customers)
    if prepared.cells is None:
        return Csr.from_pairs(np.zeros(0), np.zeros(0), n)
    mobile = np.flatnonzero(has_mobile)
    pts, cells = prepared.cells.pairs(cast(gpd.GeoSeries, customers.geometry.iloc[mobile]))
    return Csr.from_pairs(mobile[pts], prepared.cell_pos[cells], n)


def _serving(customers: gpd.GeoDataFrame, has_fibre: np.ndarray, prepared: _Prepared,
             counts: _Counts) -> Csr:
    """``_joins._serving_nodes`` for one chunk: explicit ``fibre_node_id`` wins."""
    n = len(customers)
    fibre = np.flatnonzero(has_fibre)
    explicit = customers["fibre_node_id"].to_numpy(dtype=object)
    has_explicit = np.fromiter((e is not None for e in explicit[fibre]), dtype=bool,
                               count=len(fibre))
    rows = [fibre[has_explicit]]
    named = explicit[fibre[has_explicit]]
    base = len(prepared.graph.ids)
    cols = [np.asarray([base + prepared.explicit.setdefault(e, len(prepared.explicit))
                        for e in named], dtype=np.int64)]
    counts.unknown.update(e for e in named if e not in prepared.known)
    if prepared.areas is not None:
        geographic = fibre[~has_explicit]
        pts, areas = prepared.areas.pairs(cast(gpd.GeoSeries,
                                               customers.geometry.iloc[geographic]))
        rows.append(geographic[pts])
        cols.append(prepared.node_pos[areas])
    serving = Csr.from_pairs(np.concatenate(rows), np.concatenate(cols), n)
    per = serving.counts()[fibre]
    counts.several += int(np.count_nonzero(per > 1))
    counts.without += int(np.count_nonzero(per == 0))
    return serving


def _notes(network: Region, counts: _Counts) -> list[tuple[int, str]]:
    """The notes ``_joins.join_region`` gives, in its order and words."""
    notes = [(logging.INFO, f"{file}: repaired {k} invalid geometries")
             for file, k in network.repaired.items()]
    if counts.uncovered:
        notes.append((logging.INFO, f"{counts.uncovered} mobile customers are covered by no cell"))
    if counts.unknown:
        unknown = sorted(counts.unknown)
        notes.append((logging.WARNING,
                      f"{len(unknown)} fibre_node_id values name no fibre area or topology "
                      f"element (e.g. {unknown[0]})"))
    if counts.several:
        notes.append((logging.WARNING,
                      f"{counts.several} fibre customers lie in more than one fibre area"))
    if counts.without:
        notes.append((logging.INFO, f"{counts.without} fibre customers have no serving fibre node"))
    return notes


def _finish_slice(spill: Path, k: int, folder: Path, graph: ElementGraph, n_joined: int,
                  explicit: np.ndarray, vocab: dict[str, dict[str, int]], file: str, *,
                  base: int) -> tuple[int, PhoneMap, np.ndarray]:
    """Assemble partition ``k`` from its spills into ``folder``; returns its customer count,
    the phone map rows of its customers (positions from ``base``) and their timezone codes.

    Serving entries ``>= n_joined`` are explicit nodes by code (``explicit``: their final
    positions); every other element position is already final."""
    parts = [dict(np.load(p)) for p in sorted(spill.glob(f"p{k:05d}-c*.npz"))]

    def joined(name: str, dtype: Any, shape: tuple[int, ...] = ()) -> np.ndarray:
        if not parts:
            return np.zeros((0, *shape), dtype=dtype)
        return np.concatenate([p[name] for p in parts]).astype(dtype, copy=False)

    folder.mkdir()
    pack = PackWriter(folder / "slice.bin")
    rows = joined("rows", np.int64)
    for name in ("customer_id", *STRINGS):
        lengths = joined(f"{name}.lengths", np.int64)
        offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        data = joined(f"{name}.data", np.uint8)
        pack.add(f"{name}.offsets", offsets)
        pack.add(f"{name}.data", data)
        if name == "customer_id":
            order = _order_without_duplicates(data, offsets, rows, file)
            pack.add("order", order)
        if name == "phone":
            numbers = StringColumn(offsets, data).to_list()
            phone_map = PhoneMap.build(numbers, np.full(len(numbers), k, dtype=np.int32),
                                       base + np.arange(len(numbers), dtype=np.int64))
    for name in CODED:
        pack.add(name, joined(name, np.uint16))
    pack.add("priority", joined("priority", np.int64))
    pack.add("mobile", joined("mobile", bool))
    pack.add("fibre", joined("fibre", bool))
    pack.add("lonlat", joined("lonlat", np.float64, (2,)))
    tables = {}
    for name in ("cover", "serving"):
        counts = joined(f"{name}.counts", np.int64)
        indptr = np.zeros(len(counts) + 1, dtype=np.int64)
        np.cumsum(counts, out=indptr[1:])
        indices = joined(f"{name}.indices", np.int64)
        if name == "serving":
            named = indices >= n_joined
            indices[named] = explicit[indices[named] - n_joined]
        tables[name] = Csr(indptr, indices)
        pack.add(f"{name}.indptr", indptr)
        pack.add(f"{name}.indices", tables[name].indices)
    cover, serving = tables["cover"], tables["serving"]
    attached = Csr.from_pairs(np.concatenate([cover.indices, serving.indices]),
                              np.concatenate([cover.expand_rows(), serving.expand_rows()]),
                              len(graph.ids), unique=False)
    pack.add("attached.indptr", attached.indptr)
    pack.add("attached.indices", attached.indices)
    meta = {"partition": k, "customers": len(rows), "pack": pack.close(),
            "vocab": {name: sorted(codes, key=codes.__getitem__)
                      for name, codes in vocab.items()}}
    (folder / "slice.json").write_text(json.dumps(meta), encoding="utf-8")
    return len(rows), phone_map, joined("timezone", np.uint16)


def _order_without_duplicates(data: np.ndarray, offsets: np.ndarray, rows: np.ndarray,
                              file: str) -> np.ndarray:
    """Positions in plain string order of the ids; ``RegionError`` naming the rows of the
    first duplicate id (one id always lands in one partition, so a duplicate is found in the
    partition that holds both)."""
    ids = fixed_width(data, offsets)
    order = np.argsort(ids, kind="stable").astype(np.int64)
    same = np.flatnonzero(ids[order[1:]] == ids[order[:-1]])
    if same.size:
        dup = ids[order[same[0]]]
        where = np.sort(rows[np.flatnonzero(ids == dup)])
        value = bytes(dup).decode("utf-8")
        raise RegionError(file, f"duplicate customer_id '{value}' (rows {where[0]} and "
                          f"{where[1]})", int(where[1]))
    return order


def _write_shared(folder: Path, network: Region, graph: ElementGraph, crs: pyproj.CRS,
                  phones: PhoneMap) -> None:
    """What every worker needs whatever partitions it owns: the element graph, technology
    ranks and places of elements, fibre routes, the phone -> partition map (a worker routes
    a caller to the owner of the partition), and the polygon layers (cells, fibre areas,
    named areas) as GeoParquet for the pages."""
    folder.mkdir()
    pack = PackWriter(folder / "shared.bin")
    n = len(graph.ids)
    for name, table in (("up", graph.up), ("down", graph.down)):
        pack.add(f"{name}.indptr", table.indptr)
        pack.add(f"{name}.indices", table.indices)
    pack.add("tech", np.asarray(cell_ranks(network.cells, graph.position, n)))
    pack.add("places", element_places(network, graph.position, n, crs))
    if network.fibre_routes is not None and len(network.fibre_routes):
        routes = RouteIndex.build(network.fibre_routes, graph.position, crs)
        pack.add("routes.indptr", routes.feeds.indptr)
        pack.add("routes.indices", routes.feeds.indices)
    pack.add(PHONE_KEYS, phones.keys)
    pack.add("phones.partition", phones.partition)
    pack.add("phones.position", phones.position)
    for layer in ("cells", "fibre_areas", "areas"):
        frame = getattr(network, layer)
        if frame is not None:
            frame.to_parquet(folder / f"{layer}.parquet")
    (folder / "shared.json").write_text(json.dumps({"pack": pack.close()}), encoding="utf-8")
