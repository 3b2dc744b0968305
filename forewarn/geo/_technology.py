"""Radio technology ranks, for "degraded" service: the best technology is gone, a lower one
remains (e.g. every covering 5G cell down, a 4G cell still up).

Ranks per element: -1 for anything that is not a cell, 0 for a cell whose technology is
empty or unknown (it serves, but we cannot say it is as good as a known one, so it never
counts as a customer's *best* technology unless all their cells are unknown), 1..4 for
2G..5G.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["NOT_A_CELL", "TECHNOLOGIES", "UNKNOWN_TECHNOLOGY", "cell_ranks"]

TECHNOLOGIES: tuple[str, ...] = ("2G", "3G", "4G", "5G")
NOT_A_CELL = -1
UNKNOWN_TECHNOLOGY = 0
_RANK = {t: k + 1 for k, t in enumerate(TECHNOLOGIES)}


def cell_ranks(cells: pd.DataFrame | None, position: dict[str, int], n_elements: int) -> np.ndarray:
    """int8 rank per element position (see the module docstring)."""
    ranks = np.full(n_elements, NOT_A_CELL, dtype=np.int8)
    if cells is None:
        return ranks
    techs = cells["technology"] if "technology" in cells.columns else [None] * len(cells)
    for cell, tech in zip(cells["cell_id"], techs):
        key = str(tech).strip().upper() if tech is not None else ""
        ranks[position[cell]] = max(ranks[position[cell]], _RANK.get(key, UNKNOWN_TECHNOLOGY))
    return ranks
