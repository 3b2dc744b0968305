"""Sliced index artifacts: one memory-mapped slice per customer partition plus a shared part.

Why: a worker needs the whole network (alarms name any element) but only the customers of
the partitions it owns. ``forewarn index build REGION --out DIR --partitions P``
(``slice_build``) writes, per version::

    DIR/CURRENT                      the newest complete version (as ``artifact``)
    DIR/v.../manifest.json           format "forewarn-index-slices", partitions, counts,
                                     element ids and types, crs, notes, fibre routes
    DIR/v.../shared/                 up/down element graph (CSR), tech, places, routes CSR,
                                     the phone -> (partition, position) map (``phone_map``),
                                     cells / fibre_areas / areas as GeoParquet (the pages'
                                     ``page_layers``), shared.json
    DIR/v.../p0000 .. p{P-1}/        one slice: slice.json (counts, vocabularies, file sizes)
                                     and .npy arrays: customer_id / phone / email / push_token
                                     (UTF-8 bytes + offsets), services / language / channels
                                     / timezone (uint16 codes), priority, mobile, fibre,
                                     lonlat, order, cover and serving (customer -> elements)
                                     and attached (element -> the slice's customers) as CSR

A customer's slice is Kafka's murmur2(customer_id) % P (``streams.partitioning``), the
pipeline's own partition. Every array loads with ``np.load(mmap_mode="r")``: nothing is
parsed, and workers on one host share the pages.

``SlicedIndex`` answers like ``RegionIndex`` from the shared part plus any set of slices,
each slice on its own (``attached`` per slice answers "who depends on this element" for
that slice alone), so a slice is added or dropped without touching the others. A customer's
*position* is fixed per version: the customers before its partition (all partitions
counted, loaded or not) plus its place in the slice; positions of slices not loaded are
never produced.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Sequence
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pyproj
import shapely

from forewarn.domain import Customer
from forewarn.errors import RegionError
from forewarn.geo._columns import CodedColumn, StringColumn
from forewarn.geo._csr import Csr, sorted_unique
from forewarn.geo._graph import ElementGraph
from forewarn.geo._ids import IdColumn, SlicedIds
from forewarn.geo._pack import open_pack
from forewarn.geo._routes import RouteIndex
from forewarn.geo._state import IndexState
from forewarn.geo.index import _SPARSE_SHARE, RegionIndex
from forewarn.geo.page_layers import PageLayers, read_page_layers
from forewarn.geo.phone_map import PhoneMap
from forewarn.streams.partitioning import partition_of, partitions_of

__all__ = ["CODED", "FORMAT", "FORMAT_VERSION", "PHONE_KEYS", "SHARED", "STRINGS", "SlicedIndex",
           "is_sliced", "load_slices", "read_manifest", "slice_name"]

FORMAT = "forewarn-index-slices"
FORMAT_VERSION = 1
SHARED = "shared"
STRINGS = ("phone", "email", "push_token")
CODED = ("services", "language", "channels", "timezone")
PHONE_KEYS = "phones.keys"  # with phones.partition, phones.position: the ``PhoneMap``


def slice_name(partition: int) -> str:
    """Folder of a partition's slice inside a version."""
    return f"p{partition:04d}"


def read_manifest(path: Path) -> dict[str, Any]:
    """The version's manifest; ``RegionError`` naming the file when it is unreadable."""
    file = Path(path) / "manifest.json"
    try:
        manifest: dict[str, Any] = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise RegionError(str(file), f"cannot read index manifest: {exc}") from None
    return manifest


def is_sliced(path: Path) -> bool:
    """Whether the version folder ``path`` holds a sliced index (else a whole-region one)."""
    try:
        text = (Path(path) / "manifest.json").read_text(encoding="utf-8")
        return bool(json.loads(text).get("format") == FORMAT)
    except (OSError, ValueError, AttributeError):
        return False


def _json(file: Path) -> dict[str, Any]:
    try:
        value: dict[str, Any] = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise RegionError(str(file), f"corrupt or missing index file: {exc}") from None
    return value


def _csr(arrays: dict[str, np.ndarray], name: str) -> Csr:
    return Csr(arrays[f"{name}.indptr"], arrays[f"{name}.indices"])


def _pack(folder: Path, meta_file: str) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """(metadata, arrays) of the pack a folder's JSON describes (``_pack.open_pack``)."""
    meta = _json(folder / meta_file)
    try:
        pack = meta["pack"]
    except (KeyError, TypeError):
        raise RegionError(str(folder / meta_file), "corrupt index file: no pack") from None
    arrays = open_pack(folder, pack)
    return meta, arrays


class _Shared:
    """The shared part of a version: element graph, places, routes, CRS, notes, the phone
    map and (read on first use) the pages' polygon layers."""

    def __init__(self, path: Path, manifest: dict[str, Any]) -> None:
        _, arrays = _pack(path / SHARED, "shared.json")
        ids = list(manifest["elements"]["ids"])
        self.graph = ElementGraph(ids=ids, position={e: k for k, e in enumerate(ids)},
                                  types=list(manifest["elements"]["types"]),
                                  up=_csr(arrays, "up"), down=_csr(arrays, "down"))
        self.crs = pyproj.CRS.from_wkt(manifest["crs"])
        self.tech = arrays["tech"]
        self.places = arrays["places"]
        self.routes: RouteIndex | None = None
        if "routes" in manifest:
            lines = shapely.from_wkb([bytes.fromhex(w) for w in manifest["routes"]["wkb"]])
            self.routes = RouteIndex(list(manifest["routes"]["ids"]), _csr(arrays, "routes"),
                                     np.asarray(lines, dtype=object), self.crs)
        self.notes = tuple(manifest["notes"])
        self.phones: PhoneMap | None = None
        if PHONE_KEYS in arrays:
            self.phones = PhoneMap(arrays[PHONE_KEYS], arrays["phones.partition"],
                                   arrays["phones.position"])
        self.folder = path / SHARED
        self._layers: PageLayers | None = None

    def layers(self) -> PageLayers:
        """The shared part's polygon layers, read on first use (only the pages need them)."""
        if self._layers is None:
            self._layers = read_page_layers(self.folder)
        return self._layers

    def state(self, customer_ids: list[str] | IdColumn, fields: dict[str, Any],
              arrays: dict[str, Any]) -> IndexState:
        return IndexState(customer_ids=customer_ids, fields=fields, graph=self.graph,
                          tech=self.tech, places=self.places, routes=self.routes, crs=self.crs,
                          notes=self.notes, **arrays)

    def empty(self) -> IndexState:
        """A state with no customers: what the element questions are answered from."""
        none = Csr(np.zeros(1, np.int64), np.zeros(0, np.int64))
        return self.state([], {}, {
            "mobile": np.zeros(0, bool), "fibre": np.zeros(0, bool),
            "lonlat": np.zeros((0, 2)), "order": np.zeros(0, np.int64), "cover": none,
            "serving": none,
            "attached": Csr(np.zeros(len(self.graph.ids) + 1, np.int64), np.zeros(0, np.int64))})


def _read_slice(path: Path, partition: int, shared: _Shared) -> RegionIndex:
    """One partition's slice as a ``RegionIndex`` over its own customers (local positions)."""
    folder = path / slice_name(partition)
    meta, packed = _pack(folder, "slice.json")
    try:
        vocab = meta["vocab"]
        ids = StringColumn(packed["customer_id.offsets"], packed["customer_id.data"])
        fields: dict[str, Any] = {name: CodedColumn(packed[name], vocab[name]) for name in CODED}
        for name in STRINGS:
            fields[name] = StringColumn(packed[f"{name}.offsets"], packed[f"{name}.data"])
        fields["priority"] = packed["priority"]
        arrays: dict[str, Any] = {name: packed[name]
                                  for name in ("mobile", "fibre", "lonlat", "order")}
        arrays.update({name: _csr(packed, name) for name in ("cover", "serving", "attached")})
    except KeyError as exc:
        raise RegionError(str(folder / "slice.json"), f"corrupt index file: no {exc}") from None
    customer_ids = IdColumn(ids, packed["order"])
    if len(customer_ids) != int(meta["customers"]) or arrays["attached"].n_rows != len(
            shared.graph.ids):
        raise RegionError(str(folder), "slice does not match its manifest (counts differ)")
    index = RegionIndex.__new__(RegionIndex)
    index.region = None
    index._setup(shared.state(customer_ids, fields, arrays))
    return index


class SlicedIndex(RegionIndex):
    """A ``RegionIndex`` over the shared part and a set of partitions' slices.

    Answers exactly like ``RegionIndex.build`` for the customers of the loaded slices (by
    id; positions differ, see the module docstring) and knows nothing of the others:
    ``customer`` raises ``KeyError`` for them, impacts never name them.
    """

    def __init__(self, path: Path, partitions: Iterable[int] | None = None) -> None:
        self.path = Path(path)
        self.manifest = read_manifest(self.path)
        if self.manifest.get("format_version") != FORMAT_VERSION:
            raise RegionError(str(self.path), f"sliced index format_version "
                              f"{self.manifest.get('format_version')} is not {FORMAT_VERSION}; "
                              "rebuild it with `forewarn index build --partitions`")
        self.version: str = str(self.manifest["version"])
        self.partitions: int = int(self.manifest["partitions"])
        sizes = np.asarray(self.manifest["counts"]["per_partition"], dtype=np.int64)
        self._base = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        self._shared = _Shared(self.path, self.manifest)
        self.region = None
        self._setup_shared(self._shared.empty())
        self._slices: dict[int, RegionIndex] = {}
        self._id_columns: dict[int, tuple[StringColumn, np.ndarray]] = {}  # ``knows``
        self._served: dict[int, tuple[RegionIndex, np.ndarray]] = {}  # ``served_counts``
        for k in range(self.partitions) if partitions is None else sorted(set(partitions)):
            self.add_slice(k)

    def _setup_shared(self, state: IndexState) -> None:
        self._state = state
        self._graph = state.graph
        self.notes = state.notes

    # -- the set of slices ---------------------------------------------------------------

    @property
    def loaded(self) -> tuple[int, ...]:
        """Partitions whose slices are mapped, ascending."""
        return tuple(sorted(self._slices))

    def add_slice(self, partition: int) -> None:
        """Map ``partition``'s slice (no-op when it is mapped); the others are untouched."""
        if partition not in self._slices:
            self.put_slice(partition, self.read_slice(partition))

    def read_slice(self, partition: int) -> RegionIndex:
        """``partition``'s slice, read but not yet in use: the slow half of ``add_slice``,
        which a worker runs in a thread while the event loop goes on reading this index."""
        if not 0 <= partition < self.partitions:
            raise RegionError(str(self.path), f"partition {partition} is outside "
                              f"0..{self.partitions - 1} of this index")
        return _read_slice(self.path, partition, self._shared)

    def put_slice(self, partition: int, part: RegionIndex) -> None:
        """Use ``part`` (from ``read_slice`` of this index) as ``partition``'s slice: the
        quick half of ``add_slice`` (no-op when one is mapped)."""
        if partition not in self._slices:
            self._slices[partition] = part
            self._forget()

    def drop_slice(self, partition: int) -> None:
        """Unmap ``partition``'s slice (its pages go once nothing refers to them)."""
        if self._slices.pop(partition, None) is not None:
            self._forget()

    def _forget(self) -> None:
        for name in ("customer_id_array", "customer_ids", "_loaded_phones"):
            self.__dict__.pop(name, None)

    def _parts(self) -> list[tuple[int, RegionIndex]]:
        return [(int(self._base[k]), self._slices[k]) for k in sorted(self._slices)]

    # -- customers -----------------------------------------------------------------------

    def __len__(self) -> int:
        return sum(len(part) for part in self._slices.values())

    @cached_property
    def customer_ids(self) -> SlicedIds:  # type: ignore[override]
        """Ids by position ("" at the positions of slices not loaded), decoded on demand
        from each slice's mapped ids: no ``str`` per customer held."""
        columns: dict[int, IdColumn] = {}
        for k, part in self._slices.items():
            assert isinstance(part.customer_ids, IdColumn)  # ``_read_slice`` made it
            columns[k] = part.customer_ids
        return SlicedIds(self.version, self._base, columns)

    @cached_property
    def customer_id_array(self) -> SlicedIds:
        return self.customer_ids

    def _owner(self, customer_id: str) -> tuple[int, RegionIndex]:
        for k, mapped in self._slices.items():  # a slice that found it before knows (a
            if mapped.asked(customer_id):         # few dict probes; hashing costs more)
                return int(self._base[k]), mapped
        partition = partition_of(customer_id, self.partitions)
        part = self._slices.get(partition)
        if part is None:
            raise KeyError(customer_id)
        return int(self._base[partition]), part

    def knows(self, customer_id: str) -> bool:
        """Whether any partition, its slice mapped or not, holds ``customer_id`` (HTTP
        ingest checks a contact's customer on whichever worker takes the request). A slice
        not mapped answers by binary search over its ids in string order (``order``), read
        through the memory map: a few pages, nothing kept but the open arrays."""
        partition = partition_of(customer_id, self.partitions)
        part = self._slices.get(partition)
        if part is not None:
            return part.has(customer_id)
        ids, order = self._id_order(partition)
        wanted = customer_id.encode("utf-8")
        lo, hi = 0, len(order)
        while lo < hi:  # ids are in the byte order of their UTF-8 (= code point order)
            mid = (lo + hi) // 2
            if _id_bytes(ids, int(order[mid])) < wanted:
                lo = mid + 1
            else:
                hi = mid
        return lo < len(order) and _id_bytes(ids, int(order[lo])) == wanted

    def _id_order(self, partition: int) -> tuple[StringColumn, np.ndarray]:
        found = self._id_columns.get(partition)
        if found is None:
            folder = self.path / slice_name(partition)
            _, packed = _pack(folder, "slice.json")
            try:
                found = (StringColumn(packed["customer_id.offsets"], packed["customer_id.data"]),
                         packed["order"])
            except KeyError as exc:
                raise RegionError(str(folder / "slice.json"),
                                  f"corrupt index file: no {exc}") from None
            self._id_columns[partition] = found
        return found

    def position(self, customer_id: str) -> int:
        base, part = self._owner(customer_id)
        return base + part.position(customer_id)

    def customer(self, customer_id: str) -> Customer:
        return self._owner(customer_id)[1].customer(customer_id)

    def timezone_of(self, customer_id: str) -> str:
        return self._owner(customer_id)[1].timezone_of(customer_id)

    def timezones_of(self, customer_ids: Sequence[str]) -> list[str | None]:
        """``timezone_of`` for many: each mapped slice searched once for its customers
        (None for an id of a slice not mapped here, or of none)."""
        ids = list(customer_ids)
        out: list[str | None] = [None] * len(ids)
        if not ids:
            return out
        owners = partitions_of(ids, self.partitions)
        for k, part in self._slices.items():
            where = np.flatnonzero(owners == k).tolist()
            if where:
                for i, zone in zip(where, part.timezones_of([ids[i] for i in where]),
                                   strict=True):
                    out[i] = zone
        return out

    def covering_cells(self, customer_id: str) -> tuple[str, ...]:
        return self._owner(customer_id)[1].covering_cells(customer_id)

    def serving_nodes(self, customer_id: str) -> tuple[str, ...]:
        return self._owner(customer_id)[1].serving_nodes(customer_id)

    def id_at(self, position: int) -> str:
        ((_, base, part),) = self._split(np.asarray([position], dtype=np.int64))
        return part.customer_ids[position - base]

    def partition_table(self, partitions: int) -> np.ndarray:
        """A slice's positions are its partition's (the module docstring): no ids hashed,
        and the same answer whichever slices are mapped."""
        if partitions != self.partitions:
            return super().partition_table(partitions)
        sizes = np.diff(self._base)
        return np.repeat(np.arange(self.partitions, dtype=np.int32), sizes)

    def phone_map(self, partitions: int) -> PhoneMap:
        """The shared part's map (every partition's customers, loaded or not); an index
        built before the map existed gets one over the loaded slices (built again once
        slices come or go)."""
        if partitions != self.partitions:
            raise RegionError(str(self.path), f"index has {self.partitions} partitions, "
                              f"not {partitions}")
        if self._shared.phones is not None:
            return self._shared.phones
        return self._loaded_phones

    @cached_property
    def _loaded_phones(self) -> PhoneMap:
        return PhoneMap.concat(
            PhoneMap.build(list(part._rows["phone"]), np.full(len(part), k),
                           base + np.arange(len(part), dtype=np.int64))
            for k, (base, part) in zip(sorted(self._slices), self._parts()))

    def page_layers(self) -> PageLayers:
        return self._shared.layers()

    def customer_lonlat(self) -> tuple[np.ndarray, np.ndarray]:
        parts = self._parts()
        if not parts:
            return np.zeros(0, dtype=np.int64), np.zeros((0, 2))
        return (np.concatenate([base + np.arange(len(p), dtype=np.int64) for base, p in parts]),
                np.concatenate([np.asarray(p._state.lonlat, dtype=np.float64).reshape(-1, 2)
                                for _, p in parts]))

    def timezone_counts(self) -> dict[str, int]:
        """Over every partition (from the manifest), so that every worker, whatever slices
        it holds, names incidents in the same zone; summed over the loaded slices for an
        index built before the manifest carried them."""
        counts = self.manifest["counts"].get("timezones")
        if counts is not None:
            return {str(z): int(n) for z, n in counts.items() if z}
        total: dict[str, int] = {}
        for _, part in self._parts():
            for zone, n in part.timezone_counts().items():
                total[zone] = total.get(zone, 0) + n
        return total

    def ids_of(self, positions: np.ndarray) -> list[str]:
        positions = np.asarray(positions, dtype=np.int64)
        self._split(positions)  # KeyError for a position of a slice not loaded
        found: list[str] = self.customer_ids[positions].tolist()
        return sorted(found)

    def customers_in(self, area: shapely.Geometry) -> np.ndarray:
        found = [base + part.customers_in(area) for base, part in self._parts()]
        return np.concatenate(found) if found else np.zeros(0, dtype=np.int64)

    def _all_positions(self) -> np.ndarray:
        found = [base + np.arange(len(part), dtype=np.int64) for base, part in self._parts()]
        return np.concatenate(found) if found else np.zeros(0, dtype=np.int64)

    def _split(self, positions: np.ndarray) -> list[tuple[np.ndarray, int, RegionIndex]]:
        """(where in ``positions``, base, slice) per loaded slice holding some of them;
        ``KeyError`` for a position of a slice that is not loaded."""
        positions = np.asarray(positions, dtype=np.int64)
        owner = np.searchsorted(self._base, positions, side="right") - 1
        groups = []
        for k in np.unique(owner).tolist():
            part = self._slices.get(k)
            if part is None:
                raise KeyError(f"positions of partition {k}, which is not loaded")
            groups.append((np.flatnonzero(owner == k), int(self._base[k]), part))
        return groups

    def serving_elements(self, position: int) -> tuple[str, ...]:
        ((_, base, part),) = self._split(np.asarray([position], dtype=np.int64))
        return part.serving_elements(position - base)

    def served_counts(self) -> np.ndarray:
        """Summed over the loaded slices (each counts its own customers, once per slice it
        maps: a takeover that maps the orphaned slices counts only those, ~1 s of CPU per
        million customers, not every slice again)."""
        counts = np.zeros(len(self._graph.ids), dtype=np.int64)
        for k, part in list(self._slices.items()):
            found = self._served.get(k)
            if found is None or found[0] is not part:
                found = self._served[k] = (part, part.served_counts())
            counts += found[1]
        for k in set(self._served) - set(self._slices):  # dropped: its pages may go
            self._served.pop(k, None)
        return counts

    # -- impact --------------------------------------------------------------------------

    def dependents(self, element_ids: Iterable[str]) -> np.ndarray:
        below = self._below(element_ids)  # the shared graph: once, not once per slice
        parts = self._parts()
        if below.size == 0 or not parts:
            return np.zeros(0, dtype=np.int64)
        # slices hold disjoint, increasing position ranges: one sort over all of them
        found = _take_stacked([part._attached for _, part in parts], [below] * len(parts),
                              [base for base, _ in parts])
        return sorted_unique(found.indices)

    def outages_each(self, downs: Sequence[Collection[str]],
                     positions: np.ndarray | None = None) -> list[dict[str, np.ndarray]]:
        if positions is None:
            positions = self._all_positions()
        positions = np.asarray(positions, dtype=np.int64)
        groups = self._runs(positions)
        if not groups:
            return [{s: np.zeros(len(positions), dtype=bool) for s in ("mobile", "fibre")}
                    for _ in downs]
        # every slice's rows as one subset, in the order of ``positions``: one pass over
        # them per down set instead of one per slice (a storm alarm's customers are spread
        # over every slice, a few dozen in each)
        rows = [positions[where] - base for where, base, _ in groups]
        slices = [part for _, _, part in groups]
        order = np.concatenate([where for where, _, _ in groups])
        subset = (_take_stacked([p._cover for p in slices], rows),
                  _take_stacked([p._serving for p in slices], rows),
                  np.concatenate([p._mobile[r] for p, r in zip(slices, rows, strict=True)]),
                  np.concatenate([p._fibre[r] for p, r in zip(slices, rows, strict=True)]))
        # which elements are effectively down, once over every slice's cells and nodes (the
        # shared graph; checking only those elements' lineage, not a storm's whole down set)
        found = self._outages_of(downs, subset)
        if order.size == len(positions) and (order.size < 2 or bool(
                np.all(order[1:] > order[:-1]))):
            return found  # already in the order of ``positions`` (sorted positions)
        each = []
        for got in found:
            out = {}
            for service, mask in got.items():
                out[service] = np.zeros(len(positions), dtype=bool)
                out[service][order] = mask
            each.append(out)
        return each

    def _runs(self, positions: np.ndarray) -> list[tuple[Any, int, RegionIndex]]:
        """``_split`` of ``positions``; for sorted positions (what ``dependents`` gives) each
        slice's share is one run, found by a binary search per slice."""
        if positions.size > 1 and not bool(np.all(positions[1:] >= positions[:-1])):
            return list(self._split(positions))
        bounds = np.searchsorted(positions, self._base).tolist()
        if bounds[0] != 0 or bounds[-1] != positions.size:  # outside every slice: its error
            return list(self._split(positions))
        groups: list[tuple[Any, int, RegionIndex]] = []
        for k in range(self.partitions):
            start, end = bounds[k], bounds[k + 1]
            if start == end:
                continue
            part = self._slices.get(k)
            if part is None:
                raise KeyError(f"positions of partition {k}, which is not loaded")
            groups.append((np.arange(start, end, dtype=np.int64), int(self._base[k]), part))
        return groups

    def degraded(self, down: Collection[str], positions: np.ndarray | None = None) -> np.ndarray:
        if positions is None:
            positions = self._all_positions()
        positions = np.asarray(positions, dtype=np.int64)
        out = np.zeros(len(positions), dtype=bool)
        groups = self._split(positions)
        eff = self.effectively_down(down)  # once for every slice
        for where, base, part in groups:
            out[where] = part.degraded_given(eff, positions[where] - base)
        return out

    def candidates(self, down: Collection[str]) -> np.ndarray | None:
        found = self.dependents(down)
        return found if found.size < _SPARSE_SHARE * len(self) else None

    def out_positions(self, down: Collection[str], *,
                      within: np.ndarray | None = None) -> dict[str, np.ndarray]:
        candidates = self.candidates(down)
        if within is not None:
            candidates = within if candidates is None else np.intersect1d(candidates, within)
        base = self._all_positions() if candidates is None else candidates
        out = self.outages(down, base)
        return {service: base[mask] for service, mask in out.items()}

    def degraded_positions(self, down: Collection[str], *,
                           within: np.ndarray | None = None) -> np.ndarray:
        candidates = self.candidates(down)
        if within is not None:
            candidates = within if candidates is None else np.intersect1d(candidates, within)
        positions = self._all_positions() if candidates is None else candidates
        return np.asarray(positions[self.degraded(down, positions)])


def _take_stacked(tables: Sequence[Csr], rows: Sequence[np.ndarray],
                  shifts: Sequence[int] | None = None) -> Csr:
    """``tables[k].take(rows[k])`` for each k, one after another, as one table (entries
    of table k plus ``shifts[k]``): three numpy calls per table and a few for all, where
    a ``take`` per table costs a dozen (a storm alarm asks this of every slice)."""
    starts = np.concatenate([np.asarray(t.indptr[r], dtype=np.int64)
                             for t, r in zip(tables, rows, strict=True)])
    ends = np.concatenate([np.asarray(t.indptr[r + 1], dtype=np.int64)
                           for t, r in zip(tables, rows, strict=True)])
    counts = ends - starts
    indptr = np.zeros(counts.size + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    flat = np.repeat(starts - indptr[:-1], counts) + np.arange(indptr[-1], dtype=np.int64)
    bounds = indptr[np.cumsum([0, *[len(r) for r in rows]])].tolist()
    pieces = []
    for k, table in enumerate(tables):
        found = np.asarray(table.indices[flat[bounds[k]:bounds[k + 1]]], dtype=np.int64)
        pieces.append(found + shifts[k] if shifts else found)
    return Csr(indptr, np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.int64))


def _id_bytes(ids: StringColumn, position: int) -> bytes:
    return bytes(ids.data[int(ids.offsets[position]):int(ids.offsets[position + 1])])


def load_slices(path: Path, partitions: Iterable[int] | None = None) -> SlicedIndex:
    """The sliced version at ``path`` (a version folder, or an index folder: its newest
    version) with the slices of ``partitions`` (None: all of them)."""
    from forewarn.geo.artifact import version_dir

    return SlicedIndex(version_dir(Path(path)), partitions)
