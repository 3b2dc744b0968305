"""Reading the customers table in chunks, each chunk exactly as ``_files.read_table`` reads
the whole table (stripped text, lower-case column names, blank CSV lines dropped, the same
row numbers).

Why: a 10M-customer table read whole is ~10M Python strings per column (gigabytes); the
sliced index build (``slice_build``) needs only one chunk at a time.
"""

from __future__ import annotations

import codecs
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from forewarn.errors import RegionError
from forewarn.geo._files import CSV_ERRORS, column_text, csv_error

__all__ = ["csv_encoding", "customer_chunks"]


def csv_encoding(path: Path) -> str:
    """``utf-8-sig`` when the whole file decodes as UTF-8, else ``cp1252`` (as ``read_table``
    falls back), checked block by block without holding the file."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    try:
        with path.open("rb") as f:
            for block in iter(lambda: f.read(1 << 22), b""):
                decoder.decode(block)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return "cp1252"
    except OSError as exc:
        raise RegionError(path.name, f"cannot read file: {exc}") from None
    return "utf-8-sig"


def customer_chunks(path: Path, rows_per_chunk: int, *,
                    columns: Callable[[str], bool] | None = None
                    ) -> Iterator[tuple[pd.DataFrame, np.ndarray]]:
    """(frame, row numbers) per chunk of at most ``rows_per_chunk`` records; ``columns``
    (a test on the normalised column name) reads only some columns."""
    if path.suffix.lower() == ".parquet":
        yield from _parquet_chunks(path, rows_per_chunk, columns)
    else:
        yield from _csv_chunks(path, rows_per_chunk, columns)


def _csv_chunks(path: Path, rows_per_chunk: int, columns: Callable[[str], bool] | None
                ) -> Iterator[tuple[pd.DataFrame, np.ndarray]]:
    usecols = None if columns is None else (lambda c: columns(str(c).strip().lower()))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", pd.errors.ParserWarning)
            reader = pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False,
                                 index_col=False, skip_blank_lines=False,
                                 encoding=csv_encoding(path), chunksize=rows_per_chunk,
                                 usecols=usecols)
            with reader:
                for frame in reader:
                    yield _normalised(frame)
    except CSV_ERRORS as exc:
        raise csv_error(path, exc) from exc


def _normalised(frame: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    rows = frame.index.to_numpy(dtype=np.int64) + 2
    out = pd.DataFrame(
        {str(c).strip().lower(): np.array([v.strip() for v in frame[c].to_numpy(dtype=object)],
                                          dtype=object)
         for c in frame.columns},
        index=pd.RangeIndex(len(frame)), dtype=object,
    )
    blank = np.ones(len(out), dtype=bool)
    for column in out.columns:
        blank &= out[column].to_numpy(dtype=object) == ""
    if blank.any():
        out, rows = out.loc[~blank].reset_index(drop=True), rows[~blank]
    return out, rows


def _parquet_chunks(path: Path, rows_per_chunk: int, columns: Callable[[str], bool] | None
                    ) -> Iterator[tuple[pd.DataFrame, np.ndarray]]:
    try:
        table = pq.ParquetFile(path)
        names = [n for n in table.schema_arrow.names
                 if columns is None or columns(n.strip().lower())]
        start = 1
        for batch in table.iter_batches(batch_size=rows_per_chunk, columns=names):
            frame = batch.to_pandas()
            rows = np.arange(start, start + len(frame), dtype=np.int64)
            start += len(frame)
            yield pd.DataFrame({str(c).strip().lower(): column_text(frame[c])
                                for c in frame.columns},
                               index=pd.RangeIndex(len(frame)), dtype=object), rows
    except RegionError:
        raise
    except Exception as exc:  # pyarrow raises many unrelated types for a damaged file
        raise RegionError(path.name, f"cannot read file: {exc}") from None
