"""Which elements serve a customer, and how many customers each element serves.

Customers as sensors (CONTRACT §8): a no-service report counts for *every* element that
serves the reporter (covering cells and their ancestors, serving fibre nodes and theirs),
and the detector's test needs, per element, how many customers it serves (the size of the
population whose background contacts the element sees).

Both read the index's CSR arrays directly rather than its id-based methods:
``serving_elements`` runs once per contact, and ``served_counts`` once per index version
over every element, where one ``dependents`` call per element would be a Python loop of
tens of thousands of gathers on a 1M-customer region.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from forewarn.geo import RegionIndex
    from forewarn.geo._csr import Csr

__all__ = ["served_counts", "serving_elements"]

# Customers per chunk in ``served_counts``: bounds the temporary (customer, element) pairs
# to a few tens of MB whatever the region's size.
_CHUNK = 131_072


def serving_elements(index: RegionIndex, customer_position: int) -> tuple[str, ...]:
    """Every element serving the customer at ``customer_position``: covering cells (mobile)
    and serving fibre nodes, then all their ancestors, each once, in element order (so the
    same customer always gives the same tuple). ``()`` for a customer served by nothing."""
    state = index._state
    graph = state.graph
    up = graph.up
    direct = [*state.cover.row(customer_position).tolist(),
              *state.serving.row(customer_position).tolist()]
    if not direct:
        return ()
    seen: set[int] = set()
    for element in direct:
        seen.update(up.indices[up.indptr[element]:up.indptr[element + 1]].tolist())
    ids = graph.ids
    return tuple(ids[e] for e in sorted(seen))


def served_counts(index: RegionIndex) -> dict[str, int]:
    """Customers served by each element (its dependents: customers attached to it or to any
    element below it), for every element of the index, zeros included.

    Vectorised: every customer's attached elements are expanded to themselves and their
    ancestors (the graph's ``up`` rows), the (customer, element) pairs de-duplicated (a
    customer under three cells of one site counts once for the site) and counted per
    element. Customers are processed in chunks so that memory stays bounded.
    """
    state = index._state
    graph = state.graph
    n_elements = len(graph.ids)
    counts = np.zeros(n_elements, dtype=np.int64)
    up_lengths = graph.up.counts()
    n_customers = len(state.customer_ids)
    for start in range(0, n_customers, _CHUNK):
        rows = np.arange(start, min(start + _CHUNK, n_customers), dtype=np.int64)
        customers, elements = _attached_pairs(state.cover.take(rows), state.serving.take(rows))
        if elements.size == 0:
            continue
        # Expand each attached element to its up row (itself, then its ancestors).
        lengths = up_lengths[elements]
        starts = graph.up.indptr[elements]
        offsets = np.arange(int(lengths.sum()), dtype=np.int64)
        offsets -= np.repeat(np.cumsum(lengths) - lengths, lengths)
        served = graph.up.indices[np.repeat(starts, lengths) + offsets]
        owner = np.repeat(customers, lengths)
        keys = np.sort(owner * n_elements + served)  # a sort: numpy's hashing unique is slower
        first = np.ones(keys.size, dtype=bool)
        np.not_equal(keys[1:], keys[:-1], out=first[1:])
        counts += np.bincount(keys[first] % n_elements, minlength=n_elements)
    return dict(zip(graph.ids, counts.tolist()))


def _attached_pairs(cover: Csr, serving: Csr) -> tuple[np.ndarray, np.ndarray]:
    """(chunk-local customer row, element) of every covering cell and serving node."""
    customers = np.concatenate([cover.expand_rows(), serving.expand_rows()])
    elements = np.concatenate([cover.indices, serving.indices]).astype(np.int64)
    return customers, elements
