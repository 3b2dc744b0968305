"""Finding a region's files by stem and reading them into frames (no validation here).

Why a module of its own: every layer may come in several formats (CONTRACT §2), and the
quirks of each reader (GDAL warnings, pandas' NA guessing, Parquet needing pyarrow) belong
in one place so that validation only ever sees a frame plus the row number of each record.

Row numbers (``rows`` arrays returned here, used in every ``RegionError``):
  * CSV: the header is row 1, so the first data row is row 2 — the line an editor shows
    (as long as no quoted field spans lines). Blank lines keep their number but are dropped.
  * every other format (GeoJSON, GeoPackage, Shapefile, Parquet): the 1-based feature or
    record number (the first feature is row 1).
"""

from __future__ import annotations

import logging
import re
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from forewarn.errors import RegionError

__all__ = ["LAYER_SUFFIXES", "TABLE_SUFFIXES", "column_text", "find_file", "read_layer",
           "read_table"]

log = logging.getLogger("forewarn.geo")

LAYER_SUFFIXES: tuple[str, ...] = (".geojson", ".gpkg", ".shp", ".parquet")
TABLE_SUFFIXES: tuple[str, ...] = (".csv", ".parquet")


def find_file(folder: Path, stem: str, suffixes: tuple[str, ...]) -> Path | None:
    """The one file named ``stem`` + a known suffix in ``folder``, or None when there is none.

    Two candidates (``cells.geojson`` and ``cells.gpkg``) are ambiguous and rejected rather
    than silently preferring one: the operator would not know which network was loaded.
    """
    if not folder.is_dir():
        raise RegionError(str(folder), "region folder does not exist or is not a folder")
    found = sorted(
        p for p in folder.iterdir()
        if p.is_file() and p.stem.lower() == stem and p.suffix.lower() in suffixes
    )
    if len(found) > 1:
        names = ", ".join(p.name for p in found)
        raise RegionError(found[0].name, f"several files for layer '{stem}' ({names}); keep one")
    return found[0] if found else None


def _cannot_read(path: Path, exc: BaseException) -> RegionError:
    return RegionError(path.name, f"cannot read file: {exc}")


#: What pandas raises on a CSV file it cannot read (``csv_error`` says which in words).
CSV_ERRORS = (pd.errors.ParserWarning, pd.errors.ParserError, pd.errors.EmptyDataError,
              UnicodeDecodeError, OSError)


def csv_error(path: Path, exc: BaseException) -> RegionError:
    """The region error for one of ``CSV_ERRORS``, naming the row where pandas says one."""
    if isinstance(exc, pd.errors.ParserWarning):
        return RegionError(path.name, "a row has more fields than the header")
    if isinstance(exc, pd.errors.ParserError):
        shape = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(exc))
        if shape:
            expected, line, saw = (int(g) for g in shape.groups())
            return RegionError(path.name, f"row has {saw} fields but the header has "
                               f"{expected} (more fields than the header)", line)
    return _cannot_read(path, exc)


def read_table(path: Path) -> tuple[pd.DataFrame, np.ndarray]:
    """Read a CSV or Parquet table with every value as a stripped string ('' when empty).

    Ids must never be guessed as numbers ("0012" stays "0012"), so nothing is type-inferred.
    """
    if path.suffix.lower() == ".parquet":
        frame = _read_parquet_table(path)
        rows = np.arange(1, len(frame) + 1, dtype=np.int64)
    else:
        frame = _read_csv(path)
        rows = frame.index.to_numpy(dtype=np.int64) + 2
        blank = np.ones(len(frame), dtype=bool)
        for column in frame.columns:
            blank &= frame[column].to_numpy(dtype=object) == ""
        if blank.any():
            frame, rows = frame.loc[~blank], rows[~blank]
    frame = frame.reset_index(drop=True)
    return frame, rows


def _read_csv(path: Path) -> pd.DataFrame:
    """UTF-8 (with or without BOM); a spreadsheet's Windows-1252 export is accepted with a
    warning, since ids and addresses are usually ASCII and names come out right."""
    try:
        try:
            frame = _parse_csv(path, "utf-8-sig")
        except UnicodeDecodeError:
            frame = _parse_csv(path, "cp1252")
            log.warning("%s: not UTF-8; read as Windows-1252", path.name)
    except CSV_ERRORS as exc:
        raise csv_error(path, exc) from exc
    # A list comprehension strips a million values ~15x faster than ``Series.str.strip``.
    return pd.DataFrame(
        {str(c).strip().lower(): np.array([v.strip() for v in frame[c].to_numpy(dtype=object)],
                                          dtype=object)
         for c in frame.columns},
        index=frame.index, dtype=object,
    )


def _parse_csv(path: Path, encoding: str) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("error", pd.errors.ParserWarning)
        return pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False,
                           index_col=False, skip_blank_lines=False, encoding=encoding)


def _read_parquet_table(path: Path) -> pd.DataFrame:
    try:
        frame = pd.read_parquet(path)
    except ImportError as exc:
        raise RegionError(
            path.name, f"reading Parquet needs pyarrow, which is missing ({exc})") from exc
    except Exception as exc:  # pyarrow raises many unrelated types for a damaged file
        raise _cannot_read(path, exc) from exc
    if isinstance(frame, gpd.GeoDataFrame):
        frame = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    return pd.DataFrame(
        {str(c).strip().lower(): column_text(frame[c]) for c in frame.columns},
        index=frame.index, dtype=object,
    )


def column_text(values: pd.Series) -> np.ndarray:
    """A typed column as stripped text, '' where missing (None, NaN, pd.NA).

    Ids stored as numbers come back as the number's text: an integral float loses its
    '.0' (a GeoJSON id column with one gap is read as float by GDAL).
    """
    missing = values.isna().to_numpy(dtype=bool)
    raw = values.to_numpy(dtype=object)
    if pd.api.types.is_float_dtype(values.dtype):
        text = [_float_text(v) for v in raw]
    else:
        text = [str(v).strip() for v in raw]
    out = np.array(text, dtype=object) if text else np.empty(0, dtype=object)
    out[missing] = ""
    return out


def _float_text(value: object) -> str:
    number = float(value)  # type: ignore[arg-type]
    if not np.isfinite(number):
        return ""
    return str(int(number)) if number.is_integer() else str(number)


def read_layer(path: Path) -> tuple[gpd.GeoDataFrame, np.ndarray]:
    """Read a geometry layer (GeoJSON, GeoPackage, Shapefile, GeoParquet) as read, with rows.

    Reader warnings (GDAL's type guesses, for instance) are logged, not raised: they are about
    the file, and the validation that follows reports what actually matters.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            if path.suffix.lower() == ".parquet":
                frame = gpd.read_parquet(path)
            else:
                frame = gpd.read_file(path, engine="pyogrio")
        except ImportError as exc:
            raise RegionError(path.name, f"reading GeoParquet needs pyarrow ({exc})") from exc
        except Exception as exc:  # pyogrio/GDAL/shapely each raise their own types
            raise _cannot_read(path, exc) from exc
    for warning in caught:
        log.debug("%s: reader said: %s", path.name, warning.message)
    if not isinstance(frame, gpd.GeoDataFrame):
        raise RegionError(path.name, "file has no geometry column")
    if frame.crs is None:
        if path.suffix.lower() != ".geojson":
            log.warning("%s: no CRS given; assuming WGS84 (EPSG:4326)", path.name)
        frame = frame.set_crs(4326)
    frame.columns = [c if c == frame.geometry.name else str(c).strip().lower()
                     for c in frame.columns]
    frame = frame.reset_index(drop=True)
    return frame, np.arange(1, len(frame) + 1, dtype=np.int64)
