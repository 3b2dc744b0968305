"""Phone number -> (partition, customer position): which worker owns a caller, without customers.

Why in the shared part of a sliced index: the desk, the IVR (``GET /api/v1/callers/{phone}``)
and contacts by phone arrive at any worker, but the customer with that number lives in one
partition's slice. A sorted array of numbers with the partition and position of each is a
few bytes a customer, maps like the rest of the index, and answers "who owns this number"
by binary search on a worker that holds none of those customers.

Keys do not depend on the configured country, so one index serves any ``[legal] country``:
a number given in international form (``+`` or ``00``) is stored as ``+`` and its digits; a
national one (a single leading ``0``) as its digits, leading ``0`` kept. ``find`` turns the
query into the international digits ``q`` exactly as ``input/phones.normalise_phone`` does
and looks up the two keys that normalise to ``q`` (``+q``, and ``0`` + ``q`` without the
country code), so it answers exactly like a dict of ``normalise_phone(number, country)``
built over every customer. Positions are the index's customer positions (partition-major
for a sliced index: the slot within the slice is the position minus the partition's base).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from forewarn.streams.input.phones import normalise_phone

__all__ = ["PhoneMap", "phone_key"]


def phone_key(number: str | None) -> bytes | None:
    """The country-independent key of a stored number; None when it is no phone number."""
    if not number:
        return None
    digits = normalise_phone(number)
    if digits is None:
        return None
    raw = number.strip().lstrip("(")
    international = raw.startswith(("+", "00"))
    return (("+" + digits) if international else digits).encode("utf-8")


class PhoneMap:
    """Sorted keys with the partition and customer position of each (one row per customer
    with a number; a shared number has several rows, in position order)."""

    def __init__(self, keys: np.ndarray, partition: np.ndarray, position: np.ndarray) -> None:
        self.keys = keys
        self.partition = partition
        self.position = position

    @classmethod
    def build(cls, numbers: Sequence[str | None] | np.ndarray, partition: np.ndarray,
              position: np.ndarray) -> PhoneMap:
        """From each customer's number (as given in the region) and its partition/position."""
        keys = [phone_key(None if n is None else str(n)) for n in numbers]
        has = np.fromiter((k is not None for k in keys), dtype=bool, count=len(keys))
        chosen = [k for k in keys if k is not None]
        return cls.from_keys(np.asarray(chosen, dtype=np.bytes_) if chosen
                             else np.zeros(0, dtype="S1"),
                             np.asarray(partition, dtype=np.int32)[has],
                             np.asarray(position, dtype=np.int64)[has])

    @classmethod
    def from_keys(cls, keys: np.ndarray, partition: np.ndarray, position: np.ndarray
                  ) -> PhoneMap:
        """Sort rows by (key, position)."""
        order = np.lexsort((position, keys))
        return cls(keys[order], np.asarray(partition, np.int32)[order],
                   np.asarray(position, np.int64)[order])

    @classmethod
    def concat(cls, parts: Iterable[PhoneMap]) -> PhoneMap:
        parts = list(parts)
        if not parts:
            return cls(np.zeros(0, "S1"), np.zeros(0, np.int32), np.zeros(0, np.int64))
        width = max(p.keys.dtype.itemsize for p in parts)
        return cls.from_keys(np.concatenate([p.keys.astype(f"S{width}") for p in parts]),
                             np.concatenate([p.partition for p in parts]),
                             np.concatenate([p.position for p in parts]))

    def __len__(self) -> int:
        return len(self.keys)

    def _rows(self, key: bytes) -> np.ndarray:
        if len(key) > self.keys.dtype.itemsize:  # longer than every stored key: absent
            return np.zeros(0, dtype=np.int64)
        lo = int(np.searchsorted(self.keys, key, side="left"))
        hi = int(np.searchsorted(self.keys, key, side="right"))
        return np.arange(lo, hi, dtype=np.int64)

    def find(self, text: str, country_code: str | None) -> list[tuple[int, int]]:
        """``(partition, position)`` of every customer with this number, in position order;
        [] for no phone number or an unknown one."""
        q = normalise_phone(text, country_code)
        if q is None:
            return []
        keys = ["+" + q]
        if country_code:
            if q.startswith(country_code):
                keys.append("0" + q[len(country_code):])
        elif q.startswith("0"):
            keys.append(q)
        rows = np.concatenate([self._rows(k.encode("utf-8")) for k in keys])
        found = sorted(set(zip(self.position[rows].tolist(), self.partition[rows].tolist())))
        return [(partition, position) for position, partition in found]
