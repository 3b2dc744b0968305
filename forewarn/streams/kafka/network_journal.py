"""``StateJournal``: the network stage's state as plain dicts, journalled to one compacted topic.

Why not Faust tables: the network stage reads ``alarms.raw`` with its own consumer (see
``network_feed``), outside Faust's stream iteration, where a Faust table cannot be written;
and Faust's table recovery trusts the broker's end offsets, which the embedded broker gets
slightly wrong. The journal keeps every table the stage owns (elements, windows, incidents,
cuts) plus the offset it has processed ``alarms.raw`` up to, as one log:

* key ``["<table>", "<key>"]`` (JSON), value the entry as JSON, or a tombstone on delete;
* key ``["_position", "<topic>/<partition>"]``, value ``{"offset": next offset to read}``.

Chunks (issue 16, finding 2): an entry whose JSON exceeds ``CHUNK_BYTES`` would exceed the
broker's message limit (1 MB by default) and used to crash the stage. It is written as parts
``["<table>", "<key>", "<tag>", i]`` (raw slices of the JSON) followed by a head under the
entry's usual key, ``{"__journal_chunks__": {"tag": tag, "parts": n}}``. The tag is a digest
of the JSON, so parts of different versions never share a key (compaction cannot mix them),
and a head is written only after its parts. Parts of a version that is replaced are
tombstoned after the new head. A head whose parts are missing is logged and its entry left
out. Records written before chunks existed (two-element keys, plain values) load as before.

A record the broker still refuses (``MessageSizeTooLargeError`` and kin: a huge key, a
broker with a smaller limit) is not fatal: the entry stays in memory, is sent to
``dead_letter_topic`` with the reason, and every other write of the commit goes on. After a
restart that entry is as last journalled.

Writes are held in memory and written by :meth:`StateJournal.commit`, which writes the
position last: whoever reads the log sees a position only after all state that led to it.
:meth:`StateJournal.load` reads the log back to a fence it writes itself, so a restarted or
new owner starts from exactly the last committed state and position.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections.abc import Iterator, MutableMapping
from typing import Any

from aiokafka.errors import MessageSizeTooLargeError, RecordListTooLargeError, RecordTooLargeError
from aiokafka.structs import ConsumerRecord

from forewarn.streams.kafka.fence import FenceReader
from forewarn.streams.kafka.letter_count import LetterCount

__all__ = ["CHUNK_BYTES", "JournalTable", "StateJournal", "encode_entry"]

log = logging.getLogger(__name__)

POSITION = "_position"
CHUNKS = "__journal_chunks__"
#: Largest journal value written in one record: well below Kafka's default 1 MB
#: ``message.max.bytes`` and aiokafka's ``max_request_size``, with room for key and headers.
CHUNK_BYTES = 512 * 1024
_DELETED = object()
_TOO_LARGE = (MessageSizeTooLargeError, RecordListTooLargeError, RecordTooLargeError)

Chunking = tuple[str, int]  # (tag, parts) of an entry written in parts
Write = tuple[bytes, bytes | None]  # (key, value or tombstone)


def encode_entry(name: str, key: str, value: Any, previous: Chunking | None,
                 chunk_bytes: int = CHUNK_BYTES) -> tuple[list[Write], Chunking | None]:
    """The records that journal ``table[key] = value`` (``value`` None: deleted), in the
    order they must be written, and the entry's chunking afterwards. ``previous`` is its
    chunking before (its parts are tombstoned unless the same version is written again)."""
    head_key = json.dumps([name, key]).encode()
    writes: list[Write] = []
    chunking: Chunking | None = None
    if value is None:
        writes.append((head_key, None))
    else:
        body = json.dumps(value, separators=(",", ":")).encode()
        if len(body) <= chunk_bytes:
            writes.append((head_key, body))
        else:
            tag = hashlib.sha256(body).hexdigest()[:16]
            parts = [body[i:i + chunk_bytes] for i in range(0, len(body), chunk_bytes)]
            chunking = (tag, len(parts))
            writes += [(_part_key(name, key, tag, i), part) for i, part in enumerate(parts)]
            writes.append((head_key, json.dumps({CHUNKS: {"tag": tag, "parts": len(parts)}})
                           .encode()))
    if previous is not None and previous != chunking:
        old_tag, old_parts = previous
        writes += [(_part_key(name, key, old_tag, i), None) for i in range(old_parts)]
    return writes, chunking


def _part_key(name: str, key: str, tag: str, i: int) -> bytes:
    return json.dumps([name, key, tag, i]).encode()


class _Loader:
    """Reads journal records back into tables, positions and chunkings (see the module
    docstring); :meth:`finish` joins chunked entries once the whole log is read."""

    def __init__(self, journal: StateJournal) -> None:
        self.journal = journal
        self.parts: dict[tuple[str, str, str], dict[int, bytes]] = {}

    def apply(self, key_bytes: bytes | None, value_bytes: bytes | None, offset: int) -> None:
        journal = self.journal
        try:
            key = json.loads(key_bytes) if key_bytes is not None else None
        except (TypeError, ValueError):
            key = None
        if isinstance(key, list) and len(key) == 4:
            name, entry, tag, i = key
            parts = self.parts.setdefault((name, entry, tag), {})
            if value_bytes is None:
                parts.pop(int(i), None)
            else:
                parts[int(i)] = value_bytes
            return
        if not (isinstance(key, list) and len(key) == 2):
            log.warning("journal %s: record at offset %d has no [table, key] key; skipped",
                        journal.topic, offset)
            return
        name, entry = key
        value = json.loads(value_bytes) if value_bytes is not None else None
        if name == POSITION:
            if value is not None:
                journal.positions[entry] = int(value["offset"])
            return
        data = journal.table(name).data
        journal.chunks.pop((name, entry), None)
        if value is None:
            data.pop(entry, None)
        else:
            data[entry] = value
            head = value.get(CHUNKS) if isinstance(value, dict) else None
            if isinstance(head, dict):
                journal.chunks[(name, entry)] = (str(head["tag"]), int(head["parts"]))

    def finish(self) -> None:
        """Replace every chunk head by the entry its parts spell."""
        journal = self.journal
        for (name, entry), (tag, count) in list(journal.chunks.items()):
            parts = self.parts.get((name, entry, tag), {})
            data = journal.table(name).data
            if len(parts) < count or any(i not in parts for i in range(count)):
                log.error("journal %s: %s/%s is missing parts of its record (%d of %d); "
                          "left out", journal.topic, name, entry, len(parts), count)
                data.pop(entry, None)
                continue
            data[entry] = json.loads(b"".join(parts[i] for i in range(count)))


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

    def __init__(self, reader: FenceReader, topic: str, *, dead_letter_topic: str | None = None,
                 chunk_bytes: int = CHUNK_BYTES, letters: LetterCount | None = None) -> None:
        self.reader = reader
        self.letters = letters  # counts the dead letters the broker acknowledged
        self.topic = topic
        self.dead_letter_topic = dead_letter_topic
        self.chunk_bytes = chunk_bytes
        self._pending: dict[tuple[str, str], Any] = {}
        self._tables: dict[str, JournalTable] = {}
        self.positions: dict[str, int] = {}
        self.chunks: dict[tuple[str, str], Chunking] = {}  # entries written in parts
        self.unwritable = 0  # records the broker refused (dead-lettered)

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
        self.chunks.clear()
        loader = _Loader(self)

        def apply(message: ConsumerRecord) -> None:
            loader.apply(message.key, message.value, message.offset)

        count = await self.reader.read(self.topic, 0, apply)
        loader.finish()
        log.info("journal %s: %d records, %s", self.topic, count,
                 ", ".join(f"{n}={len(t)}" for n, t in sorted(self._tables.items())))
        return count

    async def commit(self, positions: dict[str, int]) -> None:
        """Write every pending change, then ``positions`` (source -> next offset), and wait
        until the broker has them all."""
        producer = await self.reader.producer()
        writes = list(self._pending.items())
        self._pending.clear()
        futures: list[tuple[str, asyncio.Future[Any]]] = []
        for (name, key), value in writes:
            records, chunking = encode_entry(name, key, None if value is _DELETED else value,
                                             self.chunks.get((name, key)), self.chunk_bytes)
            if chunking is None:
                self.chunks.pop((name, key), None)
            else:
                self.chunks[(name, key)] = chunking
            for record_key, body in records:
                try:
                    future = await producer.send(self.topic, body, partition=0, key=record_key)
                except _TOO_LARGE as exc:
                    await self._unwritable(producer, f"{name}/{key}", record_key, body, exc)
                    continue
                futures.append((f"{name}/{key}", future))
        for source, offset in positions.items():  # last: after all state that led to it
            body = json.dumps({"offset": offset}).encode()
            futures.append((POSITION, await producer.send(
                self.topic, body, partition=0, key=json.dumps([POSITION, source]).encode())))
        for entry, future in futures:
            try:
                await future
            except _TOO_LARGE as exc:
                await self._unwritable(producer, entry, None, None, exc)
        self.positions.update(positions)

    async def _unwritable(self, producer: Any, entry: str, key: bytes | None,
                          body: bytes | None, exc: BaseException) -> None:
        """A record the broker will not take: say so on the dead letters, never crash."""
        self.unwritable += 1
        size = (len(key) if key else 0) + (len(body) if body else 0)
        name = entry if len(entry) <= 200 else f"{entry[:200]}..."
        reason = (f"network state {name} could not be journalled ({exc!r}; record of "
                  f"{size} bytes); it is kept in memory but a restart loses this change")
        log.error("journal %s: %s", self.topic, reason)
        if self.dead_letter_topic is None:
            return
        letter = {"reason": reason, "field": None, "problem": "state record too large",
                  "raw": entry[:1000]}
        try:
            future = await producer.send(self.dead_letter_topic, json.dumps(letter).encode())
            if self.letters is not None:
                self.letters.watch(self.dead_letter_topic, future)
            await future
        except _TOO_LARGE:  # cannot happen with the bounds above; never fatal anyway
            log.error("journal %s: the dead letter for %s was refused too", self.topic, name)
