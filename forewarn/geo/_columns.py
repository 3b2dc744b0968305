"""Text columns as memory-mappable arrays: what a slice stores instead of Python strings.

Why: a slice must be loadable with ``np.load(mmap_mode="r")`` (no parsing, pages shared
between workers on one host), and numpy cannot map an object array. Two encodings:

* ``StringColumn``: variable-length UTF-8 (ids, phones, e-mails, push tokens) as one byte
  array plus ``n + 1`` offsets; a value is decoded only when asked for.
* ``CodedColumn``: a column with few distinct values (services, language, channels,
  timezone) as ``uint16`` codes into a small vocabulary kept in the slice's JSON.

``None`` is stored as ``""``: every optional text field reads empty as "not given".
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from itertools import pairwise

import numpy as np
import pandas as pd

__all__ = ["CodedColumn", "StringColumn", "encode_strings", "fixed_width", "intern_codes"]


def encode_strings(values: Sequence[object] | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(UTF-8 bytes as uint8, byte length of each value); None and "" give length 0.

    One ``join`` and one ``encode`` for all values (several times cheaper than one each);
    the NUL separators give every value's length, unless a value holds a NUL itself."""
    texts = ["" if v is None else str(v) for v in values] if not _all_text(values) \
        else list(values)
    if not texts:
        return np.zeros(0, dtype=np.uint8), np.zeros(0, dtype=np.int64)
    joined = np.frombuffer("\0".join(texts).encode("utf-8"), dtype=np.uint8)
    separators = np.flatnonzero(joined == 0)
    if len(separators) != len(texts) - 1:
        encoded = [t.encode("utf-8") for t in texts]
        lengths = np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded))
        return np.frombuffer(b"".join(encoded), dtype=np.uint8), lengths
    bounds = np.concatenate(([-1], separators, [len(joined)]))
    keep = np.ones(len(joined), dtype=bool)
    keep[separators] = False
    return joined[keep], np.diff(bounds) - 1


def _all_text(values: Sequence[object] | np.ndarray) -> bool:
    return all(type(v) is str for v in values)


def fixed_width(data: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """The values as one fixed-width ``bytes_`` array (for sorting and duplicate checks
    without a Python object per value). UTF-8 byte order is code point order, so sorting
    these bytes sorts the texts as Python (and ``RegionIndex``) does."""
    offsets = np.asarray(offsets, dtype=np.int64)
    n = len(offsets) - 1
    lengths = np.diff(offsets)
    width = max(int(lengths.max()) if n else 0, 1)
    matrix = np.zeros((n, width), dtype=np.uint8)
    data = np.asarray(data, dtype=np.uint8)
    starts = offsets[:-1]
    for j in range(width):  # one byte column at a time: temporaries of n, not of all bytes
        rows = np.flatnonzero(lengths > j)
        matrix[rows, j] = data[starts[rows] + j]
    return matrix.view(f"S{width}").reshape(n)


def intern_codes(values: Sequence[object] | np.ndarray, vocab: dict[str, int]) -> np.ndarray:
    """``uint16`` codes of ``values`` (None as ""), adding new values to ``vocab``; each
    distinct value is looked up once."""
    local, uniques = pd.factorize(np.asarray(values, dtype=object), use_na_sentinel=False)
    table = np.empty(len(uniques), dtype=np.uint16)
    for k, value in enumerate(uniques):
        text = value if isinstance(value, str) else "" if pd.isna(value) else str(value)
        code = vocab.get(text)
        if code is None:
            if len(vocab) >= 0xFFFF:
                raise ValueError("more than 65,535 distinct values in a coded column")
            code = vocab[text] = len(vocab)
        table[k] = code
    return table[local] if len(local) else np.zeros(0, dtype=np.uint16)


class StringColumn:
    """Variable-length texts over mapped arrays; ``column[p]`` decodes one value."""

    def __init__(self, offsets: np.ndarray, data: np.ndarray) -> None:
        self.offsets = offsets
        self.data = data

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def __getitem__(self, position: int) -> str:
        start, end = int(self.offsets[position]), int(self.offsets[position + 1])
        return bytes(self.data[start:end]).decode("utf-8")

    def __iter__(self) -> Iterator[str]:
        return iter(self.to_list())

    def to_list(self) -> list[str]:
        """Every value, decoded in one pass (one ``decode`` for the whole column)."""
        text = bytes(self.data[: int(self.offsets[-1])]).decode("utf-8") if len(self) else ""
        bounds = self.offsets.tolist()
        if len(text) != len(self.data[: int(self.offsets[-1])]):  # not ASCII: bytes != chars
            raw = bytes(self.data)
            return [raw[a:b].decode("utf-8") for a, b in pairwise(bounds)]
        return [text[a:b] for a, b in pairwise(bounds)]


class CodedColumn:
    """Texts with few distinct values: ``vocab[codes[p]]``."""

    def __init__(self, codes: np.ndarray, vocab: Sequence[str]) -> None:
        self.codes = codes
        self.vocab = list(vocab)

    def __len__(self) -> int:
        return len(self.codes)

    def __getitem__(self, position: int) -> str:
        return self.vocab[int(self.codes[position])]

    def __iter__(self) -> Iterator[str]:
        return iter(self.to_list())

    def to_list(self) -> list[str]:
        return [self.vocab[c] for c in self.codes.tolist()]
