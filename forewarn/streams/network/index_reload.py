"""Hot reload of index artifacts in a worker: poll, announce in stream order, swap.

Why through the stream: the swap writes tables (incidents, elements, via re-mapped cuts) and
must fall *between* two records of the network's one ordered stream, so a timer cannot do it
itself. Instead:

1. a timer on every worker calls :meth:`IndexReloader.poll`: when ``DIR/CURRENT`` names a new
   version, it loads it (memory-mapped), points that worker's :class:`LiveIndex` at it (so
   the customer and delivery stages look customers up in it) and returns a control record
   ``{"control": "reload", "version", "at"}`` to send on ``alarms.raw`` partition 0;
2. the network agent reads it in order, and :class:`ReloadingNetworkStage` swaps the
   correlator to the version ``CURRENT`` names *then* (so a stale record from a slow worker
   never swaps back to an older version, and a repeated one is a no-op) and sends the
   resulting changes on ``impacts`` like any other.

Every worker sends the record when it notices the version; all but the first are no-ops.
Pure: no Faust here (``app.py`` wires it).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeGuard

from forewarn.geo import RegionIndex
from forewarn.geo.artifact import IndexWatcher, current_version
from forewarn.streams import records
from forewarn.streams.network.correlation import NetworkCorrelator, NetworkEvent
from forewarn.streams.network.stage import Input, NetworkStage

__all__ = ["RELOAD", "IndexReloader", "LiveIndex", "ReloadingNetworkStage", "is_reload",
           "reload_record"]

log = logging.getLogger(__name__)

RELOAD = "reload"


def reload_record(version: str, at: float) -> dict[str, Any]:
    """The control record a worker sends on ``alarms.raw`` when it sees a new version."""
    return records.IndexReload(version, at).to_wire()


def is_reload(value: Any) -> TypeGuard[dict[str, Any]]:
    """A reload record as it travels on ``alarms.raw`` (not yet decoded)."""
    return records.is_control(value) and value.get("control") == RELOAD


class LiveIndex:
    """The index a worker's customer-side stages use; follows reloads.

    ``customer`` falls back to the previous version, so a customer the new version dropped
    still gets the notices their open episode owes them (resolved, completed). Other
    attributes are the current index's (``len``, queries), so pages and metrics can hold
    this object instead of one version.
    """

    def __init__(self, index: Any, version: str | None = None) -> None:
        self.current = index
        self.previous: Any = None
        self.version = version

    def offer(self, index: Any, version: str | None) -> None:
        """Make ``index`` current (the old one stays as fallback for lookups)."""
        if index is not self.current:
            self.previous, self.current, self.version = self.current, index, version

    def customer(self, customer_id: str) -> Any:
        try:
            return self.current.customer(customer_id)
        except KeyError:
            if self.previous is None:
                raise
            return self.previous.customer(customer_id)

    def timezone_of(self, customer_id: str) -> str:
        """The customer's timezone from the current version (raises KeyError when it does not
        know them): legal clocks need only that, not the whole record."""
        return str(self.current.timezone_of(customer_id))

    def timezones_of(self, customer_ids: Sequence[str]) -> list[str | None]:
        """``timezone_of`` for many (None for a customer the current version does not
        know): an incident's confirmations ask for all of theirs at one instant."""
        return list(self.current.timezones_of(customer_ids))

    def __len__(self) -> int:
        return len(self.current)

    def __getattr__(self, name: str) -> Any:
        if name in ("current", "previous", "version"):  # not set yet (copy, unpickling)
            raise AttributeError(name)
        return getattr(self.current, name)


class IndexReloader:
    """Watches an artifact folder (timer side) and loads the version to swap in (agent side)."""

    def __init__(self, folder: Path, live: LiveIndex | None = None,
                 load: Callable[[Path], RegionIndex] = RegionIndex.load) -> None:
        self.folder = Path(folder)
        self.live = live
        self.load = load  # a worker's maps only the slices of its partitions
        self.watcher = IndexWatcher(self.folder, load)
        self.watcher.version = live.version if live is not None else None
        self.applied: str | None = self.watcher.version  # the version the correlator uses
        self._loaded: dict[str, RegionIndex] = {}

    def poll(self, now: float) -> dict[str, Any] | None:
        """Timer: a reload record to send when ``CURRENT`` changed, else None."""
        index = self.watcher.poll()
        if index is None or self.watcher.version is None:
            return None
        version = self.watcher.version
        self._loaded = {version: index}
        if self.live is not None:
            self.live.offer(index, version)
        log.warning("index version %s published; announcing the reload", version)
        return reload_record(version, now)

    def take(self) -> tuple[str, RegionIndex] | None:
        """Agent: the version ``CURRENT`` names now and its index, unless already applied."""
        version = current_version(self.folder)
        if version is None or version == self.applied:
            return None
        index = self._loaded.get(version)
        if index is None:  # another worker noticed it first
            index = self.load(self.folder / version)
            self._loaded = {version: index}
            self.watcher.version = version
            if self.live is not None:
                self.live.offer(index, version)
        self.applied = version
        return version, index


class ReloadingNetworkStage(NetworkStage):
    """``NetworkStage`` that also performs reloads announced by a reload record.

    Without a reloader (no ``[index] dir``) a reload record is skipped; every other record
    is handled exactly as by ``NetworkStage``.
    """

    def __init__(self, correlator: NetworkCorrelator, partitions: int,
                 reloader: IndexReloader | None = None) -> None:
        super().__init__(correlator, partitions)
        self.reloader = reloader

    def handle(self, value: Input,
               received_at: float | None = None) -> list[tuple[int, dict[str, Any]]]:
        if is_reload(value):
            value = records.decode_raw_control(value)
        if not isinstance(value, records.IndexReload):
            return super().handle(value, received_at)
        if self.reloader is None:
            log.warning("reload record skipped: no [index] dir configured")
            return []
        events: list[NetworkEvent] = []
        at = value.at
        if math.isfinite(at):
            events += self.correlator.advance(at)
        taken = self.reloader.take()
        if taken is not None:
            version, index = taken
            clock = self.correlator.clock
            now = clock if math.isfinite(clock) else time.time()
            events += self.correlator.swap_index(index, now)
            log.warning("index version %s in use by the network stage", version)
        out = self._messages(events)
        return out + self._ticks(out, force=True)
