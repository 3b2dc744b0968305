"""The element graph: every id an alarm may name, its type, its parents and ancestors.

Parents come from two places (CONTRACT §2): a cell is an implicit child of its ``site_id``,
and ``topology`` lists (element, parent) edges. An element may have several parents (a site
fed by a power element and a transport link; a cell listed with an extra parent), so the
graph is a DAG, not a tree; a cycle would make "effectively down" ill-defined and is an
error naming the elements on it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from forewarn.errors import RegionError
from forewarn.geo._csr import Csr, sorted_unique

__all__ = ["ElementGraph", "build_graph"]


@dataclass(frozen=True, eq=False)
class ElementGraph:
    """Elements by position. ``up`` row ``e`` is ``e`` then its ancestors, nearest first;
    ``down`` row ``e`` is ``e`` and all its descendants (sorted)."""

    ids: list[str]
    position: dict[str, int]
    types: list[str]
    up: Csr
    down: Csr

    def positions(self, element_ids: Iterable[str]) -> np.ndarray:
        """Sorted positions of the known ids among ``element_ids``; unknown ids are skipped."""
        if isinstance(element_ids, str):
            element_ids = (element_ids,)
        found = [self.position[e] for e in element_ids if e in self.position]
        return sorted_unique(np.asarray(found, dtype=np.int64))


class _Builder:
    def __init__(self) -> None:
        self.position: dict[str, int] = {}
        self.ids: list[str] = []
        self.derived: list[str] = []
        self.declared: list[str | None] = []
        self.parents: list[list[int]] = []

    def add(self, element_id: str, derived: str | None = None) -> int:
        pos = self.position.get(element_id)
        if pos is None:
            pos = len(self.ids)
            self.position[element_id] = pos
            self.ids.append(element_id)
            self.derived.append("unknown")
            self.declared.append(None)
            self.parents.append([])
        if derived is not None and self.derived[pos] == "unknown":
            self.derived[pos] = derived
        return pos

    def link(self, child: str, parent: str) -> None:
        c, p = self.add(child), self.add(parent)
        if p not in self.parents[c]:
            self.parents[c].append(p)


def build_graph(cells: pd.DataFrame | None, fibre_areas: pd.DataFrame | None,
                topology: pd.DataFrame | None, fibre_node_ids: list[str],
                topology_file: str = "topology.csv") -> ElementGraph:
    """Collect elements from every layer; the topology's ``element_type`` wins when given.

    Derived types: ``cell`` for a cell_id, ``site`` for a site_id, ``fibre_node`` for a
    fibre area's node_id or a customer's explicit ``fibre_node_id``; ``unknown`` otherwise
    (an id named only as someone's parent).
    """
    b = _Builder()
    if cells is not None:
        for cell, site in zip(cells["cell_id"], cells["site_id"]):
            b.add(cell, "cell")
            if site is not None:
                b.add(site, "site")
                b.link(cell, site)
    if fibre_areas is not None:
        for node in fibre_areas["node_id"]:
            b.add(node, "fibre_node")
    for node in fibre_node_ids:
        b.add(node, "fibre_node")
    if topology is not None:
        for element, parent, kind in zip(topology["element_id"], topology["parent_id"],
                                         topology["element_type"]):
            pos = b.add(element)
            if kind is not None:
                b.declared[pos] = kind
            if parent is not None:
                b.link(element, parent)
    _reject_cycles(b, topology_file)
    types = [d if d is not None else v for d, v in zip(b.declared, b.derived)]
    up_lists = [_ancestors(b.parents, e) for e in range(len(b.ids))]
    up = Csr.from_lists(up_lists)
    down = Csr.from_pairs(up.indices, up.expand_rows(), len(b.ids))
    return ElementGraph(ids=b.ids, position=b.position, types=types, up=up, down=down)


def _ancestors(parents: list[list[int]], start: int) -> list[int]:
    """``start`` then every ancestor once, breadth first: nearest first."""
    order = [start]
    seen = {start}
    queue = deque([start])
    while queue:
        for parent in parents[queue.popleft()]:
            if parent not in seen:
                seen.add(parent)
                order.append(parent)
                queue.append(parent)
    return order


def _reject_cycles(b: _Builder, file: str) -> None:
    """Iterative depth-first search; on a back edge, name the cycle's elements in order."""
    state = [0] * len(b.ids)  # 0 new, 1 on the current path, 2 done
    for root in range(len(b.ids)):
        if state[root]:
            continue
        path: list[int] = [root]
        stack: list[int] = [0]  # next parent index to visit, per path entry
        state[root] = 1
        while path:
            node, k = path[-1], stack[-1]
            if k < len(b.parents[node]):
                stack[-1] += 1
                parent = b.parents[node][k]
                if state[parent] == 1:
                    cycle = [*path[path.index(parent):], parent]
                    names = " -> ".join(b.ids[i] for i in cycle)
                    raise RegionError(file, f"cycle in topology (child -> parent): {names}")
                if state[parent] == 0:
                    state[parent] = 1
                    path.append(parent)
                    stack.append(0)
            else:
                state[node] = 2
                path.pop()
                stack.pop()
