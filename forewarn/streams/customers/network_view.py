"""Element-level network messages -> this partition's customer impacts (issue 13).

The network stage publishes what changed on elements (down/up, window start/end/announced),
the same to every customer partition, in its one order. Each partition keeps a replica of
the two sets that decide a customer's state (elements down by their own alarms, started
maintenance windows), updated by those messages in order, so every replica agrees with the
network's state at every message. It then runs, for its own customers only, the very
functions the network ran before (``network.transitions``: ``service_states_each``,
``filing``) and builds the same ``impact`` / ``planned`` / ``window_end`` messages the
network sent before (``records.impact_messages``), which the customer stage handles as
always. Same inputs, same functions, same order: same decisions.

The replica survives a restart or a rebalance with the partition: it is kept in ``state``
under ``replica_key(partition)``, written once per ``impacts`` message that changed it. In
production ``state`` is the episode table (``CustomerStage`` binds it): the replica's record
lands in the same changelog partition as the episodes, after the message's episode records,
so a new owner that recovers while the old one is still writing (thrown out of the group
mid-message) never gets a replica ahead of the episodes. With the replica in a table of its
own it could: the repeated message then found its elements already down and the customers
whose episodes had not landed were never opened (never told). A message
seen twice (the network re-sends what follows its last journal offset after a takeover)
changes nothing the second time: a repeated "down" finds the element already down.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from typing import Any

import numpy as np

from forewarn.streams import records
from forewarn.streams.customers.episode_changelog import side_key
from forewarn.streams.network.events import Impact
from forewarn.streams.network.transitions import (
    ImpactMemo,
    Print,
    Sets,
    Toggled,
    planned_hit,
    set_print,
    toggled,
    transitions,
    window_customers,
)

__all__ = ["NetworkView", "replica_key"]

#: Dependents lookups remembered per index version: a worker with several partitions
#: expands the same change once per partition, one after another, from replicas in the same
#: state, so it computes the impact once (``ImpactMemo``) and takes each partition's rows.
DEPENDENTS_CACHE = 64
#: Customer/service rows of the other partitions' shares held at once (``_Shares``; a row
#: is a customer id ``str`` in a list, ~65 bytes: ~33 MB): a partition far behind its
#: siblings finds its share evicted and builds it again (the memo still has the impact).
SHARE_ROWS = 500_000


def replica_key(partition: int) -> str:
    return side_key(partition, "network")


class _Replica:
    __slots__ = ("down", "down_print", "windows")

    def __init__(self, entry: dict[str, Any] | None) -> None:
        entry = entry or {}
        self.down: set[str] = set(entry.get("down", ()))
        self.down_print: Print = set_print(self.down)  # kept up to date with ``down``
        self.windows: dict[str, tuple[str, ...]] = {
            mid: tuple(elements) for mid, elements in entry.get("windows", {}).items()}

    def toggle(self, element: str, down: bool) -> bool:
        """``element`` goes down (or comes back); False when that changes nothing."""
        if (element in self.down) == down:
            return False
        if down:
            self.down.add(element)
        else:
            self.down.discard(element)
        self.down_print = toggled(self.down_print, element, down)
        return True

    def maintenance(self, without: str | None = None) -> set[str]:
        return {e for mid, elements in self.windows.items() if mid != without for e in elements}

    def entry(self) -> dict[str, Any]:
        return {"down": sorted(self.down),
                "windows": {mid: list(e) for mid, e in sorted(self.windows.items())}}


class _Shares:
    """The ``impact`` messages of one element change for each partition of this worker,
    built once for all of them (one ``records.impact_messages`` over the rows of the
    partitions this worker holds, instead of a mask and a build per partition), and handed
    out as each partition gets to the change. Keyed like ``ImpactMemo`` (the change and
    the prints of the sets before and after it), so a partition takes a share only when its
    replica is in the state the share was built from; a share taken is forgotten, and the
    oldest are dropped past ``max_rows`` (a partition that finds none builds its own)."""

    def __init__(self, max_rows: int = SHARE_ROWS) -> None:
        self.max_rows = max_rows
        self._shares: dict[tuple[Any, ...], dict[int, list[records.ImpactMessage]]] = {}
        self._rows: dict[tuple[Any, ...], int] = {}
        self.rows = 0
        self.built = self.taken = 0

    def take(self, key: tuple[Any, ...], partition: int) -> list[records.ImpactMessage] | None:
        """``partition``'s share of the change ``key`` (None: none held for it)."""
        shares = self._shares.get(key)
        if shares is None or partition not in shares:
            return None
        found = shares.pop(partition)
        self.taken += 1
        if not shares:
            self._drop(key)
        return found

    def put(self, key: tuple[Any, ...], shares: dict[int, list[records.ImpactMessage]],
            rows: int) -> None:
        """Hold the other partitions' ``shares`` (``rows``: their customer/service rows)."""
        self._drop(key)
        if not shares or rows > self.max_rows:
            return
        while self._shares and self.rows + rows > self.max_rows:
            self._drop(next(iter(self._shares)))
        self._shares[key], self._rows[key] = shares, rows
        self.rows += rows

    def forget(self, partitions: set[int] | None = None) -> None:
        """Drop the shares of ``partitions`` (all: None), e.g. on revocation."""
        for key in list(self._shares):
            shares = self._shares[key]
            for p in list(shares) if partitions is None else partitions & shares.keys():
                del shares[p]
            if not shares:
                self._drop(key)

    def _drop(self, key: tuple[Any, ...]) -> None:
        if self._shares.pop(key, None) is not None:
            self.rows -= self._rows.pop(key)

    def __len__(self) -> int:
        return len(self._shares)


class NetworkView:
    """Per partition: the replica, and element-level messages turned into the messages the
    customer stage knows. ``index``: the customers' index (a partition's slice or the whole
    index; only this partition's customers are used). ``state``: where the replicas are
    kept; None: the customer stage's episode table (bound by ``CustomerStage``). ``legacy``:
    where replicas were kept before (key ``network:<partition>``), read when ``state`` has
    none, so a worker upgraded during an incident keeps its partitions' down sets."""

    def __init__(self, index: Any, partitions: int,
                 state: MutableMapping[str, Any] | None = None,
                 memo: ImpactMemo | None = None,
                 legacy: Mapping[str, Any] | None = None) -> None:
        self.index = index
        self.memo = memo if memo is not None else ImpactMemo()
        self.partitions = partitions
        self.state: MutableMapping[str, Any] | None = state
        self.legacy = legacy
        self._replicas: dict[int, _Replica] = {}
        self._dirty: set[int] = set()  # replicas changed since their last write
        self._table_ids: Any = None
        self._table = np.zeros(0, dtype=np.int64)
        self._dependents: dict[tuple[str, ...], np.ndarray] = {}
        self.shares = _Shares()  # an element change's messages, built once for all partitions

    def forget(self, partitions: set[int] | None = None) -> None:
        """Drop in-memory replicas (on revocation); they are read back from ``state``."""
        for p in list(self._replicas) if partitions is None else partitions:
            self._replicas.pop(p, None)
            self._dirty.discard(p)
        self.shares.forget(partitions)

    def flush(self, partition: int) -> None:
        """Write ``partition``'s replica if it changed: once per ``impacts`` message (a batch
        of a storm's records changes it thousands of times, each write a copy of the down
        set into the changelog). A message handled again after a crash re-applies changes
        that are already in the replica: nothing changes twice."""
        if partition in self._dirty:
            self._dirty.discard(partition)
            self._state()[replica_key(partition)] = self.replica(partition).entry()

    def replica(self, partition: int) -> _Replica:
        replica = self._replicas.get(partition)
        if replica is None:
            entry = self._state().get(replica_key(partition))
            if entry is None and self.legacy is not None:
                entry = self.legacy.get(f"network:{partition}")
            replica = self._replicas[partition] = _Replica(entry)
        return replica

    def _state(self) -> MutableMapping[str, Any]:
        if self.state is None:
            raise RuntimeError("NetworkView has no state: give it one or a CustomerStage")
        return self.state

    def _partition_table(self) -> np.ndarray:
        """Each position's partition, for the current index version (and the dependents
        remembered for it)."""
        ids = self.index.customer_id_array
        if ids is not self._table_ids:  # once per index version
            self._table = self.index.partition_table(self.partitions)
            self._table_ids = ids
            self._dependents = {}
            self.shares.forget()
        return self._table

    def _own(self, partition: int, elements: list[str]) -> np.ndarray:
        """Positions of this partition's customers that depend on ``elements``."""
        table = self._partition_table()
        positions = self._everyone(elements)
        mine: np.ndarray = positions[table[positions] == partition]
        return mine

    def _everyone(self, elements: list[str]) -> np.ndarray:
        """Positions of every customer of the index that depends on ``elements``."""
        key = tuple(elements)
        positions = self._dependents.get(key)
        if positions is None:
            positions = self.index.dependents(elements)
            if len(self._dependents) >= DEPENDENTS_CACHE:
                del self._dependents[next(iter(self._dependents))]
            self._dependents[key] = positions
        return positions

    def expand(self, partition: int, message: records.NetworkMessage
               ) -> list[records.ImpactsMessage | records.UnknownRecord]:
        """The messages ``message`` means for ``partition``, in order (a tick when nothing
        concerned it and the network passed event time on). A part no decoder knows stays
        in its place as its ``UnknownRecord`` (a dead letter); the other parts go on."""
        replica = self.replica(partition)
        changed = False
        out: list[records.ImpactsMessage | records.UnknownRecord] = []
        for item in message.messages:
            decoded = records.decode_impacts(item)[0]
            match decoded:
                case records.UnknownRecord():
                    out.append(decoded)
                case records.ElementMessage():
                    changed = True
                    out += self._element(partition, replica, decoded, message.ingested_at)
                case records.WindowMessage():
                    changed = True
                    out += self._window(partition, replica, decoded, message.ingested_at)
                case records.AnnouncedMessage():
                    positions = self._own(partition, decoded.elements)
                    customers = planned_hit(self.index, decoded.elements, positions)
                    if customers:
                        out.append(records.PlannedMessage(
                            decoded.at, decoded.maintenance_id, decoded.start, decoded.end,
                            decoded.text, customers, decoded.elements, decoded.announced))
                case records.NetworkMessage() | records.Drain():
                    out.append(records.UnknownRecord(
                        "impacts", f"{item.get('kind') or 'drain'} inside a network message",
                        item))
                case _:
                    out.append(decoded)
        if changed:  # written once per ``impacts`` message (``flush``), not per record
            self._dirty.add(partition)
        # a contact carries its own (possibly older) event time: like the per-customer path,
        # the tick still follows it
        if message.tick is not None and all(
                isinstance(m, records.UnknownRecord | records.ContactMessage) for m in out):
            out.append(records.EventTick(message.tick))
        return out

    def _element(self, partition: int, replica: _Replica, message: records.ElementMessage,
                 ingested_at: float | None) -> list[records.ImpactsMessage]:
        element, was = message.element_id, replica.down_print
        if not replica.toggle(element, message.down):
            return []
        maintenance = replica.maintenance()
        after = replica.down
        # the down set before, only on a miss (a storm's copy per change and partition adds up)
        before = Toggled(after, element)
        m = set_print(maintenance)
        cause = (message.at, message.incident_id, message.cause_element, message.cause_type,
                 None)
        prints = (was, m, replica.down_print, m)
        key = (element, prints, cause)
        self._partition_table()  # a new index version drops the shares built on the old one
        found = self.shares.take(key, partition)
        if found is None:
            found = self._share_out(key, partition, [element], (before, maintenance),
                                    (after, maintenance), cause, prints)
        for impact_message in found:
            impact_message.ingested_at = ingested_at
        return list(found)

    def _share_out(self, key: tuple[Any, ...], partition: int, elements: list[str],
                   before: Sets, after: Sets, cause: tuple[float, str, str, str, str | None],
                   prints: tuple[Print, Print, Print, Print]) -> list[records.ImpactMessage]:
        """``partition``'s messages of an element change; the other partitions this worker
        holds get theirs from the same build (``_Shares``) when they reach the change."""
        table = self._partition_table()
        impact = self.memo.transitions(self.index, tuple(elements),
                                       lambda: self._everyone(elements), before, after, *cause,
                                       prints=prints)
        if impact is None:
            return []
        where = table[impact.positions]
        held = np.fromiter(set(self._replicas) | {partition}, dtype=np.int64)
        rows = np.isin(where, held)
        if not rows.any():
            return []
        mine = Impact(impact.customer_ids, impact.positions[rows], impact.services[rows],
                      impact.states[rows], impact.causes, impact.cause_of[rows])
        shares: dict[int, list[records.ImpactMessage]] = {}
        for p, message in records.impact_messages(mine, where[rows]):
            shares.setdefault(p, []).append(message)
        self.shares.built += 1
        found = shares.pop(partition, [])
        self.shares.put(key, shares, int(rows.sum()) - sum(m.changes() for m in found))
        return found

    def _window(self, partition: int, replica: _Replica, message: records.WindowMessage,
                ingested_at: float | None) -> list[records.ImpactsMessage]:
        mid, elements = message.maintenance_id, message.elements
        positions = self._own(partition, elements)
        down = replica.down
        if message.event == "start":
            before = replica.maintenance(without=mid)
            replica.windows[mid] = tuple(elements)
            impact = transitions(self.index, positions, (down, before),
                                 (down, replica.maintenance()), message.at, message.incident_id,
                                 message.cause_element, message.cause_type, mid)
            return self._impacts(partition, impact, ingested_at)
        replica.windows.pop(mid, None)
        after = replica.maintenance()
        inside = after | set(elements)
        impact = transitions(self.index, positions, (down, inside), (down, after), message.at,
                             message.incident_id, message.cause_element, message.cause_type,
                             mid)
        out = self._impacts(partition, impact, ingested_at)
        customers = window_customers(self.index, positions, down, inside)
        if customers:
            out.append(records.WindowEndMessage(message.at, mid, customers))
        return out

    def _impacts(self, partition: int, impact: Any,
                 ingested_at: float | None) -> list[records.ImpactsMessage]:
        if impact is None:
            return []
        where = np.full(len(impact), partition, dtype=np.int64)
        found: list[records.ImpactsMessage] = []
        for _, message in records.impact_messages(impact, where):
            message.ingested_at = ingested_at
            found.append(message)
        return found
