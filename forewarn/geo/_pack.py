"""Many numpy arrays in one memory-mapped file: the on-disk form of a slice and the shared part.

Why one file and not one ``.npy`` per array: every mapping holds a file descriptor, and a
slice has ~25 arrays, so a worker mapping 64 slices as ``.npy`` files would hold 1,600
descriptors (at P = 1024, 25,000: past common limits). One file per slice is one mapping,
and each array is a zero-copy view into it (``np.ndarray(buffer=map, offset=...)``), exactly
as ``np.load(mmap_mode="r")`` would give.

Layout: an 8-byte magic ``FWPACK01``, then each array's raw bytes (C order) at a 64-byte
aligned offset. The JSON beside it (written by the caller) lists, per array, its offset,
dtype, shape and CRC-32, and the file's total size. ``open_pack`` checks the magic, the size
and every CRC (reading the file once with plain reads, so the check does not fault the pages
into the worker's memory) before mapping: a truncated or damaged file is a ``RegionError``
naming it, never a wrong answer later.
"""

from __future__ import annotations

import zlib
from pathlib import Path
from typing import Any

import numpy as np

from forewarn.errors import RegionError

__all__ = ["MAGIC", "PackWriter", "open_pack"]

MAGIC = b"FWPACK01"
_ALIGN = 64


class PackWriter:
    """Append arrays to one file; ``close()`` returns the metadata ``open_pack`` needs."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._file = self.path.open("wb")
        self._file.write(MAGIC)
        self._offset = len(MAGIC)
        self.arrays: dict[str, dict[str, Any]] = {}

    def add(self, name: str, array: np.ndarray) -> None:
        array = np.ascontiguousarray(array)
        if array.dtype.hasobject:
            raise TypeError(f"{name}: object arrays cannot be mapped")
        pad = -self._offset % _ALIGN
        self._file.write(b"\0" * pad)
        self._offset += pad
        data = array.reshape(-1).view(np.uint8).data if array.size else memoryview(b"")
        self._file.write(data)
        self.arrays[name] = {"offset": self._offset, "dtype": array.dtype.str,
                             "shape": list(array.shape), "crc32": zlib.crc32(data)}
        self._offset += array.nbytes

    def close(self) -> dict[str, Any]:
        self._file.close()
        return {"file": self.path.name, "bytes": self._offset, "arrays": self.arrays}


def open_pack(folder: Path, meta: dict[str, Any], *, verify: bool = True
              ) -> dict[str, np.ndarray]:
    """The arrays of the pack ``meta`` describes, as read-only views of one mapping."""
    path = Path(folder) / str(meta["file"])
    try:
        size = path.stat().st_size
        if size != meta["bytes"]:
            raise ValueError(f"{size} bytes, expected {meta['bytes']} (truncated or replaced?)")
        with path.open("rb") as f:
            if f.read(len(MAGIC)) != MAGIC:
                raise ValueError("not a forewarn array pack (bad magic)")
            if verify:
                _verify(f, meta["arrays"])
        mapped = np.memmap(path, dtype=np.uint8, mode="r") if size else np.zeros(0, np.uint8)
        arrays = {}
        for name, entry in meta["arrays"].items():
            arrays[name] = np.ndarray(tuple(entry["shape"]), dtype=np.dtype(entry["dtype"]),
                                      buffer=mapped, offset=int(entry["offset"]))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise RegionError(str(path), f"corrupt index file: {exc}") from None
    return arrays


def _verify(f: Any, entries: dict[str, dict[str, Any]]) -> None:
    """CRC-32 of every array, read in blocks in file order."""
    for name, entry in sorted(entries.items(), key=lambda item: int(item[1]["offset"])):
        nbytes = int(np.dtype(entry["dtype"]).itemsize * int(np.prod(entry["shape"])))
        f.seek(int(entry["offset"]))
        crc, left = 0, nbytes
        while left:
            block = f.read(min(left, 1 << 22))
            if not block:
                raise ValueError(f"{name}: file ends early (truncated?)")
            crc = zlib.crc32(block, crc)
            left -= len(block)
        if crc != entry["crc32"]:
            raise ValueError(f"{name}: checksum mismatch (damaged file)")
