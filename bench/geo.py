"""Benchmark of forewarn.geo against issue 3's targets (one command).

    python -m bench geo [--customers 1000000] [--fibre-areas 5000] [--seed 1] [--region DIR]
                        [--runs 15]

A synthetic region (1M customers, ~25k overlapping sector cells, ~5k fibre areas) is
written once; then two child processes, so that each one's peak RSS is its own:

* ``baseline``: a plain ``geopandas.sjoin`` of the same customer points and cells
  (frames read beforehand, only the join is timed);
* ``index``: ``load_region`` + ``RegionIndex.build``, then the median of ``--runs``
  impacts of a 200-cell storm and of a 2-OLT outage, then writing and loading the index
  artifact.

Targets (2 cores): build <= 1.3x the baseline and < 30 s; peak RSS < 2 GB; storm < 20 ms;
2 OLTs < 5 ms. Prints one line per figure and a PASS/FAIL summary; exit code 0 either way
(timings on a shared machine are noisy: see BENCHMARKS.md).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

__all__ = ["main"]

T = TypeVar("T")


def _timed(step: Callable[[], T]) -> tuple[T, float]:
    start = time.perf_counter()
    result = step()
    return result, time.perf_counter() - start


def _median_ms(step: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        _, seconds = _timed(step)
        times.append(seconds)
    return float(np.median(times) * 1000)


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def baseline(folder: Path) -> dict[str, Any]:
    """Plain sjoin of every customer point with every cell polygon."""
    import geopandas as gpd
    import pandas as pd

    frame = pd.read_csv(folder / "customers.csv", usecols=["lon", "lat"])
    points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(frame["lon"], frame["lat"]), crs=4326)
    cells = gpd.read_file(folder / "cells.geojson", engine="pyogrio")
    joined, seconds = _timed(lambda: gpd.sjoin(points, cells, predicate="intersects"))
    return {"sjoin_s": seconds, "pairs": len(joined), "points": len(points),
            "cells": len(cells), "baseline_rss_mb": _peak_mb()}


def _built(folder: Path) -> tuple[Any, float, float]:
    """(index, load seconds, build seconds); the region frames are freed on return."""
    from forewarn.geo import RegionIndex, load_region

    region, load_s = _timed(lambda: load_region(folder))
    index, build_s = _timed(lambda: RegionIndex.build(region))
    return index, load_s, build_s


def index_figures(folder: Path, runs: int, seed: int) -> dict[str, Any]:
    from forewarn.geo import RegionIndex
    from forewarn.geo.artifact import write_index

    index, load_s, build_s = _built(folder)
    rss = _peak_mb()
    ids = index.element_ids
    cells = [e for e in ids if index.element_type(e) == "cell"]
    olts = sorted(e for e in ids if index.element_type(e) == "olt")[:2]
    rng = np.random.default_rng(seed)
    storm = set(rng.choice(cells, size=min(200, len(cells)), replace=False).tolist())
    hit = index.impact(storm)
    olt_hit = index.impact(set(olts))
    figures: dict[str, Any] = {
        "load_s": load_s, "build_s": build_s, "index_rss_mb": rss,
        "customers": len(index), "n_cells": len(cells), "elements": len(ids),
        "fibre_nodes": sum(1 for e in ids if index.element_type(e) == "pon"),
        "storm_ms": _median_ms(lambda: index.impact(storm), runs),
        "storm_out": {k: len(v) for k, v in hit.items()},
        "storm_degraded_ms": _median_ms(lambda: index.degraded_positions(storm), runs),
        "olt_ms": _median_ms(lambda: index.impact(set(olts)), runs),
        "olt_out": {k: len(v) for k, v in olt_hit.items()},
        "dependents_one_cell_ms": _median_ms(lambda: index.dependents([cells[0]]), runs),
    }
    with tempfile.TemporaryDirectory() as tmp:
        _, figures["artifact_write_s"] = _timed(lambda: write_index(index, Path(tmp), folder))
        loaded, figures["artifact_load_s"] = _timed(lambda: RegionIndex.load(Path(tmp)))
        figures["loaded_storm_ms"] = _median_ms(lambda: loaded.impact(storm), runs)
        assert loaded.impact(storm) == hit, "a loaded index must answer like the built one"
    figures["peak_rss_mb"] = _peak_mb()
    return figures


def _child(step: str, folder: Path, runs: int, seed: int) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-m", "bench", "geo", "--step", step, "--region", str(folder),
         "--runs", str(runs), "--seed", str(seed)],
        check=True, stdout=subprocess.PIPE, text=True)
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def run(folder: Path, customers: int, fibre_areas: int, seed: int, runs: int) -> dict[str, Any]:
    from forewarn.geo import write_synthetic_region

    if not (folder / "customers.csv").exists():
        _, seconds = _timed(lambda: write_synthetic_region(folder, customers, seed,
                                                           fibre_areas=fibre_areas))
        print(f"synth {customers} customers {seconds:8.1f} s", file=sys.stderr, flush=True)
    base = _child("baseline", folder, runs, seed)
    fig = _child("index", folder, runs, seed)
    ratio = fig["build_s"] / base["sjoin_s"]
    print(f"region: {fig['customers']} customers, {fig['n_cells']} cells, "
          f"{fig['fibre_nodes']} fibre nodes, {fig['elements']} elements")
    print(f"baseline geopandas.sjoin (points x cells) {base['sjoin_s']:8.2f} s  "
          f"({base['pairs']} pairs, RSS {base['baseline_rss_mb']:.0f} MB)")
    print(f"load_region                               {fig['load_s']:8.2f} s")
    print(f"RegionIndex.build                         {fig['build_s']:8.2f} s  "
          f"ratio {ratio:.2f}x  {_verdict(ratio <= 1.3 and fig['build_s'] < 30)} "
          "(<= 1.3x, < 30 s)")
    print(f"peak RSS (load_region + build)            {fig['index_rss_mb']:8.0f} MB "
          f"{_verdict(fig['index_rss_mb'] < 2048)} (< 2 GB); whole child incl. artifact "
          f"{fig['peak_rss_mb']:.0f} MB")
    print(f"impact(200-cell storm), median of {runs:<3}     {fig['storm_ms']:8.2f} ms "
          f"{_verdict(fig['storm_ms'] < 20)} (< 20 ms)  out {fig['storm_out']}")
    print(f"degraded(200-cell storm)                  {fig['storm_degraded_ms']:8.2f} ms")
    print(f"impact(2 OLTs), median                    {fig['olt_ms']:8.2f} ms "
          f"{_verdict(fig['olt_ms'] < 5)} (< 5 ms)  out {fig['olt_out']}")
    print(f"dependents(one cell)                      {fig['dependents_one_cell_ms']:8.2f} ms")
    print(f"index artifact write / load               {fig['artifact_write_s']:8.2f} s / "
          f"{fig['artifact_load_s']:.2f} s (storm on loaded: {fig['loaded_storm_ms']:.2f} ms)")
    return {**base, **fig, "ratio": ratio}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench geo",
                                     description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--fibre-areas", type=int, default=5_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--region", type=Path, help="reuse or keep the region here")
    parser.add_argument("--step", choices=("baseline", "index"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.step:
        step = baseline(args.region) if args.step == "baseline" else index_figures(
            args.region, args.runs, args.seed)
        print(json.dumps(step))
        return 0
    if args.region:
        args.region.mkdir(parents=True, exist_ok=True)
        run(args.region, args.customers, args.fibre_areas, args.seed, args.runs)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        run(Path(tmp), args.customers, args.fibre_areas, args.seed, args.runs)
    return 0


if __name__ == "__main__":
    main()
