"""Which partition of the customer-keyed topics a customer lives on.

Every customer-keyed topic (``impacts``, ``notifications.outbox``, ``notifications.delivered``)
and the tables behind them use this one function, so a customer's episode state, its
decisions and its deliveries always meet on the same partition and the same worker. It is
crc32, not Python's ``hash``: stable across processes and restarts.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable

import numpy as np

__all__ = ["partition_of", "partitions_of"]


def partition_of(customer_id: str, partitions: int) -> int:
    """The partition that owns ``customer_id``."""
    return zlib.crc32(customer_id.encode("utf-8")) % partitions


def partitions_of(customer_ids: Iterable[str], partitions: int) -> np.ndarray:
    """``partition_of`` for many ids at once (computed once per region at start-up)."""
    return np.fromiter(
        (zlib.crc32(c.encode("utf-8")) % partitions for c in customer_ids), dtype=np.int32
    )
