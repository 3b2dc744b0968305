"""Index artifacts: a built ``RegionIndex`` on disk, versioned, memory-mapped on load.

Why: joining a million customers takes seconds and a gigabyte; a worker that starts (or
restarts after a crash) should not pay that. ``forewarn index build REGION --out DIR``
builds once and publishes; every worker loads the arrays memory-mapped, so N workers on
one host share one copy in the page cache.

Layout of ``DIR``::

    CURRENT                        the name of the newest complete version (one line)
    v20240101T120000Z-3f2a9c1d/    one version: manifest.json, *.npy, customers.parquet
    ...

Publishing is atomic: a version is written under a temporary name, renamed into place,
and only then ``CURRENT`` is replaced (``os.replace``). A reader therefore never sees a
half-written version, and ``IndexWatcher.poll`` picks up a new one without a restart.
``manifest.json`` holds ``format_version`` (the layout; a reader refuses others), the
``version``, the ``region_checksum`` (sha256 over the region's files) and counts.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pyproj
import shapely

from forewarn.errors import RegionError
from forewarn.geo._csr import Csr
from forewarn.geo._graph import ElementGraph
from forewarn.geo._routes import RouteIndex
from forewarn.geo._state import CUSTOMER_FIELDS, IndexState
from forewarn.geo.index import RegionIndex

__all__ = ["FORMAT_VERSION", "IndexWatcher", "current_version", "new_version",
           "publish", "read_state", "region_checksum", "version_dir", "write_index"]

FORMAT_VERSION = 1
_CSRS = ("cover", "serving", "attached")
_ARRAYS = ("mobile", "fibre", "lonlat", "order", "tech", "places")


def region_checksum(region_dir: Path) -> str:
    """sha256 over the names and bytes of the region's files (sorted): same data, same sum."""
    digest = hashlib.sha256()
    for file in sorted(p for p in Path(region_dir).iterdir() if p.is_file()):
        digest.update(file.name.encode() + b"\0")
        with file.open("rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def current_version(folder: Path) -> str | None:
    """The version ``CURRENT`` names in ``folder``, or None when nothing is published."""
    try:
        return (Path(folder) / "CURRENT").read_text(encoding="utf-8").strip() or None
    except FileNotFoundError:
        return None


def write_index(index: RegionIndex, folder: Path, region_dir: Path, *, keep: int = 3) -> Path:
    """Write ``index`` as a new version in ``folder``, publish it, prune all but ``keep``."""
    folder = Path(folder)
    checksum = region_checksum(region_dir)
    version, tmp = new_version(folder, checksum)
    s = index._state
    for name in _ARRAYS:
        np.save(tmp / f"{name}.npy", np.asarray(getattr(s, name)))
    for name, csr in (*((n, getattr(s, n)) for n in _CSRS), ("up", s.graph.up),
                      ("down", s.graph.down)):
        np.save(tmp / f"{name}.indptr.npy", csr.indptr)
        np.save(tmp / f"{name}.indices.npy", csr.indices)
    columns = {"customer_id": pa.array(s.customer_ids, pa.string())}
    columns.update({k: pa.array(list(s.fields[k])) for k in CUSTOMER_FIELDS})
    pq.write_table(pa.table(columns), tmp / "customers.parquet")
    manifest: dict[str, Any] = {
        "format": "forewarn-index", "format_version": FORMAT_VERSION, "version": version,
        "region_checksum": checksum, "region": str(region_dir),
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "crs": s.crs.to_wkt(), "notes": list(s.notes),
        "elements": {"ids": s.graph.ids, "types": s.graph.types},
        "counts": {"customers": len(s.customer_ids), "elements": len(s.graph.ids)},
    }
    if s.routes is not None:
        manifest["routes"] = {"ids": s.routes.ids,
                              "wkb": [w.hex() for w in shapely.to_wkb(s.routes.lines)]}
        np.save(tmp / "routes.indptr.npy", s.routes.feeds.indptr)
        np.save(tmp / "routes.indices.npy", s.routes.feeds.indices)
    (tmp / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return publish(folder, tmp, version, keep=keep)


def new_version(folder: Path, checksum: str) -> tuple[str, Path]:
    """A fresh version name and the hidden temporary folder to write it in."""
    folder.mkdir(parents=True, exist_ok=True)
    version = f"v{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}-{checksum[:8]}"
    if (folder / version).exists():
        version = f"{version}-{time.time_ns() % 10**9:09d}"
    tmp = folder / f".tmp-{version}"
    tmp.mkdir()
    return version, tmp


def publish(folder: Path, tmp: Path, version: str, *, keep: int = 3) -> Path:
    """Rename the complete ``tmp`` into place, then point ``CURRENT`` at it (atomically),
    then prune all but ``keep`` versions: a reader never sees a half-written version."""
    final = folder / version
    tmp.rename(final)
    pointer = folder / f".CURRENT-{version}"
    pointer.write_text(version + "\n", encoding="utf-8")
    os.replace(pointer, folder / "CURRENT")
    _prune(folder, keep, version)
    return final


def _prune(folder: Path, keep: int, current: str) -> None:
    """Remove old versions. A worker still mapping one keeps its data: unlinked files stay
    readable while mapped (POSIX)."""
    versions = sorted((p for p in folder.iterdir() if p.is_dir() and p.name.startswith("v")
                       and p.name != current), key=lambda p: (p.stat().st_mtime_ns, p.name))
    for old in versions[:max(0, len(versions) - (keep - 1))]:
        shutil.rmtree(old, ignore_errors=True)


def version_dir(folder: Path) -> Path:
    """The version folder ``CURRENT`` names in ``folder`` (or ``folder`` itself when it is one)."""
    if (folder / "manifest.json").is_file():
        return folder
    version = current_version(folder)
    if version is None:
        raise RegionError(str(folder), "no index published here (no CURRENT, no manifest.json)")
    return folder / version


def read_state(folder: Path) -> IndexState:
    """The arrays of the version ``CURRENT`` names (or of ``folder`` itself), memory-mapped."""
    path = version_dir(Path(folder))
    try:
        manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise RegionError(str(path / "manifest.json"), f"cannot read index manifest: {exc}") \
            from None
    if manifest.get("format_version") != FORMAT_VERSION:
        raise RegionError(str(path), f"index format_version {manifest.get('format_version')} "
                          f"is not {FORMAT_VERSION}; rebuild it with `forewarn index build`")

    def load(name: str) -> np.ndarray:
        # A plain ndarray view of the map: same pages, without np.memmap's per-index
        # Python overhead (it doubles the time of a storm's gathers).
        return np.asarray(np.load(path / f"{name}.npy", mmap_mode="r"))

    def csr(name: str) -> Csr:
        return Csr(load(f"{name}.indptr"), load(f"{name}.indices"))

    table = pq.read_table(path / "customers.parquet")
    ids = table.column("customer_id").to_numpy(zero_copy_only=False).tolist()
    fields = {k: table.column(k).to_numpy(zero_copy_only=False).astype(object)
              for k in CUSTOMER_FIELDS}
    element_ids = list(manifest["elements"]["ids"])
    graph = ElementGraph(ids=element_ids, position={e: k for k, e in enumerate(element_ids)},
                         types=list(manifest["elements"]["types"]), up=csr("up"),
                         down=csr("down"))
    crs = pyproj.CRS.from_wkt(manifest["crs"])
    routes = None
    if "routes" in manifest:
        lines = shapely.from_wkb([bytes.fromhex(w) for w in manifest["routes"]["wkb"]])
        routes = RouteIndex(list(manifest["routes"]["ids"]), csr("routes"),
                            np.asarray(lines, dtype=object), crs)
    return IndexState(
        customer_ids=ids, fields=fields, mobile=load("mobile"), fibre=load("fibre"),
        lonlat=load("lonlat"), order=load("order"), graph=graph, cover=csr("cover"),
        serving=csr("serving"), attached=csr("attached"), tech=load("tech"),
        places=load("places"), routes=routes, crs=crs, notes=tuple(manifest["notes"]),
    )


class IndexWatcher:
    """Hot reload: ``poll()`` returns a freshly loaded index when ``CURRENT`` names a
    version other than the one last returned, else None. Cheap (one small file read), so
    a worker can poll every few seconds between messages."""

    def __init__(self, folder: Path,
                 load: Callable[[Path], RegionIndex] = RegionIndex.load) -> None:
        self.folder = Path(folder)
        self.version: str | None = None
        self.load = load  # a worker's: a sliced version with the slices it needs

    def poll(self) -> RegionIndex | None:
        version = current_version(self.folder)
        if version is None or version == self.version:
            return None
        index = self.load(self.folder / version)
        self.version = version
        return index
