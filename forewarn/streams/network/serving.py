"""Which elements serve a customer, and how many customers each element serves.

Customers as sensors (CONTRACT §8): a no-service report counts for *every* element that
serves the reporter (covering cells and their ancestors, serving fibre nodes and theirs),
and the detector's test needs, per element, how many customers it serves (the size of the
population whose background contacts the element sees). The index answers both from its
arrays (``forewarn.geo._serving``), a sliced index per loaded slice.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from forewarn.geo import RegionIndex

__all__ = ["served_counts", "serving_elements"]


def serving_elements(index: RegionIndex, customer_position: int) -> tuple[str, ...]:
    """Every element serving the customer at ``customer_position``: covering cells (mobile)
    and serving fibre nodes, then all their ancestors, each once, in element order (so the
    same customer always gives the same tuple). ``()`` for a customer served by nothing."""
    return index.serving_elements(customer_position)


def served_counts(index: RegionIndex) -> dict[str, int]:
    """Customers served by each element (its dependents: customers attached to it or to any
    element below it), for every element of the index, zeros included."""
    return dict(zip(index.element_ids, index.served_counts().tolist(), strict=True))
