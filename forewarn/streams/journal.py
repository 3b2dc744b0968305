"""``StateJournal``: the network stage's state as plain dicts, journalled to one compacted topic.

Why not Faust tables: the network stage reads ``alarms.raw`` with its own consumer (see
``network_feed``), outside Faust's stream iteration, where a Faust table cannot be written;
and Faust's table recovery trusts the broker's end offsets, which the embedded broker gets
slightly wrong. The journal keeps every table the stage owns (elements, windows, incidents,
cuts) plus the offset it has processed ``alarms.raw`` up to, as one log:

* key ``["<table>", "<key>"]`` (JSON), value the entry as JSON, or a tombstone on delete;
* key ``["_position", "<topic>/<partition>"]``, value ``{"offset": next offset to read}``.

Writes are held in memory and written by :meth:`StateJournal.commit`, which writes the
position last: whoever reads the log sees a position only after all state that led to it.
:meth:`StateJournal.load` reads the log back to a fence it writes itself, so a restarted or
new owner starts from exactly the last committed state and position.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator, MutableMapping
from typing import Any

from aiokafka.structs import ConsumerRecord

from forewarn.streams.fence import FenceReader

__all__ = ["JournalTable", "StateJournal"]

log = logging.getLogger(__name__)

POSITION = "_position"
_DELETED = object()


class JournalTable(MutableMapping[str, Any]):
    """A dict whose sets and deletes are remembered for the next journal commit."""

    def __init__(self, name: str, pending: dict[tuple[str, str], Any]) -> None:
        self.name = name
        self.data: dict[str, Any] = {}
        self._pending = pending

    def __getitem__(self, key: str) -> Any:
        return self.data[key]

    def get(self, key: str, default: Any = None) -> Any:  # the hot path: no KeyError
        return self.data.get(key, default)

    def __contains__(self, key: object) -> bool:
        return key in self.data

    def __setitem__(self, key: str, value: Any) -> None:
        self.data[key] = value
        self._pending[(self.name, key)] = value

    def __delitem__(self, key: str) -> None:
        del self.data[key]
        self._pending[(self.name, key)] = _DELETED

    def __iter__(self) -> Iterator[str]:
        return iter(self.data)

    def __len__(self) -> int:
        return len(self.data)


class StateJournal:
    """Named ``JournalTable``s and source positions, committed to ``topic`` partition 0."""

    def __init__(self, reader: FenceReader, topic: str) -> None:
        self.reader = reader
        self.topic = topic
        self._pending: dict[tuple[str, str], Any] = {}
        self._tables: dict[str, JournalTable] = {}
        self.positions: dict[str, int] = {}

    def table(self, name: str) -> JournalTable:
        """The table called ``name`` (created empty on first use)."""
        if name == POSITION:
            raise ValueError(f"{POSITION!r} is reserved for source positions")
        return self._tables.setdefault(name, JournalTable(name, self._pending))

    @property
    def dirty(self) -> bool:
        """True when there are writes not yet committed."""
        return bool(self._pending)

    async def load(self) -> int:
        """Replace every table's content and the positions with what the log holds; returns
        the number of records read. Uncommitted writes are dropped."""
        self._pending.clear()
        for table in self._tables.values():
            table.data.clear()
        self.positions.clear()

        def apply(message: ConsumerRecord) -> None:
            try:
                name, key = json.loads(message.key)
            except (TypeError, ValueError):
                log.warning("journal %s: record at offset %d has no [table, key] key; skipped",
                            self.topic, message.offset)
                return
            value = json.loads(message.value) if message.value is not None else None
            if name == POSITION:
                if value is not None:
                    self.positions[key] = int(value["offset"])
                return
            data = self.table(name).data
            if value is None:
                data.pop(key, None)
            else:
                data[key] = value

        count = await self.reader.read(self.topic, 0, apply)
        log.info("journal %s: %d records, %s", self.topic, count,
                 ", ".join(f"{n}={len(t)}" for n, t in sorted(self._tables.items())))
        return count

    async def commit(self, positions: dict[str, int]) -> None:
        """Write every pending change, then ``positions`` (source -> next offset), and wait
        until the broker has them all."""
        producer = await self.reader.producer()
        writes = list(self._pending.items())
        self._pending.clear()
        writes += [((POSITION, source), {"offset": offset}) for source, offset in positions.items()]
        futures = []
        for (name, key), value in writes:
            body = None if value is _DELETED else json.dumps(value, separators=(",", ":")).encode()
            futures.append(await producer.send(self.topic, body, partition=0,
                                               key=json.dumps([name, key]).encode()))
        await asyncio.gather(*futures)
        self.positions.update(positions)
