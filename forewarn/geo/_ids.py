"""Customer ids of a sliced index without a Python string per customer.

Why: a worker mapping a 1.25M-customer slice held its ids as a list of ``str`` (~90 MB, 57
bytes an object plus the list's pointer), and the worker that owns the network maps every
slice: ~0.7 GB of id objects at 10M customers, plus a 10M-entry list and object array over
all of them. ``IdColumn`` keeps one slice's ids as one fixed-width ``bytes`` array (~8-16
bytes a customer) and makes ``str`` objects only for the ids asked for; ``SlicedIds`` gives
the same view over every slice of a version by global position (``slices`` module).

Both answer the questions the stages ask of ``RegionIndex.customer_id_array``: ``ids[p]``
for one position (a ``str``) and ``ids[positions]`` for many (an object array of ``str``,
as numpy's fancy indexing gives), ``len``, iteration, and ``find`` by id.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, overload

import numpy as np

from forewarn.geo._columns import StringColumn, fixed_width
from forewarn.streams.partitioning import partition_of

__all__ = ["CustomerIds", "IdArray", "IdColumn", "SlicedIds"]

_CHUNK = 65_536  # ids decoded per step when iterating


class _Ids:
    """What both kinds of ids do alike, through ``len`` and ``ids[positions]``."""

    def __len__(self) -> int:
        raise NotImplementedError

    @overload
    def __getitem__(self, key: int | np.integer[Any]) -> str: ...

    @overload
    def __getitem__(self, key: np.ndarray | slice) -> np.ndarray: ...

    def __getitem__(self, key: Any) -> Any:
        """``ids[p]``: one ``str``; ``ids[positions]`` or a slice: an object array."""
        if isinstance(key, int | np.integer):
            return self._one(int(key))
        return self._many(key)

    def _one(self, position: int) -> str:
        raise NotImplementedError

    def _many(self, key: np.ndarray | slice) -> np.ndarray:
        raise NotImplementedError

    def __iter__(self) -> Iterator[str]:
        for start in range(0, len(self), _CHUNK):
            yield from self[np.arange(start, min(start + _CHUNK, len(self)))].tolist()

    def tolist(self) -> list[str]:
        """Every id as ``str`` (what a dict by id needs; costs the objects this saves)."""
        return list(self)

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        whole: np.ndarray = self[np.arange(len(self), dtype=np.int64)]
        return whole if dtype in (None, object) else whole.astype(dtype)


class IdColumn(_Ids):
    """One slice's ids (``StringColumn``) as fixed-width bytes, decoded on demand; ``order``
    is the positions in the ids' string order (the slice's ``order`` array), for ``find``.

    Ids must not end in NUL bytes (numpy's ``bytes_`` drops trailing NULs); the index build
    refuses empty ids, and a NUL in an id is not a real customer's.
    """

    def __init__(self, column: StringColumn, order: np.ndarray) -> None:
        self._fixed = fixed_width(column.data, column.offsets)
        self._order = np.asarray(order, dtype=np.int64)
        data = np.asarray(column.data[: int(column.offsets[-1])], dtype=np.uint8)
        self._ascii = not data.size or int(data.max()) < 0x80
        width = self._fixed.dtype.itemsize
        self._text = np.dtype(f"U{width}")

    def __len__(self) -> int:
        return len(self._fixed)

    def _one(self, position: int) -> str:
        return bytes(self._fixed[position]).decode("utf-8")

    def _many(self, key: np.ndarray | slice) -> np.ndarray:
        return self._decode(self._fixed[key])

    def _decode(self, raw: np.ndarray) -> np.ndarray:
        """An object array of ``str`` for a ``bytes_`` array (ASCII: one numpy cast)."""
        if self._ascii:
            return raw.astype(self._text).astype(object)
        out = np.empty(raw.shape, dtype=object)
        out[...] = [bytes(b).decode("utf-8") for b in raw.reshape(-1).tolist()]
        return out

    def find(self, customer_id: str) -> int | None:
        """Position of ``customer_id``, or None: binary search in string order (a few µs;
        ``RegionIndex`` keeps a dict instead for a slice it is asked often)."""
        try:
            wanted = np.bytes_(customer_id.encode("utf-8"))
        except UnicodeEncodeError:
            return None
        if not wanted or len(wanted) > self._fixed.dtype.itemsize:
            return None
        k = int(np.searchsorted(self._fixed, wanted, sorter=self._order))
        if k < len(self._order):
            position = int(self._order[k])
            if self._fixed[position] == wanted:
                return position
        return None

    def find_many(self, customer_ids: Sequence[str]) -> np.ndarray:
        """Positions of ``customer_ids`` (-1 for an id not here): one vectorised binary
        search for all of them (an incident's customers are asked for at one instant)."""
        width = self._fixed.dtype.itemsize
        encoded: list[bytes] = []
        usable = np.ones(len(customer_ids), dtype=bool)
        for k, customer_id in enumerate(customer_ids):
            try:
                raw = customer_id.encode("utf-8")
            except UnicodeEncodeError:
                raw = b""
            if not raw or len(raw) > width or raw.endswith(b"\0"):
                usable[k], raw = False, b""  # numpy would cut it short or strip its NULs
            encoded.append(raw)
        out = np.full(len(customer_ids), -1, dtype=np.int64)
        if not len(self._order) or not usable.any():
            return out
        wanted = np.array(encoded, dtype=self._fixed.dtype)
        at = np.searchsorted(self._fixed, wanted, sorter=self._order)
        candidate = self._order[np.minimum(at, len(self._order) - 1)]
        hit = usable & (at < len(self._order)) & (self._fixed[candidate] == wanted)
        out[hit] = candidate[hit]
        return out


class SlicedIds(_Ids):
    """Ids by global position over the slices of one version: ``""`` at the positions of
    slices that are not loaded (as the stages expect of a partial index).

    ``bases`` are the first global position of each partition (and the total at the end);
    ``columns`` the loaded partitions' ``IdColumn``. A new object per set of loaded slices:
    caches keyed on the ids' identity (impact memo, partition table) start again when slices
    come or go. ``version`` names the index version: two objects of one version agree on
    every position they both hold (``same_positions``).
    """

    def __init__(self, version: str, bases: np.ndarray,
                 columns: Mapping[int, IdColumn]) -> None:
        self.version = version
        self._bases = bases
        self._columns = dict(columns)

    def __len__(self) -> int:
        return int(self._bases[-1])

    def same_positions(self, other: object) -> bool:
        """Whether ``other`` numbers the same customers the same way (same version)."""
        return isinstance(other, SlicedIds) and other.version == self.version

    def _one(self, position: int) -> str:
        key = position
        position += len(self) if position < 0 else 0
        if not 0 <= position < len(self):
            raise IndexError(key)
        k = int(np.searchsorted(self._bases, position, side="right")) - 1
        column = self._columns.get(k)
        return "" if column is None else column[position - int(self._bases[k])]

    def _many(self, key: np.ndarray | slice) -> np.ndarray:
        if isinstance(key, slice):
            key = np.arange(len(self), dtype=np.int64)[key]
        return self._gather(np.asarray(key, dtype=np.int64))

    def _gather(self, positions: np.ndarray) -> np.ndarray:
        out = np.full(positions.shape, "", dtype=object)
        if not positions.size:
            return out
        flat = positions.reshape(-1)
        owner = np.searchsorted(self._bases, flat, side="right") - 1
        result = out.reshape(-1)
        for k in np.unique(owner).tolist():
            column = self._columns.get(k)
            if column is None:
                continue
            where = np.flatnonzero(owner == k)
            result[where] = column[flat[where] - int(self._bases[k])]
        return out

    def find(self, customer_id: str) -> int | None:
        """Global position of ``customer_id``, or None (not a customer of a loaded slice)."""
        k = partition_of(customer_id, len(self._bases) - 1)
        column = self._columns.get(k)
        found = None if column is None else column.find(customer_id)
        return None if found is None else int(self._bases[k]) + found


#: Ids by position as an index holds them (``RegionIndex.customer_ids``).
CustomerIds = list[str] | IdColumn | SlicedIds
#: Ids by position that gather many at once (``RegionIndex.customer_id_array``).
IdArray = np.ndarray | IdColumn | SlicedIds
