"""``RegionIndex``: who is out when these elements are down, as array lookups.

Built once per region (``RegionIndex.build``) or loaded from an index artifact
(``RegionIndex.load``); afterwards every question the stream processor asks — which
customers depend on this element, who is out given the elements that are down — is a
gather over numpy CSR arrays, never a spatial query or a Python loop per customer.
Semantics are CONTRACT §4:

* an element is *effectively down* when it or any ancestor (topology; cell -> site) is down;
* a mobile customer is out when they are inside at least one cell and every covering cell
  is effectively down (no covering cell: never out);
* a fibre customer is out when their serving node is effectively down: ``fibre_node_id``
  when given (even outside that node's area, even for a node without polygon), else the
  node(s) of the fibre area(s) containing them; in several areas (a data error, counted in
  ``notes``) they are out when any of those nodes is;
* a mobile customer is *degraded* (not out) when their best technology is gone while a
  lower one remains: the best rank among live covering cells is below the best rank among
  all covering cells (``_technology``).
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable, Sequence
from collections.abc import Set as AbstractSet
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd
import pyproj
import shapely

from forewarn.domain import SERVICES, Customer
from forewarn.geo._csr import Csr, sorted_unique
from forewarn.geo._graph import ElementGraph
from forewarn.geo._ids import CustomerIds, IdArray, IdColumn, SlicedIds
from forewarn.geo._joins import join_region
from forewarn.geo._places import points_inside
from forewarn.geo._serving import served_counts, serving_elements
from forewarn.geo._state import IndexState, state_from_region
from forewarn.geo.page_layers import PageLayers
from forewarn.geo.phone_map import PhoneMap
from forewarn.geo.region import Region
from forewarn.streams.partitioning import partitions_of

__all__ = ["RegionIndex"]

log = logging.getLogger("forewarn.geo")
# Below this share of all customers, a query looks only at the dependents of the down
# elements; above it, one pass over everyone is cheaper than gathering the dependents.
_SPARSE_SHARE = 0.25


class RegionIndex:
    """Arrays answering impact questions for one region; immutable after ``build``.

    Customers are addressed by *position* (``customer_ids[p]``), the form in which large
    sets travel cheaply between stages; ids are converted only at the edges. ``region`` is
    the loaded region, or None for an index loaded from an artifact.
    """

    def __init__(self, region: Region, graph: ElementGraph, cover: Csr, serving: Csr,
                 notes: tuple[str, ...]) -> None:
        self.region: Region | None = region
        self._setup(state_from_region(region, graph, cover, serving, notes))

    def _setup(self, state: IndexState) -> None:
        self._state = state
        self.customer_ids: CustomerIds = state.customer_ids
        # a slice's ids asked for by id (``position``): found once by binary search, then
        # remembered; only those, not a dict over the whole slice (~116 bytes a customer
        # with the ``str``: 290 MB for the two slices of a worker of four at 10M customers)
        self._asked: dict[str, int] = {}
        self.notes = state.notes
        self._graph = state.graph
        self._cover = state.cover  # customer -> covering cells (mobile customers only)
        self._serving = state.serving  # customer -> serving fibre nodes (fibre customers only)
        self._attached = state.attached  # element -> customers attached directly
        self._rows = state.fields
        self._mobile, self._fibre = state.mobile, state.fibre
        self.__dict__.pop("_lookup", None)  # id -> position: built on the first lookup by id
        self._sorted = np.asarray(state.order, dtype=np.int64)
        self._rank = np.empty(len(self._sorted), dtype=np.int64)
        self._rank[self._sorted] = np.arange(len(self._sorted), dtype=np.int64)
        self._best = self._cover.max_rows(np.asarray(state.tech, dtype=np.int8))

    @classmethod
    def build(cls, region: Region, *, crs: pyproj.CRS | str | None = None) -> RegionIndex:
        """Join customers to cells and fibre areas and resolve the topology.

        ``crs``: None joins in each layer's own CRS (exact for the file's geometry, see
        ``_coverage``); ``"utm"`` or any CRS joins in that metric CRS instead.
        Raises ``RegionError`` when the topology has a cycle.
        """
        graph, cover, serving, notes = join_region(region, crs)
        for level, note in notes:
            log.log(level, "region %s: %s", region.path, note)
        return cls(region, graph, cover, serving, tuple(note for _, note in notes))

    @classmethod
    def load(cls, folder: Path) -> RegionIndex:
        """Load the newest index artifact in ``folder`` (see ``forewarn.geo.artifact``); a
        sliced one (``forewarn index build --partitions``) loads with all its slices."""
        from forewarn.geo.artifact import read_state, version_dir
        from forewarn.geo.slices import is_sliced, load_slices

        path = version_dir(Path(folder))
        if is_sliced(path):
            return load_slices(path)
        index = cls.__new__(cls)
        index.region = None
        index._setup(read_state(path))
        return index

    # -- customers ---------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.customer_ids)

    @cached_property
    def customer_id_array(self) -> IdArray:
        """Ids by position, gathered many at once (``ids[positions]``: an object array of
        ``str``): a numpy object array built on first use (several times cheaper to gather
        from than the list, and a storm names 100,000s), or a slice's ``IdColumn`` as it is
        (no ``str`` per customer until asked for)."""
        ids = self.customer_ids
        return ids if isinstance(ids, IdColumn | SlicedIds) else np.asarray(ids, dtype=object)

    @cached_property
    def _lookup(self) -> dict[str, int]:
        """Id -> position, built on first use (~150 bytes a customer with the ``str``)."""
        return dict(zip(self.customer_ids, range(len(self.customer_ids)), strict=True))

    def prepare_lookup(self, chunk: int = 65_536) -> None:
        """Build the id -> position dict now, if the first lookup by id would build it
        (ids held as a list: an index built from a region folder). Why: the first lookups
        come with an incident's first confirmations, and a dict of 1M ids costs ~0.6 s
        there; a worker calls this at start, in a thread. Built in chunks (each one C call
        holding the GIL), so the event loop gets turns meanwhile. A slice's ids (bytes) keep
        no dict over every id (``position``), and confirmations look their customers' zones
        up in one search (``timezones_of``)."""
        ids = self.customer_ids
        if not isinstance(ids, list) or "_lookup" in self.__dict__:
            return
        lookup: dict[str, int] = {}
        for start in range(0, len(ids), chunk):
            lookup.update(zip(ids[start:start + chunk], range(start, start + chunk)))
        self.__dict__.setdefault("_lookup", lookup)

    def position(self, customer_id: str) -> int:
        """Position of ``customer_id`` (KeyError when the region has no such customer).

        A slice answers by binary search over its mapped ids (~10 µs) and remembers each id
        it found, so an incident's customers, asked for again and again while they are
        decided and told, cost a dict probe after the first time; the slice's other
        customers cost nothing (a dict over every id of the slice was most of a worker's
        memory that falls as 1/N). A region loaded whole keeps one dict of every id."""
        if isinstance(self.customer_ids, IdColumn):
            asked = self._asked
            found = asked.get(customer_id)
            if found is None:
                found = self.customer_ids.find(customer_id)
                if found is None:
                    raise KeyError(customer_id)
                asked[customer_id] = found
            return found
        return self._lookup[customer_id]

    def asked(self, customer_id: str) -> bool:
        """Whether ``customer_id`` was found here by id before (a cheap first probe for a
        sliced index looking for the slice that holds a customer)."""
        return customer_id in self._asked or customer_id in self.__dict__.get("_lookup", ())

    def _id_list(self) -> list[str]:
        ids = self.customer_ids
        return ids if isinstance(ids, list) else ids.tolist()

    def has(self, customer_id: str) -> bool:
        """Whether this index holds ``customer_id``."""
        try:
            self.position(customer_id)
        except KeyError:
            return False
        return True

    def customer(self, customer_id: str) -> Customer:
        """The customer record, built on demand (a million eager objects would cost seconds)."""
        p = self.position(customer_id)
        row = {name: values[p] for name, values in self._rows.items()}
        return Customer(
            customer_id=customer_id,
            services=tuple(s for s in SERVICES if s in str(row["services"]).split(";")),
            language=row["language"] or None,
            channels=tuple(c for c in str(row["channels"] or "").split(";") if c),
            phone=row["phone"] or None,
            email=row["email"] or None,
            push_token=row["push_token"] or None,
            priority=int(row["priority"]),
            timezone=str(row["timezone"]),
        )

    def timezone_of(self, customer_id: str) -> str:
        """The customer's IANA timezone (``customer(...).timezone`` without building the
        record: legal clocks ask it for every customer an incident confirms)."""
        return str(self._rows["timezone"][self.position(customer_id)])

    def timezones_of(self, customer_ids: Sequence[str]) -> list[str | None]:
        """``timezone_of`` for many (None for an id this index does not hold), the ids of a
        slice found by one vectorised search instead of one lookup each."""
        zones = self._rows["timezone"]
        if isinstance(self.customer_ids, IdColumn):
            found = self.customer_ids.find_many(customer_ids).tolist()
            return [None if p < 0 else str(zones[p]) for p in found]
        lookup = self._lookup
        return [None if (p := lookup.get(c)) is None else str(zones[p]) for c in customer_ids]

    def covering_cells(self, customer_id: str) -> tuple[str, ...]:
        """Cells covering a mobile customer's location (empty for fibre-only customers)."""
        return tuple(self._graph.ids[e] for e in self._cover.row(self.position(customer_id)))

    def serving_nodes(self, customer_id: str) -> tuple[str, ...]:
        """Fibre nodes serving a fibre customer (usually one; empty when none is known)."""
        return tuple(self._graph.ids[e] for e in self._serving.row(self.position(customer_id)))

    def ids_of(self, positions: np.ndarray) -> list[str]:
        """Customer ids of ``positions`` in plain string order (the order ``impact`` prints)."""
        positions = np.asarray(positions, dtype=np.int64)
        found: list[str] = self.customer_id_array[
            positions[np.argsort(self._rank[positions])]].tolist()
        return found

    def serving_elements(self, position: int) -> tuple[str, ...]:
        """Every element serving the customer at ``position`` (covering cells, serving fibre
        nodes and all their ancestors), once each, in element order."""
        return serving_elements(self._state, position)

    def served_counts(self) -> np.ndarray:
        """Customers served by each element (attached to it or below it), aligned with
        ``element_ids``."""
        return served_counts(self._state)

    def id_at(self, position: int) -> str:
        """The id of the customer at ``position`` (``KeyError`` when this index does not
        hold it)."""
        if not 0 <= position < len(self.customer_ids):
            raise KeyError(position)
        return self.customer_ids[position]

    def partition_table(self, partitions: int) -> np.ndarray:
        """The customer partition (of ``partitions``) of the customer at each position:
        what the stages split impacts by, computed once per index version."""
        return partitions_of(self._id_list(), partitions)

    def phone_map(self, partitions: int) -> PhoneMap:
        """Phone number -> (partition of ``partitions``, position) of every customer with a
        number (``geo.phone_map``); built on first use, once per partition count."""
        maps: dict[int, PhoneMap] = self.__dict__.setdefault("_phone_maps", {})
        if partitions not in maps:
            numbers = [None if p is None or p != p else str(p) for p in self._rows["phone"]]
            owner = (np.zeros(len(numbers), dtype=np.int32) if partitions == 1
                     else partitions_of(self._id_list(), partitions))
            maps[partitions] = PhoneMap.build(
                numbers, owner,
                np.arange(len(self.customer_ids), dtype=np.int64))
        return maps[partitions]

    # -- what the pages draw -----------------------------------------------------------

    def page_layers(self) -> PageLayers:
        """Cells, fibre areas and named areas for the web pages (``geo.page_layers``): the
        region's own layers; none for an index artifact without a region."""
        if self.region is None:
            return PageLayers()
        return PageLayers(self.region.cells, self.region.fibre_areas, self.region.areas)

    def customer_lonlat(self) -> tuple[np.ndarray, np.ndarray]:
        """(positions, lon/lat) of the customers this index holds (the status page's join
        of customers to named areas)."""
        lonlat = np.asarray(self._state.lonlat, dtype=np.float64).reshape(-1, 2)
        return np.arange(len(lonlat), dtype=np.int64), lonlat

    def timezone_counts(self) -> dict[str, int]:
        """Customers per ``timezone`` value (the operator's zone is the most common one)."""
        values = self._rows.get("timezone")
        if values is None:
            return {}
        codes, names = pd.factorize(np.asarray(list(values), dtype=object),
                                    use_na_sentinel=True)
        counts = np.bincount(codes[codes >= 0], minlength=len(names))
        return {str(z): int(n) for z, n in zip(names, counts.tolist()) if z}

    # -- elements ----------------------------------------------------------------------

    @property
    def element_ids(self) -> list[str]:
        """Every id an alarm may name in this region."""
        return list(self._graph.ids)

    def has_element(self, element_id: str) -> bool:
        """Whether ``element_id`` names an element of this region (others are ignored)."""
        return element_id in self._graph.position

    def element_type(self, element_id: str) -> str:
        """Topology type when given, else cell/site/fibre_node from the layers, else unknown."""
        pos = self._graph.position.get(element_id)
        return "unknown" if pos is None else self._graph.types[pos]

    def ancestors(self, element_id: str) -> tuple[str, ...]:
        """All ancestors, nearest first, each once, without the element; () when unknown."""
        pos = self._graph.position.get(element_id)
        if pos is None:
            return ()
        return tuple(self._graph.ids[a] for a in self._graph.up.row(pos)[1:])

    def descendants(self, element_id: str) -> tuple[str, ...]:
        """Every element that has ``element_id`` among its ancestors; () when unknown."""
        pos = self._graph.position.get(element_id)
        if pos is None:
            return ()
        return tuple(self._graph.ids[d] for d in self._graph.down.row(pos).tolist() if d != pos)

    def root_cause(self, element_id: str, down: Collection[str]) -> str:
        """The farthest ancestor-or-self of ``element_id`` that is in ``down``, else itself.

        Why farthest: when a power element and the site below it are both down, customers
        are told about the power failure, which explains both.
        """
        for candidate in reversed((element_id, *self.ancestors(element_id))):
            if candidate in down:
                return candidate
        return element_id

    def elements_in(self, area: shapely.Geometry) -> list[str]:
        """Located elements inside ``area`` (WGS84; boundary counts): cells by footprint
        centroid, sites by mast, fibre nodes by area centroid (rule in ``_places``)."""
        inside = np.flatnonzero(points_inside(area, np.asarray(self._state.places)))
        return [self._graph.ids[e] for e in inside]

    def customers_in(self, area: shapely.Geometry) -> np.ndarray:
        """Sorted positions of customers located inside ``area`` (WGS84; boundary counts)."""
        return np.flatnonzero(points_inside(area, np.asarray(self._state.lonlat)))

    def cut_at(self, point_lonlat: tuple[float, float], tolerance_m: float) -> list[str]:
        """Nodes fed by the fibre routes passing within ``tolerance_m`` metres of the point
        (WGS84 lon, lat): what a cable cut there takes down. [] without a routes layer."""
        routes = self._state.routes
        if routes is None:
            return []
        return sorted(self._graph.ids[e] for e in routes.cut_at(*point_lonlat, tolerance_m))

    def cut_by(self, polygon: shapely.Geometry) -> list[str]:
        """Nodes fed by the fibre routes crossing ``polygon`` (WGS84, e.g. a dig site)."""
        routes = self._state.routes
        if routes is None:
            return []
        return sorted(self._graph.ids[e] for e in routes.cut_by(polygon))

    # -- impact ------------------------------------------------------------------------

    def dependents(self, element_ids: Iterable[str]) -> np.ndarray:
        """Sorted unique positions of customers whose mobile or fibre status depends on any
        of ``element_ids`` (a covering cell or serving node, or an ancestor of one): the
        only customers whose status an alarm on those elements can change."""
        return self._attached_to(self._below(element_ids))

    def _below(self, element_ids: Iterable[str]) -> np.ndarray:
        """Sorted positions of ``element_ids`` and every element below them (the shared
        graph: a ``SlicedIndex`` works them out once for all its slices)."""
        positions = self._graph.positions(element_ids)
        if positions.size == 0:
            return positions
        return sorted_unique(self._graph.down.take(positions).indices)

    def _attached_to(self, below: np.ndarray) -> np.ndarray:
        """Sorted unique positions of the customers attached to the elements ``below``."""
        if below.size == 0:
            return np.zeros(0, dtype=np.int64)
        return sorted_unique(self._attached.take(below).indices)

    def effectively_down(self, down: Collection[str]) -> np.ndarray:
        """Boolean per element: it or an ancestor is in ``down`` (unknown ids ignored)."""
        # Effectively down == a descendant-or-self of a down element: one gather over the
        # subtrees of ``down`` instead of a pass over every element's ancestors.
        eff = np.zeros(len(self._graph.ids), dtype=bool)
        positions = self._graph.positions(down)
        if positions.size:
            eff[self._graph.down.take(positions).indices] = True
        return eff

    def outages(self, down: Collection[str],
                positions: np.ndarray | None = None) -> dict[str, np.ndarray]:
        """``{"mobile": bool[], "fibre": bool[]}`` aligned with ``positions`` (all customers
        when None): is the customer out, given the elements whose *own* state is down?"""
        return self.outages_each([down], positions)[0]

    def outages_each(self, downs: Sequence[Collection[str]],
                     positions: np.ndarray | None = None) -> list[dict[str, np.ndarray]]:
        """``outages`` for each of ``downs`` at the same customers, whose cells and nodes
        are gathered once: the correlator compares before and after every record."""
        return self._outages_of(downs, self._subset(positions))

    def _outages_of(self, downs: Sequence[Collection[str]],
                    subset: tuple[Csr, Csr, np.ndarray, np.ndarray]
                    ) -> list[dict[str, np.ndarray]]:
        """``outages_each`` of a ``_subset`` (a ``SlicedIndex`` stacks its slices' rows into
        one). A few customers name few elements: their tables are renumbered over just
        those, so no array as long as the graph (~500,000 elements at 10M customers) is
        made or touched per down set."""
        cover, serving, mobile, fibre = subset
        if cover.indices.size + serving.indices.size >= len(self._graph.ids):
            return self._outages_given(
                [self.effectively_down(down) for down in downs], subset)
        elements = sorted_unique(np.concatenate([cover.indices, serving.indices]))
        local = (Csr(cover.indptr, np.searchsorted(elements, cover.indices)),
                 Csr(serving.indptr, np.searchsorted(elements, serving.indices)),
                 mobile, fibre)
        return self._outages_given(self._effective_at(elements, downs), local)

    @staticmethod
    def _outages_given(effs: Iterable[np.ndarray], subset: tuple[Csr, Csr, np.ndarray,
                                                                 np.ndarray]
                       ) -> list[dict[str, np.ndarray]]:
        """``outages_each`` of a ``_subset`` from each down set's effectively-down elements
        (a ``SlicedIndex`` works them out once for all its slices)."""
        cover, serving, mobile, fibre = subset
        return [{"mobile": mobile & cover.all_rows(eff), "fibre": fibre & serving.any_rows(eff)}
                for eff in effs]

    def _effective_at(self, elements: np.ndarray, downs: Sequence[Collection[str]]
                      ) -> list[np.ndarray]:
        """Per down set, per element of ``elements`` (sorted positions): is it effectively
        down?

        One record's customers name a few dozen cells and nodes, while in a storm a down set
        holds thousands of elements: checking the lineage of just those elements costs what
        they name, never a pass over the down set or the graph.
        """
        lineage = self._graph.up.take(elements)  # each element, then its ancestors
        related = sorted_unique(lineage.indices)
        # the lineage over ``related`` (positions in it): masks of a few hundred entries
        local = Csr(lineage.indptr, np.searchsorted(related, lineage.indices))
        seen: dict[int, np.ndarray] = {}
        return [local.any_rows(self._in_down(related, down, seen)) for down in downs]

    def _in_down(self, related: np.ndarray, down: Collection[str],
                 seen: dict[int, np.ndarray]) -> np.ndarray:
        """Per element of ``related`` (sorted positions): is it in ``down``? A set lookup
        per element when they are fewer than the down elements, else all of ``down``.

        A down set that is another one with one element toggled (``toggled_from``: the
        correlator's "before" of a change) is that one's answer with one entry flipped;
        ``seen`` keeps answers by set for the call (before and after share the lookups).
        """
        origin = getattr(down, "toggled_from", None)
        if origin is not None:
            base, element = origin()
            mask = self._in_down(related, base, seen).copy()
            pos = self._graph.position.get(element)
            if pos is not None:
                k = int(np.searchsorted(related, pos))
                if k < related.size and int(related[k]) == pos:
                    mask[k] = element in down
            return mask
        found = seen.get(id(down))
        if found is None:
            if related.size < len(down):
                members = down if isinstance(down, AbstractSet) else set(down)
                ids = self._graph.ids
                found = np.fromiter((ids[e] in members for e in related.tolist()),
                                    dtype=bool, count=related.size)
            else:
                found = np.isin(related, self._graph.positions(down))
            seen[id(down)] = found
        return found

    def degraded(self, down: Collection[str], positions: np.ndarray | None = None) -> np.ndarray:
        """Boolean per customer (aligned with ``positions``, all when None): mobile service
        is up but only on a lower technology than the customer's best covering cell."""
        return self.degraded_given(self.effectively_down(down), positions)

    def degraded_given(self, eff: np.ndarray, positions: np.ndarray | None = None
                       ) -> np.ndarray:
        """``degraded`` from the down set's ``effectively_down`` (see ``outages_given``)."""
        cover, _, mobile, _ = self._subset(positions)
        best = self._best if positions is None else self._best[np.asarray(positions, np.int64)]
        live = np.where(eff, np.int8(-1), np.asarray(self._state.tech, dtype=np.int8))
        best_live = cover.max_rows(live)
        return mobile & (best_live >= 0) & (best_live < best)

    def _subset(self, positions: np.ndarray | None) -> tuple[Csr, Csr, np.ndarray, np.ndarray]:
        if positions is None:
            return self._cover, self._serving, self._mobile, self._fibre
        positions = np.asarray(positions, dtype=np.int64)
        return (self._cover.take(positions), self._serving.take(positions),
                self._mobile[positions], self._fibre[positions])

    def candidates(self, down: Collection[str]) -> np.ndarray | None:
        """Positions whose status ``down`` can change, or None when that is most customers
        (then a pass over everyone is cheaper). Exact: an outage or degradation needs an
        effectively-down covering cell or serving node, i.e. a descendant of ``down``."""
        found = self.dependents(down)
        return found if found.size < _SPARSE_SHARE * len(self) else None

    def out_positions(self, down: Collection[str], *,
                      within: np.ndarray | None = None) -> dict[str, np.ndarray]:
        """Positions out per service (``within``: restrict to these sorted positions)."""
        candidates = self.candidates(down)
        if within is not None:
            candidates = within if candidates is None else np.intersect1d(candidates, within)
        out = self.outages(down, candidates)
        base = np.arange(len(self)) if candidates is None else candidates
        return {service: base[mask] for service, mask in out.items()}

    def degraded_positions(self, down: Collection[str], *,
                           within: np.ndarray | None = None) -> np.ndarray:
        """Positions of degraded mobile customers (``within``: as for ``out_positions``)."""
        candidates = self.candidates(down)
        if within is not None:
            candidates = within if candidates is None else np.intersect1d(candidates, within)
        mask = self.degraded(down, candidates)
        positions = np.arange(len(self)) if candidates is None else candidates
        return np.asarray(positions[mask])

    def impact(self, down: Collection[str]) -> dict[str, list[str]]:
        """``{"mobile": ids, "fibre": ids}`` of customers out, ids in plain string order."""
        return {service: self.ids_of(p) for service, p in self.out_positions(down).items()}
