"""Issue 16, finding 2: a journal entry larger than the broker's message limit is written in
parts below it and read back whole; records of the old format still load; a log compacted
to the last record per key still reads back the last committed state."""

from __future__ import annotations

import json
from typing import Any

from forewarn.streams.kafka.network_journal import (
    CHUNKS,
    StateJournal,
    Write,
    _Loader,
    encode_entry,
)

SMALL_CHUNK = 100


def big_entry(n: int) -> dict[str, Any]:
    return {"alarms": {f"w{i}": {"severity": "warning", "raised_at": i} for i in range(n)},
            "cleared": []}


def load(log: list[Write], *, compact: bool = False) -> StateJournal:
    """A journal as ``StateJournal.load`` leaves it after reading ``log`` (optionally
    compacted: only the last record per key, in log order, as Kafka keeps them)."""
    if compact:
        last = {key: offset for offset, (key, _) in enumerate(log)}
        log = [record for offset, record in enumerate(log) if last[record[0]] == offset]
    journal = StateJournal(reader=None, topic="t")  # type: ignore[arg-type]
    journal.table("elements")
    loader = _Loader(journal)
    for offset, (key, value) in enumerate(log):
        loader.apply(key, value, offset)
    loader.finish()
    return journal


def write(log: list[Write], chunks: dict[str, Any], key: str, value: Any) -> None:
    records, chunking = encode_entry("elements", key, value, chunks.get(key), SMALL_CHUNK)
    chunks[key] = chunking
    log.extend(records)


def test_large_entry_is_written_in_parts_below_the_limit_and_read_back_whole() -> None:
    entry = big_entry(40)
    records, chunking = encode_entry("elements", "A1", entry, None, SMALL_CHUNK)
    assert chunking is not None and chunking[1] > 1
    assert all(len(value or b"") <= SMALL_CHUNK for _, value in records[:-1])
    assert CHUNKS in json.loads(records[-1][1])  # the head comes last
    assert load(records).table("elements").data == {"A1": entry}


def test_small_entry_is_one_record_in_the_old_format() -> None:
    records, chunking = encode_entry("elements", "A1", {"alarms": {}}, None, SMALL_CHUNK)
    assert chunking is None
    assert records == [(b'["elements", "A1"]', b'{"alarms":{}}')]


def test_record_written_before_chunks_existed_still_loads() -> None:
    old = [(json.dumps(["elements", "A1"]).encode(), json.dumps(big_entry(2)).encode()),
           (json.dumps(["_position", "alarms.raw/0"]).encode(), b'{"offset": 7}')]
    journal = load(old)
    assert journal.table("elements").data == {"A1": big_entry(2)}
    assert journal.positions == {"alarms.raw/0": 7}


def test_entry_that_shrinks_tombstones_its_old_parts_and_loads_the_new_value() -> None:
    log: list[Write] = []
    chunks: dict[str, Any] = {}
    write(log, chunks, "A1", big_entry(40))
    write(log, chunks, "A1", big_entry(1))
    assert chunks["A1"] is None
    part_keys = {key for key, _ in log if len(json.loads(key)) == 4}
    assert part_keys and all(
        any(k == key and v is None for k, v in log) for key in part_keys)  # each tombstoned
    for compact in (False, True):
        assert load(log, compact=compact).table("elements").data == {"A1": big_entry(1)}


def test_compacted_log_reads_back_the_last_of_several_chunked_versions() -> None:
    log: list[Write] = []
    chunks: dict[str, Any] = {}
    for n in (30, 50, 40):
        write(log, chunks, "A1", big_entry(n))
    write(log, chunks, "B1", big_entry(3))
    write(log, chunks, "B1", None)
    for compact in (False, True):
        journal = load(log, compact=compact)
        assert journal.table("elements").data == {"A1": big_entry(40)}
        assert journal.chunks.keys() == {("elements", "A1")}


def test_version_whose_head_was_never_written_leaves_the_last_committed_one() -> None:
    log: list[Write] = []
    chunks: dict[str, Any] = {}
    write(log, chunks, "A1", big_entry(30))
    records, _ = encode_entry("elements", "A1", big_entry(60), chunks["A1"], SMALL_CHUNK)
    log.extend(r for r in records if len(json.loads(r[0])) == 4 and r[1] is not None)  # crash
    for compact in (False, True):
        assert load(log, compact=compact).table("elements").data == {"A1": big_entry(30)}


def test_head_whose_parts_are_missing_is_left_out_not_fatal() -> None:
    records, _ = encode_entry("elements", "A1", big_entry(40), None, SMALL_CHUNK)
    small = encode_entry("elements", "B1", big_entry(1), None, SMALL_CHUNK)[0]
    journal = load(records[1:] + small)
    assert journal.table("elements").data == {"B1": big_entry(1)}


class RefusingProducer:
    """Takes records up to ``limit`` bytes (key + value) and refuses larger ones, as aiokafka
    does above ``max_request_size``."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.sent: list[tuple[str, bytes | None, bytes | None]] = []

    async def send(self, topic: str, value: bytes | None, partition: int | None = None,
                   key: bytes | None = None) -> Any:
        import asyncio

        from aiokafka.errors import MessageSizeTooLargeError

        if len(value or b"") + len(key or b"") > self.limit:
            raise MessageSizeTooLargeError("too large")
        self.sent.append((topic, key, value))
        done = asyncio.get_running_loop().create_future()
        done.set_result(None)
        return done


class Reader:
    def __init__(self, producer: RefusingProducer) -> None:
        self._producer = producer

    async def producer(self) -> RefusingProducer:
        return self._producer


async def test_record_the_broker_refuses_is_dead_lettered_and_the_commit_goes_on() -> None:
    producer = RefusingProducer(limit=2_000)
    journal = StateJournal(Reader(producer), "state", dead_letter_topic="dead")  # type: ignore[arg-type]
    journal.table("elements")["E" * 3_000] = {"alarms": {}}  # a key no chunking can help
    journal.table("elements")["A1"] = {"alarms": {"a": {"severity": "major"}}}
    await journal.commit({"alarms.raw/0": 9})
    topics = [topic for topic, _, _ in producer.sent]
    assert topics.count("dead") == 1 and journal.unwritable == 1
    [letter] = [json.loads(v) for t, _, v in producer.sent if t == "dead" and v]
    assert "could not be journalled" in letter["reason"]
    assert letter["raw"].startswith("elements/EEE")
    keys = [json.loads(k) for t, k, _ in producer.sent if t == "state" and k]
    assert ["elements", "A1"] in keys and keys[-1] == ["_position", "alarms.raw/0"]
    assert journal.positions == {"alarms.raw/0": 9}
