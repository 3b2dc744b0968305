"""Which partition of the customer-keyed topics a customer lives on.

Every customer-keyed topic (``impacts``, ``notifications.outbox``, ``notifications.delivered``)
and the tables behind them use this one function, so a customer's episode state, its
decisions and its deliveries always meet on the same partition and the same worker. It is
Kafka's default partitioner (murmur2 of the key's UTF-8 bytes), so Faust's table routing and
any Kafka client keyed by customer id agree with it; aiokafka's implementation is used so the
two can never drift apart.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from aiokafka.partitioner import murmur2

__all__ = ["partition_of", "partitions_of"]


def partition_of(customer_id: str, partitions: int) -> int:
    """The partition that owns ``customer_id`` (same as Kafka's default partitioner)."""
    return (murmur2(customer_id.encode("utf-8")) & 0x7FFFFFFF) % partitions


def partitions_of(customer_ids: Iterable[str], partitions: int) -> np.ndarray:
    """``partition_of`` for many ids at once."""
    return np.fromiter((partition_of(c, partitions) for c in customer_ids), dtype=np.int32)
