"""The operator's local time zone: what incident ids and the desk and status pages use.

Why one function: an incident id names the date and minute it began (``INC-20250314-1402-…``)
and an agent reads it beside the page's "since 14:02"; both must speak the same zone. The
zone is the one most of the region's customers live in (CONTRACT §2: each customer's
``timezone``, empty meaning Europe/Berlin), ties broken by name so it is deterministic, and
Europe/Berlin when the index knows no customers' zones. A sliced index answers from its
manifest's count over every partition, so workers holding different slices agree.
"""

from __future__ import annotations

from collections import Counter
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["DEFAULT_ZONE", "operator_zone", "zone_info"]

DEFAULT_ZONE = "Europe/Berlin"  # CONTRACT §2's default customer timezone


def operator_zone(index: Any) -> str:
    """The IANA zone most customers of ``index`` live in; ``DEFAULT_ZONE`` without
    one, or when the most common name is not a zone this machine knows."""
    if hasattr(index, "timezone_counts"):  # any RegionIndex (a sliced one counts every partition)
        counts: dict[str, int] = {str(z): int(n) for z, n in index.timezone_counts().items()}
    else:
        region = getattr(index, "region", None)
        customers = getattr(region, "customers", None)
        if customers is None or "timezone" not in customers:
            return DEFAULT_ZONE
        column = customers["timezone"]
        tally = column.value_counts() if hasattr(column, "value_counts") else Counter(column)
        counts = {str(z): int(n) for z, n in tally.items() if z}
    if not counts:
        return DEFAULT_ZONE
    zone = min(counts.items(), key=lambda item: (-item[1], item[0]))[0]
    try:
        zone_info(zone)
    except (ZoneInfoNotFoundError, ValueError):
        return DEFAULT_ZONE
    return zone


@lru_cache(maxsize=64)
def zone_info(name: str) -> ZoneInfo:
    """``ZoneInfo(name)``, built once per name (incident ids are made per incident)."""
    return ZoneInfo(name)
