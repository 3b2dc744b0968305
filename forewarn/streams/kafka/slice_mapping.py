"""A worker's sliced index follows its partition assignment (``slice_plan`` decides).

Why here: the plan is applied from Faust's rebalance signals, and it must be complete before
any stage reads a customer of a newly assigned partition:

* ``NetworkOwnership.on_assigned`` runs :meth:`SliceFollower.follow` in a task (not in
  Faust's rebalance listener, which must return before the worker can rejoin the group)
  and starts the network feed when it is done, so the feed (which needs every slice)
  never runs on a partial index;
* Faust pauses every assigned partition before it sends ``on_partitions_assigned`` and
  resumes them only after ``on_rebalance_complete`` (both paths of its recovery await
  that signal first); :meth:`SliceFollower.barrier` is connected to it and waits for the
  mapping in progress (or does it), so no record of a new partition reaches the customer
  or delivery agent before its slice is mapped;
* on revocation Faust waits for the agents' events in flight before it signals, and a
  slice is dropped only when the next assignment no longer needs it (a partition that
  comes straight back is not read again).

Nothing heavy runs on the event loop: Faust's consumer waits for these callbacks, and a
loop blocked for seconds by them (8 slices of 1.25M customers) cost the worker its group
membership right after it took ``alarms.raw`` (a churn). Reading a slice (0.3-1 s for 1.25M
customers) runs in a thread; putting it in place and dropping one happen on the event loop,
between two of its steps, so lookups never see a half-changed index. What follows a change
(``on_change``: the suspicion test's customers per element, a pass over every mapped slice,
~1 s of CPU per million customers) is derived in a thread too, and only its result is put
in place on the loop. Hot reload (``network.index_reload``) loads a new version through
:meth:`SliceFollower.load_version`: with the slices needed now, and kept in step from then
on like the first one.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import weakref
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from forewarn.geo import RegionIndex
from forewarn.geo.slices import SlicedIndex, is_sliced, load_slices
from forewarn.streams.kafka.slice_plan import SlicePlan, needed_slices
from forewarn.streams.kafka.topics import TopicNames

__all__ = ["Refresh", "SliceFollower"]

log = logging.getLogger(__name__)

#: What follows a change of the mapped slices: called in a thread once the change is in
#: place (the slow half, reading the index), it returns what to run on the event loop to
#: put its result in place (the quick half).
Refresh = Callable[[], Callable[[], None]]


class SliceFollower:
    """Keeps every version of a worker's sliced index mapped to the slices its assignment
    needs; ``mapped`` is what it maps now (the gauge and the log line read it)."""

    def __init__(self, index: SlicedIndex, names: TopicNames, *,
                 on_change: Refresh | None = None) -> None:
        self.names = names
        self.partitions = index.partitions
        self.on_change = on_change  # e.g. the network's served counts, once all are mapped
        self.mapped: tuple[int, ...] = index.loaded
        self._needed: frozenset[int] = frozenset(index.loaded)
        self._targets: list[weakref.ref[SlicedIndex]] = [weakref.ref(index)]
        self._guard = threading.Lock()  # needed + targets, shared with the reload thread
        self._lock = asyncio.Lock()  # one change at a time

    async def follow(self, assigned: Iterable[tuple[str, int]]) -> SlicePlan:
        """Map and unmap so that every version maps what ``assigned`` (this worker's whole
        assignment) needs; returns the change (logged once when there is one)."""
        needed = needed_slices(assigned, self.names, self.partitions)
        async with self._lock:
            with self._guard:
                self._needed = needed
                targets = self._live()
            plan = SlicePlan.between(self.mapped, needed)
            for index in targets:
                await _reconcile(index, needed)
            self.mapped = plan.needed
            if plan.changes:
                log.info("%s", plan.describe())
                if self.on_change is not None:  # the index does not change meanwhile: the
                    apply = await asyncio.to_thread(self.on_change)  # lock is held
                    apply()
            return plan

    async def barrier(self, sender: Any, **_: Any) -> None:
        """``on_rebalance_complete`` receiver: the assigned partitions stay paused until the
        slices of the consumer's current assignment are mapped."""
        await self.follow(sender.consumer.assignment())

    def load_version(self, path: Path) -> RegionIndex:
        """A new index version (reload thread) with the slices needed now, followed from then
        on; a whole-region version loads as it is."""
        from forewarn.geo.artifact import version_dir

        folder = version_dir(Path(path))
        if not is_sliced(folder):
            return RegionIndex.load(folder)
        with self._guard:
            wanted = self._needed
        index = load_slices(folder, wanted)
        while True:
            with self._guard:  # ``follow`` sets the needed set under this guard too
                if self._needed == wanted:
                    self._targets.append(weakref.ref(index))
                    return index
                wanted = self._needed
            for partition in set(index.loaded) - wanted:  # not shared yet: safe here
                index.drop_slice(partition)
            for partition in sorted(wanted - set(index.loaded)):
                index.add_slice(partition)

    def _live(self) -> list[SlicedIndex]:
        live = [index for ref in self._targets if (index := ref()) is not None]
        self._targets = [weakref.ref(index) for index in live]
        return live


async def _reconcile(index: SlicedIndex, needed: frozenset[int]) -> None:
    """Read the missing slices in a thread, then put them in place and drop the others
    on the event loop."""
    plan = SlicePlan.between(index.loaded, needed)
    for partition in plan.add:
        part = await asyncio.to_thread(index.read_slice, partition)
        index.put_slice(partition, part)
    for partition in plan.drop:
        index.drop_slice(partition)
