"""Compressed sparse rows (``indptr``, ``indices``) and the few operations the index needs.

Why CSR and not dicts of sets: a million customers with two or three covering cells each
fit in a few dozen megabytes, and "is every covering cell down?" becomes one gather and
one ``reduceat`` over all customers instead of a Python loop.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Csr", "sorted_unique"]

_INT = np.int64


def sorted_unique(values: np.ndarray) -> np.ndarray:
    """``np.unique`` for integers via one sort: several times faster than the hash-based
    path numpy 2.3+ takes for large arrays."""
    values = np.sort(np.asarray(values, dtype=_INT))
    if values.size < 2:
        return values
    keep = np.empty(values.size, dtype=bool)
    keep[0] = True
    np.not_equal(values[1:], values[:-1], out=keep[1:])
    return values[keep]


@dataclass(frozen=True, slots=True)
class Csr:
    """Row ``r`` holds ``indices[indptr[r]:indptr[r + 1]]``."""

    indptr: np.ndarray
    indices: np.ndarray

    @property
    def n_rows(self) -> int:
        return len(self.indptr) - 1

    @classmethod
    def from_pairs(cls, rows: np.ndarray, cols: np.ndarray, n_rows: int, *,
                   unique: bool = True) -> Csr:
        """Group ``cols`` by ``rows``; with ``unique`` each row is sorted and de-duplicated."""
        rows = np.asarray(rows, dtype=_INT)
        cols = np.asarray(cols, dtype=_INT)
        if unique and rows.size:
            width = int(cols.max()) + 1
            keys = sorted_unique(rows * width + cols)
            rows, cols = keys // width, keys % width
        else:
            order = np.argsort(rows, kind="stable")
            rows, cols = rows[order], cols[order]
        counts = np.bincount(rows, minlength=n_rows) if rows.size else np.zeros(n_rows, _INT)
        indptr = np.zeros(n_rows + 1, dtype=_INT)
        np.cumsum(counts, out=indptr[1:])
        return cls(indptr, cols)

    @classmethod
    def from_lists(cls, lists: list[list[int]]) -> Csr:
        """Rows given as Python lists, order kept (used for small per-element tables)."""
        counts = np.fromiter((len(x) for x in lists), dtype=_INT, count=len(lists))
        indptr = np.zeros(len(lists) + 1, dtype=_INT)
        np.cumsum(counts, out=indptr[1:])
        flat = [v for x in lists for v in x]
        return cls(indptr, np.asarray(flat, dtype=_INT))

    def counts(self) -> np.ndarray:
        return np.diff(self.indptr)

    def row(self, r: int) -> np.ndarray:
        return self.indices[self.indptr[r]:self.indptr[r + 1]]

    def take(self, rows: np.ndarray) -> Csr:
        """The sub-matrix of ``rows`` (in that order), without a Python loop."""
        rows = np.asarray(rows, dtype=_INT)
        starts = self.indptr[rows]
        counts = self.indptr[rows + 1] - starts
        indptr = np.zeros(len(rows) + 1, dtype=_INT)
        np.cumsum(counts, out=indptr[1:])
        offsets = np.repeat(starts - indptr[:-1], counts)
        return Csr(indptr, self.indices[np.arange(indptr[-1], dtype=_INT) + offsets])

    def expand_rows(self) -> np.ndarray:
        """The row number of every stored entry (the COO row array)."""
        return np.repeat(np.arange(self.n_rows, dtype=_INT), self.counts())

    def all_rows(self, values: np.ndarray) -> np.ndarray:
        """Per row: are all ``values[indices]`` true? Empty rows give False, not True,
        because a customer with no covering cell has no mobile outage (CONTRACT §4)."""
        return self._reduce(np.logical_and, values)

    def any_rows(self, values: np.ndarray) -> np.ndarray:
        """Per row: is any ``values[indices]`` true? Empty rows give False."""
        return self._reduce(np.logical_or, values)

    def max_rows(self, values: np.ndarray, empty: int = -1) -> np.ndarray:
        """Per row: the largest ``values[indices]`` (``empty`` for rows without entries)."""
        return self._reduce(np.maximum, values, np.full(self.n_rows, empty, dtype=values.dtype))

    def _reduce(self, op: np.ufunc, values: np.ndarray,
                out: np.ndarray | None = None) -> np.ndarray:
        if out is None:
            out = np.zeros(self.n_rows, dtype=bool)
        counts = self.counts()
        filled = np.flatnonzero(counts > 0)
        if filled.size:
            # Empty rows occupy no entries, so the starts of the filled rows alone delimit
            # every filled row exactly; reduceat would misreport empty rows.
            out[filled] = op.reduceat(values[self.indices], self.indptr[filled])
        return out
