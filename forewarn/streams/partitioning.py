"""Which partition of the customer-keyed topics a customer lives on.

Every customer-keyed topic (``impacts``, ``notifications.outbox``, ``notifications.delivered``)
and the tables behind them use this one rule, so a customer's episode state, its decisions
and its deliveries always meet on the same partition and the same worker. It is Kafka's
default partitioner (murmur2 of the key's UTF-8 bytes), so Faust's table routing and any
Kafka client keyed by customer id agree with it. It is computed here with numpy, many ids at
once (aiokafka's pure-Python hash costs ~5 µs per id, a storm names hundreds of
thousands), so that the core imports no Kafka client; a property test holds it equal to
aiokafka's ``murmur2`` (tests/unit/test_partitioning_numpy.py).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["murmur2_one", "murmur2_utf8", "partition_of", "partitions_of"]

_SEED = 0x9747B28C
_M = np.uint32(0x5BD1E995)


def partition_of(customer_id: str, partitions: int) -> int:
    """The partition that owns ``customer_id`` (same as Kafka's default partitioner).

    One id in plain Python (~3-5 µs; numpy's per-call overhead made it ~20-70 µs, and a
    sliced index asks this once for every customer it is asked about by id)."""
    return (murmur2_one(customer_id.encode("utf-8")) & 0x7FFFFFFF) % partitions


def murmur2_one(data: bytes) -> int:
    """murmur2 of one key's bytes, as an unsigned 32-bit int (``murmur2_utf8`` for one)."""
    m, mask = 0x5BD1E995, 0xFFFFFFFF
    length = len(data)
    h = (_SEED ^ length) & mask
    end = length - length % 4
    for i in range(0, end, 4):
        k = (data[i] | data[i + 1] << 8 | data[i + 2] << 16 | data[i + 3] << 24) * m & mask
        k ^= k >> 24
        h = (h * m & mask) ^ (k * m & mask)
    tail = length % 4
    if tail >= 3:
        h ^= data[end + 2] << 16
    if tail >= 2:
        h ^= data[end + 1] << 8
    if tail:
        h = (h ^ data[end]) * m & mask
    h ^= h >> 13
    h = h * m & mask
    return h ^ (h >> 15)


def partitions_of(customer_ids: Sequence[str], partitions: int) -> np.ndarray:
    """``partition_of`` for many ids at once."""
    return ((murmur2_utf8(customer_ids) & 0x7FFFFFFF) % partitions).astype(np.int32)


def murmur2_utf8(texts: Sequence[str]) -> np.ndarray:
    """aiokafka's ``murmur2`` of each text's UTF-8 bytes, as uint32.

    Keys of one length are hashed together, a byte column at a time: murmur2 mixes the
    bytes of one key in sequence, but the same step of different keys is independent.
    """
    data, starts, lengths = _utf8(texts)
    hashes = np.empty(len(texts), dtype=np.uint32)
    present = np.flatnonzero(np.bincount(lengths)).tolist() if len(texts) else []
    if len(present) == 1:  # one length, as ids usually have: byte columns are strided views
        length = present[0]
        stride = int(starts[1]) if len(texts) > 1 else length  # a text and its separator
        padded = np.append(data, np.zeros(stride * len(texts) - len(data), dtype=np.uint8))
        block = padded.reshape(len(texts), stride)
        hashes[:] = _murmur2_columns([block[:, j] for j in range(length)], len(texts))
        return hashes
    for length in present:
        rows = np.flatnonzero(lengths == length)
        hashes[rows] = _murmur2_columns([data[starts[rows] + j] for j in range(length)], len(rows))
    return hashes


def _utf8(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The texts' UTF-8 bytes, NUL-separated in one array, with each one's start and length.

    One ``join`` and one ``encode`` instead of one per text (several times cheaper); the
    separators give every text's byte length, unless a text holds a NUL itself: then each
    text is encoded on its own.
    """
    data = np.frombuffer("\0".join(texts).encode("utf-8"), dtype=np.uint8)
    separators = np.flatnonzero(data == 0)
    if len(separators) == len(texts) - 1:
        starts = np.concatenate(([0], separators + 1))
        return data, starts, np.append(separators, len(data)) - starts
    encoded = [t.encode("utf-8") for t in texts]
    lengths = np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded))
    return np.frombuffer(b"".join(encoded), dtype=np.uint8), np.cumsum(lengths) - lengths, lengths


def _murmur2_columns(columns: list[np.ndarray], n: int) -> np.ndarray:
    """murmur2 of ``n`` keys given as their byte columns (uint8, one array per byte
    position), with uint32 wraparound standing in for the reference's ``& 0xFFFFFFFF``."""
    length = len(columns)
    h = np.full(n, _SEED ^ length, dtype=np.uint32)
    c = [column.astype(np.uint32) for column in columns]
    for i in range(0, length - length % 4, 4):
        k = (c[i] | c[i + 1] << 8 | c[i + 2] << 16 | c[i + 3] << 24) * _M
        k ^= k >> 24
        k *= _M
        h *= _M
        h ^= k
    tail = c[length - length % 4:]
    if len(tail) >= 3:
        h ^= tail[2] << 16
    if len(tail) >= 2:
        h ^= tail[1] << 8
    if tail:
        h ^= tail[0]
        h *= _M
    h ^= h >> 13
    h *= _M
    h ^= h >> 15
    return h
