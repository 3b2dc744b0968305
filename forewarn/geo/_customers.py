"""Validating and normalising the customers table (CONTRACT §2) into a point layer.

Every check is vectorised or runs over the *distinct* values of a column (services,
channels, timezones take a handful of values), because regions hold millions of customers.
The first offending record is reported with its row number (see ``_files`` for how rows
are counted) so an operator can jump straight to it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import geopandas as gpd
import numpy as np
import pandas as pd

from forewarn.domain import CHANNELS, SERVICES
from forewarn.errors import RegionError

__all__ = [
    "DEFAULT_TIMEZONE",
    "LANGUAGES",
    "OPTIONAL_COLUMNS",
    "REQUIRED_COLUMNS",
    "validate_customers",
]

log = logging.getLogger("forewarn.geo")

REQUIRED_COLUMNS: tuple[str, ...] = ("customer_id", "lon", "lat", "services")
OPTIONAL_COLUMNS: tuple[str, ...] = (
    "fibre_node_id", "language", "channels", "phone", "email", "push_token", "priority",
    "timezone",
)
DEFAULT_TIMEZONE = "Europe/Berlin"
LANGUAGES: tuple[str, ...] = ("de", "en")
_ADDRESS_COLUMNS = ("fibre_node_id", "phone", "email", "push_token")


def validate_customers(frame: pd.DataFrame, rows: np.ndarray, file: str) -> gpd.GeoDataFrame:
    """Check every customer record and return WGS84 points with normalised columns.

    Normalised: ``services``/``channels`` canonical ``;``-joined text; ``language``,
    ``fibre_node_id``, ``phone``, ``email``, ``push_token`` are None when empty;
    ``priority`` an int (empty -> 0); ``timezone`` an IANA name (empty -> Europe/Berlin).
    Columns the contract does not name are kept as text.
    """
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        have = ", ".join(frame.columns)
        hint = " — is the file ';'-separated? use commas" if ";" in have else ""
        raise RegionError(file, f"missing column '{missing[0]}' (have: {have}){hint}")
    absent = [c for c in OPTIONAL_COLUMNS if c not in frame.columns and c not in _ADDRESS_COLUMNS]
    if absent:
        log.warning("%s: no column %s; using defaults", file, ", ".join(absent))

    ids = frame["customer_id"].to_numpy(dtype=object)
    _reject_empty(ids, rows, file, "customer_id")
    _reject_duplicates(frame["customer_id"], rows, file, "customer_id")
    lon = _coordinate(frame["lon"], rows, file, "lon", 180.0)
    lat = _coordinate(frame["lat"], rows, file, "lat", 90.0)

    out = pd.DataFrame(index=pd.RangeIndex(len(frame)))
    out["customer_id"] = pd.Series(ids, dtype=object)
    out["lon"] = lon
    out["lat"] = lat
    out["services"] = _by_value(frame["services"], rows, file, _parse_services)
    out["fibre_node_id"] = _optional_text(frame, "fibre_node_id")
    out["language"] = _by_value(_column(frame, "language"), rows, file, _parse_language)
    out["channels"] = _by_value(_column(frame, "channels"), rows, file, _parse_channels)
    for column in ("phone", "email", "push_token"):
        out[column] = _optional_text(frame, column)
    priority = _by_value(_column(frame, "priority"), rows, file, _parse_priority)
    out["priority"] = priority.astype(np.int64)
    out["timezone"] = _by_value(_column(frame, "timezone"), rows, file, _parse_timezone)
    for column in frame.columns:
        if column not in out.columns:
            out[column] = frame[column].to_numpy(dtype=object)
    return gpd.GeoDataFrame(out, geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326")


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    if name in frame.columns:
        return frame[name]
    return pd.Series([""] * len(frame), dtype=object)


def _optional_text(frame: pd.DataFrame, name: str) -> pd.Series:
    values = _column(frame, name).to_numpy(dtype=object).copy()
    values[values == ""] = None
    return pd.Series(values, dtype=object)


def _reject_empty(values: np.ndarray, rows: np.ndarray, file: str, column: str) -> None:
    empty = np.flatnonzero(values == "")
    if empty.size:
        raise RegionError(file, f"{column} is empty", int(rows[empty[0]]))


def _reject_duplicates(ids: pd.Series, rows: np.ndarray, file: str, column: str) -> None:
    """Name the first id that occurs twice and both rows, so both records can be compared."""
    dup = ids.duplicated(keep=False).to_numpy()
    if not dup.any():
        return
    first = np.flatnonzero(dup)[0]
    value = ids.iloc[first]
    same = np.flatnonzero(ids.to_numpy(dtype=object) == value)
    raise RegionError(
        file,
        f"duplicate {column} '{value}' (rows {rows[same[0]]} and {rows[same[1]]})",
        int(rows[same[1]]),
    )


def _coordinate(text: pd.Series, rows: np.ndarray, file: str, column: str,
                limit: float) -> np.ndarray:
    values = pd.to_numeric(text, errors="coerce").to_numpy(dtype=np.float64)
    bad = np.flatnonzero(~np.isfinite(values) | (np.abs(values) > limit))
    if bad.size:
        i = bad[0]
        raw = text.iloc[i]
        if raw == "":
            problem = f"{column} is empty"
        elif not np.isfinite(values[i]):
            problem = f"{column} '{raw}' is not a number"
        else:
            problem = f"{column} {raw} is outside -{limit:g}..{limit:g}"
        raise RegionError(file, problem, int(rows[i]))
    return values


def _by_value(text: pd.Series, rows: np.ndarray, file: str,
              parse: Callable[[str], object]) -> pd.Series:
    """Parse each distinct value once; a ValueError names the first row holding that value."""
    codes, uniques = pd.factorize(text.to_numpy(dtype=object), use_na_sentinel=False)
    parsed = np.empty(len(uniques), dtype=object)
    for k, raw in enumerate(uniques):
        try:
            parsed[k] = parse(str(raw))
        except ValueError as exc:
            first = int(np.flatnonzero(codes == k)[0])
            raise RegionError(file, str(exc), int(rows[first])) from None
    return pd.Series(parsed[codes] if len(codes) else np.empty(0, dtype=object), dtype=object)


def _tokens(raw: str) -> list[str]:
    return [t.strip().lower() for t in raw.split(";") if t.strip()]


def _parse_services(raw: str) -> str:
    tokens = _tokens(raw)
    expected = "expected mobile, fibre or mobile;fibre"
    if not tokens:
        raise ValueError(f"services is empty ({expected})")
    for token in tokens:
        if token not in SERVICES:
            raise ValueError(f"unknown service '{token}' in services '{raw}' ({expected})")
    return ";".join(s for s in SERVICES if s in tokens)


def _parse_channels(raw: str) -> str:
    ordered: list[str] = []
    for token in _tokens(raw):
        if token not in CHANNELS:
            raise ValueError(
                f"unknown channel '{token}' in channels '{raw}' (expected sms, email, push "
                "separated by ;)"
            )
        if token not in ordered:
            ordered.append(token)
    return ";".join(ordered)


def _parse_language(raw: str) -> str | None:
    """Empty means 'config default' (None); 'de-DE' is read as 'de'.

    An unsupported language is not fatal: the customer still needs to be told, so they get
    the configured default language, and the load logs it.
    """
    value = raw.strip().lower().replace("_", "-").split("-")[0]
    if not value:
        return None
    if value not in LANGUAGES:
        log.warning("customers: language '%s' is not supported (de, en); using the default", raw)
        return None
    return value


def _parse_priority(raw: str) -> int:
    if raw == "":
        return 0
    try:
        number = float(raw)
    except ValueError:
        number = float("nan")
    if not np.isfinite(number) or not number.is_integer() or number < 0:
        raise ValueError(f"priority '{raw}' is not 0 (normal) or 1 (priority)")
    return int(number)


def _parse_timezone(raw: str) -> str:
    """An IANA zone name; 'europe/berlin' is read as 'Europe/Berlin' (names are
    case-sensitive on disk, not in people's heads)."""
    if raw == "":
        return DEFAULT_TIMEZONE
    try:
        ZoneInfo(raw)
        return raw
    except (ZoneInfoNotFoundError, ValueError, OSError):
        pass
    canonical = {name.lower(): name for name in available_timezones()}.get(raw.lower())
    if canonical is None:
        raise ValueError(f"unknown timezone '{raw}' (expected an IANA name such as "
                         "Europe/Berlin)")
    return canonical
