"""The episode table, changelogged in batches: one record per ≤500 customers a message touched.

Why: a Faust table changelogs every ``table[key] = value`` as its own Kafka record, and each
costs ~50-70 µs of Faust and aiokafka machinery (serialise through the codec registry,
buffer, send). One incident that takes 200,000 customers out wrote 200,000 records when their
episodes opened and 200,000 more when they were confirmed, ~30 s of one core, while the
issue-7 target gives the whole fan-out 10 s.

How: :class:`JournaledEpisodes` is the mapping the :class:`EpisodeTracker` works on. It keeps
the per-customer layout readers rely on (``episodes.get(customer_id)`` on the desk, the
tracker's own reads) by writing each entry straight into the table's *local store* (no
changelog record), and it records what changed in the changelog as *journal records*, one
per chunk of ``JOURNAL_CHUNK`` customers, written by :meth:`flush` at the end of each
``impacts`` message::

    key   "\\x00episodes:<partition>:<seq>"
    value {"seq": 17, "items": {customer_id: entry | null}}      # null: entry deleted

``seq`` grows per partition, and each owner writes in a range of its own: a load starts
its range (a multiple of ``SEQ_RANGE``) above every record it found. Why: a former owner that
was thrown out of the group in the middle of its work still writes for a while (its records
land after the new owner recovered); with one counter both would write ``<seq>`` keys with
the same numbers, and whichever landed last would erase the other's changes from the next
recovery (customers opened by the new owner gone: never told). In its own range, the new
owner's records never share a key with the former's and replay after them. A former owner
none of whose records had landed yet chose its range from the same records, so the range
is drawn among the next ``RANGE_JITTER``: the two share one (and keys) with a chance of one
in ``RANGE_JITTER``; a former owner's range drawn above lets its records (older versions
of the entries it wrote) replay after the new owner's, as any of its records could before.
Fencing a former owner's writes for good would need the group's generation (not done).

After a table recovery the store holds the journal records (and, from before this format,
plain per-customer records); :meth:`load` replays the
partition's records in ``seq`` order into the store (the newest version of each customer
wins), before the tracker rebuilds its timers from the entries as before.

Compaction: records whose customers were all re-written later are dead weight. When the
live records of a partition name more than ``2 x`` its live customers (+ 10,000), all its
live entries are written into fresh records and the old ones are deleted (tombstones, so
Kafka's log compaction drops them). Amortised that is one extra entry written per entry
written.

Legacy: per-customer records from before this format are migrated on the partition's first
:meth:`load` (journalled, their own keys tombstoned, a marker record written); with the
marker present, a per-customer key in the store that the journal does not account for is a
stale local copy (e.g. left over from before a rebalance) and is dropped.

Crash semantics are those of any Faust table (at least once): a message's journal records are
sent before its offset is committed; a message replayed after a crash re-applies the same
changes (the tracker is deterministic and delivery is idempotent on ``notification_id``).

No Faust imports: the table is duck-typed (a ``MutableMapping`` whose ``data`` attribute is
its local store); a plain dict (tests) is used without this wrapper.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, MutableMapping
from typing import Any

__all__ = ["JOURNAL_CHUNK", "SEQ_RANGE", "JournaledEpisodes", "is_journal_key", "side_key",
           "supports_journal"]

JOURNAL_CHUNK = 500  # customers per journal record: ~150-250 KB, well under Kafka's 1 MB
_PREFIX = "\x00episodes:"
_META = "meta"
_COMPACT_FACTOR = 2
_COMPACT_SLACK = 10_000
_FORMAT = 2
#: Records one owner writes per load before its range would reach the next one's (never:
#: that is years of one record per message). Ranges are drawn ~512 apart on average, so
#: ``seq`` stays below 2**64 (orjson's bound) for ~8 million loads of a partition.
SEQ_RANGE = 2**32
RANGE_JITTER = 1024


def is_journal_key(key: Any) -> bool:
    return isinstance(key, str) and key.startswith(_PREFIX)


def supports_journal(table: Any) -> bool:
    """Is ``table`` a changelogged table with a local store (a Faust table), not a dict?"""
    return (not isinstance(table, dict) and getattr(table, "data", None) is not None
            and hasattr(table, "send_changelog"))


def _key(partition: int, seq: int | str) -> str:
    return f"{_PREFIX}{partition}:{seq}"


def side_key(partition: int, name: str) -> str:
    """The key of ``partition``'s own record ``name`` beside its journal (the network
    replica): in the same changelog partition, hidden from the customer keys, never
    replayed as a journal record."""
    if name.isdigit() or name == _META:
        raise ValueError(f"{name!r} is a journal record's name")
    return _key(partition, name)


def _partition_of_key(key: str) -> int:
    return int(key[len(_PREFIX):].split(":", 1)[0])


class _Partition:
    __slots__ = ("live", "records", "seq", "written")

    def __init__(self) -> None:
        self.seq = 0
        self.records: list[str] = []  # live journal record keys, oldest first
        self.written = 0  # customers named by the live records
        self.live: set[str] = set()  # customers with an entry


class JournaledEpisodes(MutableMapping[str, dict[str, Any]]):
    """Per-customer episode entries over a changelogged table, journalled in batches.

    ``partition_of(customer_id)`` names a customer's partition. Work on one partition at a
    time: :meth:`load` it (once after an assignment), change entries, :meth:`flush` it.
    """

    def __init__(self, table: MutableMapping[Any, Any],
                 partition_of: Callable[[str], int], chunk: int = JOURNAL_CHUNK,
                 rng: random.Random | None = None) -> None:
        self.table = table
        self.store: MutableMapping[str, dict[str, Any]] = table.data  # type: ignore[attr-defined]
        inner = getattr(self.store, "data", None)
        if type(inner) is dict:  # Faust's memory store is a proxy to a dict: use the dict
            self.store = inner   # (a fan-out reads and writes it ~800,000 times)
        self.partition_of = partition_of
        self.chunk = chunk
        self._rng = rng or random.Random()  # draws this owner's range of ``seq`` (``load``)
        self._parts: dict[int, _Partition] = {}
        self._dirty: dict[str, dict[str, Any] | None] = {}
        self.records_written = 0  # journal records sent (metrics, benchmarks)

    # ------------------------------------------------------------------ mapping

    def __getitem__(self, key: str) -> dict[str, Any]:
        return self.store[key]

    def get(self, key: str, default: Any = None) -> Any:
        try:
            return self.store[key]
        except KeyError:
            return default

    def __contains__(self, key: object) -> bool:
        return key in self.store

    def __setitem__(self, key: str, value: dict[str, Any]) -> None:
        self.store[key] = value
        self._dirty[key] = value

    def set_derived(self, key: str, value: dict[str, Any]) -> None:
        """Set an entry locally without journalling it: for transitions the journalled
        state implies (an episode's confirmation, re-fired identically after a recovery;
        see ``EpisodeBook.store_derived``). The next journalled change of the customer
        carries it along."""
        self.store[key] = value

    def __delitem__(self, key: str) -> None:
        del self.store[key]
        self._dirty[key] = None

    def __iter__(self) -> Iterator[str]:
        return (k for k in list(self.store.keys()) if not is_journal_key(k))

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def items(self) -> Any:  # customers and entries (journal records hidden)
        return [(k, v) for k, v in list(self.store.items()) if not is_journal_key(k)]

    # ------------------------------------------------------------------ partitions

    def loaded(self, partition: int) -> bool:
        return partition in self._parts

    def forget(self, partitions: set[int] | None = None) -> None:
        """Drop the bookkeeping of ``partitions`` (all: None); :meth:`load` rebuilds it."""
        for p in list(self._parts) if partitions is None else partitions:
            self._parts.pop(p, None)

    def load(self, partition: int) -> None:
        """Replay ``partition``'s journal into the store (after recovery or assignment)."""
        part, latest, customers, meta = self._scan(partition)
        self._parts[partition] = part
        legacy: dict[str, dict[str, Any]] = {}
        for customer_id in customers:
            if customer_id in latest:
                continue
            if meta:  # a local copy the journal does not vouch for
                self.store.pop(customer_id, None)
            else:
                legacy[customer_id] = self.store[customer_id]
        for customer_id, entry in latest.items():
            if entry is None:
                self.store.pop(customer_id, None)
            else:
                self.store[customer_id] = entry
                part.live.add(customer_id)
        if not meta:
            for customer_id, entry in legacy.items():
                del self.table[customer_id]  # tombstone the per-customer record
                self[customer_id] = entry  # ... and journal it
            self.flush(partition)
            self.table[_key(partition, _META)] = {"format": _FORMAT}

    def _scan(self, partition: int) -> tuple[_Partition, dict[str, Any], list[str], bool]:
        """The partition's journal (bookkeeping, newest entry per customer), its other keys
        in the store, and whether its format marker is there."""
        part = _Partition()
        records: list[tuple[int, str, dict[str, Any]]] = []
        meta = False
        customers: list[str] = []
        meta_key = _key(partition, _META)
        for key in list(self.store.keys()):
            if is_journal_key(key):
                if key == meta_key:
                    meta = True
                elif _partition_of_key(key) == partition and key.rsplit(":", 1)[1].isdigit():
                    value = self.store.get(key)
                    if value:
                        records.append((int(value["seq"]), key, value["items"]))
            elif self.partition_of(key) == partition:
                customers.append(key)
        records.sort(key=lambda r: r[0])
        latest: dict[str, Any] = {}
        for seq, key, items in records:
            latest.update(items)
            part.seq = seq
            part.records.append(key)
            part.written += len(items)
        part.seq = (part.seq // SEQ_RANGE + self._rng.randint(1, RANGE_JITTER)) * SEQ_RANGE
        return part, latest, customers, meta

    # ------------------------------------------------------------------ writing

    def flush(self, partition: int) -> int:
        """Journal what changed since the last flush (all of it in ``partition``); records
        written."""
        dirty, self._dirty = self._dirty, {}
        if not dirty:
            return 0
        part = self._parts.get(partition)
        if part is None:  # not loaded (callers load first): learn seq, keep the store as is
            part, latest, _, _ = self._scan(partition)
            part.live.update(c for c, e in latest.items() if e is not None)
            self._parts[partition] = part
        for customer_id, entry in dirty.items():
            if entry is None:
                part.live.discard(customer_id)
            else:
                part.live.add(customer_id)
        written = self._write(partition, part, dirty)
        if part.written > _COMPACT_FACTOR * len(part.live) + _COMPACT_SLACK:
            written += self.compact(partition)
        return written

    def compact(self, partition: int) -> int:
        """Re-journal ``partition``'s live entries in fresh records, delete the old ones."""
        part = self._parts[partition]
        old = part.records
        part.records, part.written = [], 0
        live: dict[str, dict[str, Any] | None] = {c: self.store[c] for c in sorted(part.live)}
        written = self._write(partition, part, live)
        for key in old:
            del self.table[key]
        return written

    def _write(self, partition: int, part: _Partition,
               items: dict[str, dict[str, Any] | None]) -> int:
        ordered = list(items.items())
        count = 0
        for start in range(0, len(ordered), self.chunk):
            chunk = dict(ordered[start:start + self.chunk])
            part.seq += 1
            key = _key(partition, part.seq)
            self.table[key] = {"seq": part.seq, "items": chunk}
            part.records.append(key)
            part.written += len(chunk)
            count += 1
        self.records_written += count
        return count
