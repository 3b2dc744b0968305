"""Which index slices a worker maps for its partition assignment (pure: no Kafka client).

Why: a sliced index (``forewarn index build --partitions P``) holds one slice per customer
partition; a worker needs only the slices of the customer partitions it owns, so memory per
worker falls as workers are added (issue 13). ``impacts`` and ``notifications.outbox`` use
the same partition function (co-partitioned), so either names the slice.

The worker that owns ``alarms.raw`` partition 0 runs the network stage, which sends
element-level changes but still counts every customer's changes for its incident lifecycle
and board (docs/architecture.md, "Share the small thing"): it needs every slice. That rule
lives in ``needed_slices`` alone, so it changes in one place once those counts come from
the customer partitions.

``SlicePlan.between`` turns (mapped now, needed) into what to add and drop; the wiring
(``slice_mapping``) applies it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from forewarn.streams.kafka.topics import TopicNames

__all__ = ["SlicePlan", "needed_slices"]


def needed_slices(assigned: Iterable[tuple[str, int]], names: TopicNames,
                  partitions: int) -> frozenset[int]:
    """The slices a worker assigned the ``(topic, partition)`` pairs ``assigned`` must map.

    Its ``impacts`` and ``notifications.outbox`` partitions; every one of the ``partitions``
    while it owns ``alarms.raw`` partition 0 (the network stage counts every customer)."""
    assigned = set(assigned)
    if (names.alarms_raw, 0) in assigned:
        return frozenset(range(partitions))
    customer_topics = {names.impacts, names.outbox}
    return frozenset(p for topic, p in assigned
                     if topic in customer_topics and 0 <= p < partitions)


@dataclass(frozen=True, slots=True)
class SlicePlan:
    """The slices to map (``add``) and unmap (``drop``) to go from ``mapped`` to
    ``needed``, each ascending."""

    needed: tuple[int, ...]
    add: tuple[int, ...]
    drop: tuple[int, ...]

    @classmethod
    def between(cls, mapped: Iterable[int], needed: Iterable[int]) -> SlicePlan:
        have, want = set(mapped), set(needed)
        return cls(tuple(sorted(want)), tuple(sorted(want - have)), tuple(sorted(have - want)))

    @property
    def changes(self) -> bool:
        """Whether anything is mapped or unmapped."""
        return bool(self.add or self.drop)

    def describe(self) -> str:
        """The worker's log line for this change."""
        return (f"index slices mapped: {list(self.needed)} "
                f"(added {list(self.add)}, dropped {list(self.drop)})")
