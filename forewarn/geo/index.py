"""``RegionIndex``: who is out when these elements are down, as array lookups.

Built once per region (``RegionIndex.build``); afterwards every question the stream
processor asks — which customers depend on this element, who is out given the elements
that are down — is a gather over numpy CSR arrays, never a spatial query or a Python loop
per customer. Semantics are CONTRACT §4:

* an element is *effectively down* when it or any ancestor (topology; cell -> site) is down;
* a mobile customer is out when they are inside at least one cell and every covering cell
  is effectively down (no covering cell: never out);
* a fibre customer is out when their serving node is effectively down: ``fibre_node_id``
  when given (even outside that node's area, even for a node without polygon), else the
  node(s) of the fibre area(s) containing them; in several areas (a data error, counted in
  ``notes``) they are out when any of those nodes is.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable

import numpy as np
import pyproj

from forewarn.domain import SERVICES, Customer
from forewarn.geo._coverage import points_in_polygons, resolve_crs
from forewarn.geo._csr import Csr, sorted_unique
from forewarn.geo._graph import ElementGraph, build_graph
from forewarn.geo.region import Region

__all__ = ["RegionIndex"]

log = logging.getLogger("forewarn.geo")
_CUSTOMER_FIELDS = ("services", "language", "channels", "phone", "email", "push_token",
                    "priority", "timezone")


class RegionIndex:
    """Arrays answering impact questions for one region; immutable after ``build``.

    Customers are addressed by *position* (``customer_ids[p]``), the form in which large
    sets travel cheaply between stages; ids are converted only at the edges.
    """

    def __init__(self, region: Region, graph: ElementGraph, cover: Csr, serving: Csr,
                 notes: tuple[str, ...]) -> None:
        customers = region.customers
        self.region = region
        self.customer_ids: list[str] = [str(c) for c in customers["customer_id"]]
        self.notes = notes
        self._graph = graph
        self._cover = cover  # customer -> covering cells (mobile customers only)
        self._serving = serving  # customer -> serving fibre nodes (fibre customers only)
        self._rows = {name: customers[name].to_numpy(dtype=object) for name in _CUSTOMER_FIELDS}
        self._mobile, self._fibre = _service_masks(region)
        self._lookup = {cid: p for p, cid in enumerate(self.customer_ids)}
        self._sorted = np.argsort(np.asarray(self.customer_ids, dtype=object), kind="stable")
        # Element -> customers attached to it directly (as covering cell or serving node);
        # ancestors are resolved per query through the graph's descendants, which keeps
        # this table as small as the joins themselves.
        self._attached = Csr.from_pairs(
            np.concatenate([cover.indices, serving.indices]),
            np.concatenate([cover.expand_rows(), serving.expand_rows()]),
            len(graph.ids), unique=False,
        )

    @classmethod
    def build(cls, region: Region, *, crs: pyproj.CRS | str | None = None) -> RegionIndex:
        """Join customers to cells and fibre areas and resolve the topology.

        ``crs``: None joins in each layer's own CRS (exact for the file's geometry, see
        ``_coverage``); ``"utm"`` or any CRS joins in that metric CRS instead.
        Raises ``RegionError`` when the topology has a cycle.
        """
        customers = region.customers
        n = len(customers)
        has_mobile, has_fibre = _service_masks(region)
        mobile, fibre = np.flatnonzero(has_mobile), np.flatnonzero(has_fibre)
        explicit = customers["fibre_node_id"].to_numpy(dtype=object)
        explicit_ids = sorted({e for e in explicit[fibre] if e is not None})
        graph = build_graph(region.cells, region.fibre_areas, region.topology, explicit_ids,
                            region.files.get("topology", "topology.csv"))
        join_crs = resolve_crs(crs, customers.geometry)
        notes: list[tuple[int, str]] = [
            (logging.INFO, f"{file}: repaired {k} invalid geometries")
            for file, k in region.repaired.items()]

        cover = Csr.from_pairs(np.zeros(0), np.zeros(0), n)
        if region.cells is not None:
            pts, cells = points_in_polygons(customers.geometry.iloc[mobile],
                                            region.cells.geometry, join_crs)
            cell_pos = np.asarray([graph.position[c] for c in region.cells["cell_id"]])
            cover = Csr.from_pairs(mobile[pts], cell_pos[cells], n)
        uncovered = int(np.count_nonzero(cover.counts()[mobile] == 0))
        if uncovered:
            notes.append((logging.INFO, f"{uncovered} mobile customers are covered by no cell"))

        serving, fibre_notes = _serving_nodes(region, graph, fibre, explicit, join_crs)
        notes.extend(fibre_notes)
        for level, note in notes:
            log.log(level, "region %s: %s", region.path, note)
        return cls(region, graph, cover, serving, tuple(note for _, note in notes))

    # -- customers ---------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.customer_ids)

    def position(self, customer_id: str) -> int:
        """Position of ``customer_id`` (KeyError when the region has no such customer)."""
        return self._lookup[customer_id]

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

    def covering_cells(self, customer_id: str) -> tuple[str, ...]:
        """Cells covering a mobile customer's location (empty for fibre-only customers)."""
        return tuple(self._graph.ids[e] for e in self._cover.row(self.position(customer_id)))

    def serving_nodes(self, customer_id: str) -> tuple[str, ...]:
        """Fibre nodes serving a fibre customer (usually one; empty when none is known)."""
        return tuple(self._graph.ids[e] for e in self._serving.row(self.position(customer_id)))

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

    def root_cause(self, element_id: str, down: Collection[str]) -> str:
        """The farthest ancestor-or-self of ``element_id`` that is in ``down``, else itself.

        Why farthest: when a power element and the site below it are both down, customers
        are told about the power failure, which explains both.
        """
        for candidate in reversed((element_id, *self.ancestors(element_id))):
            if candidate in down:
                return candidate
        return element_id

    # -- impact ------------------------------------------------------------------------

    def dependents(self, element_ids: Iterable[str]) -> np.ndarray:
        """Sorted unique positions of customers whose mobile or fibre status depends on any
        of ``element_ids`` (a covering cell or serving node, or an ancestor of one): the
        only customers whose status an alarm on those elements can change."""
        positions = self._graph.positions(element_ids)
        if positions.size == 0:
            return np.zeros(0, dtype=np.int64)
        below = sorted_unique(self._graph.down.take(positions).indices)
        return sorted_unique(self._attached.take(below).indices)

    def effectively_down(self, down: Collection[str]) -> np.ndarray:
        """Boolean per element: it or an ancestor is in ``down`` (unknown ids ignored)."""
        own = np.zeros(len(self._graph.ids), dtype=bool)
        own[self._graph.positions(down)] = True
        return self._graph.up.any_rows(own)

    def outages(self, down: Collection[str],
                positions: np.ndarray | None = None) -> dict[str, np.ndarray]:
        """``{"mobile": bool[], "fibre": bool[]}`` aligned with ``positions`` (all customers
        when None): is the customer out, given the elements whose *own* state is down?"""
        eff = self.effectively_down(down)
        if positions is None:
            cover, serving = self._cover, self._serving
            mobile, fibre = self._mobile, self._fibre
        else:
            positions = np.asarray(positions, dtype=np.int64)
            cover, serving = self._cover.take(positions), self._serving.take(positions)
            mobile, fibre = self._mobile[positions], self._fibre[positions]
        return {
            "mobile": mobile & cover.all_rows(eff),
            "fibre": fibre & serving.any_rows(eff),
        }

    def impact(self, down: Collection[str]) -> dict[str, list[str]]:
        """``{"mobile": ids, "fibre": ids}`` of customers out, ids in plain string order."""
        out = self.outages(down)
        ids = self.customer_ids
        return {
            service: [ids[p] for p in self._sorted[mask[self._sorted]]]
            for service, mask in out.items()
        }


def _service_masks(region: Region) -> tuple[np.ndarray, np.ndarray]:
    """Boolean masks of mobile and fibre customers (``services`` is canonical text)."""
    services = region.customers["services"]
    mobile = services.isin(["mobile", "mobile;fibre"]).to_numpy(dtype=bool)
    fibre = services.isin(["fibre", "mobile;fibre"]).to_numpy(dtype=bool)
    return mobile, fibre


def _serving_nodes(region: Region, graph: ElementGraph, fibre: np.ndarray,
                   explicit: np.ndarray,
                   crs: pyproj.CRS | None) -> tuple[Csr, list[tuple[int, str]]]:
    """Customer -> serving fibre nodes: explicit ``fibre_node_id`` wins over geography.

    Data problems come back as (log level, note): a customer in two fibre areas or a
    ``fibre_node_id`` nothing else names is a warning, being outside all areas is not.
    """
    n = len(region.customers)
    notes: list[tuple[int, str]] = []
    has_explicit = np.fromiter((e is not None for e in explicit[fibre]), dtype=bool,
                               count=len(fibre))
    rows = [fibre[has_explicit]]
    cols = [np.asarray([graph.position[e] for e in explicit[fibre[has_explicit]]],
                       dtype=np.int64)]
    known = set(region.fibre_areas["node_id"]) if region.fibre_areas is not None else set()
    if region.topology is not None:
        known |= set(region.topology["element_id"])
    unknown = sorted({e for e in explicit[fibre[has_explicit]] if e not in known})
    if unknown:
        text = (f"{len(unknown)} fibre_node_id values name no fibre area or topology "
                f"element (e.g. {unknown[0]})")
        notes.append((logging.WARNING, text))
    if region.fibre_areas is not None:
        geographic = fibre[~has_explicit]
        pts, areas = points_in_polygons(region.customers.geometry.iloc[geographic],
                                        region.fibre_areas.geometry, crs)
        node_pos = np.asarray([graph.position[e] for e in region.fibre_areas["node_id"]])
        rows.append(geographic[pts])
        cols.append(node_pos[areas])
    serving = Csr.from_pairs(np.concatenate(rows), np.concatenate(cols), n)
    counts = serving.counts()[fibre]
    several = int(np.count_nonzero(counts > 1))
    if several:
        notes.append((logging.WARNING,
                      f"{several} fibre customers lie in more than one fibre area"))
    without = int(np.count_nonzero(counts == 0))
    if without:
        notes.append((logging.INFO, f"{without} fibre customers have no serving fibre node"))
    return serving, notes
