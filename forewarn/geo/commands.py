"""What the ``impact`` and ``synth`` commands do (CONTRACT §5), minus argument parsing.

The CLI prints the returned dict as JSON on stdout; everything else (warnings about ids
that are not in the region, progress) goes through logging to stderr, so stdout stays the
bare result that scripts consume.
"""

from __future__ import annotations

import logging
from pathlib import Path

from forewarn.geo.index import RegionIndex
from forewarn.geo.region import load_region
from forewarn.geo.synth import write_synthetic_region

__all__ = ["parse_down", "run_impact", "run_synth"]

log = logging.getLogger("forewarn.geo")


def parse_down(down: list[str] | str) -> list[str]:
    """Element ids from ``--down`` values, each of which may be comma-separated."""
    items = [down] if isinstance(down, str) else down
    seen: dict[str, None] = {}
    for item in items:
        for element in item.split(","):
            element = element.strip()
            if element:
                seen.setdefault(element)
    return list(seen)


def run_impact(region: Path, down: list[str]) -> dict[str, dict[str, list[str]]]:
    """``{"outage": {"mobile": [...], "fibre": [...]}}`` for ``down`` elements down now.

    No time rules apply (no confirm delay, no maintenance): this answers "who would be out".
    Ids that name no element of the region are ignored with a warning, because a typo must
    not look like "nobody affected" without a hint. Raises ``RegionError`` for a bad region.
    """
    elements = parse_down(down)
    index = RegionIndex.build(load_region(Path(region)))
    unknown = [e for e in elements if not index.has_element(e)]
    if unknown:
        log.warning("not an element of region %s (ignored): %s", region, ", ".join(unknown))
    return {"outage": index.impact(elements)}


def run_synth(region_dir: Path, customers: int, seed: int) -> None:
    """Write a synthetic region with ``customers`` customers, deterministic for ``seed``."""
    if customers < 1:
        raise ValueError("customers must be at least 1")
    write_synthetic_region(Path(region_dir), customers, seed)
    log.info("wrote a synthetic region with %d customers (seed %d) to %s",
             customers, seed, region_dir)
