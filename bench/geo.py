"""Benchmark of forewarn.geo against the brief's scale targets.

    python -m bench.geo [--customers 1000000] [--seed 1] [--region DIR]

Targets (BRIEF.md, 2 cores): 1M customers and 25k coverage polygons indexed in under a
minute; the impact of a 200-cell storm well under a second. Prints one line per step.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import numpy as np

from forewarn.geo import RegionIndex, load_region, write_synthetic_region

__all__ = ["main"]

T = TypeVar("T")


def _timed(label: str, step: Callable[[], T]) -> T:
    start = time.perf_counter()
    result = step()
    print(f"{label:<34} {time.perf_counter() - start:8.3f} s", flush=True)
    return result


def run(folder: Path, customers: int, seed: int) -> None:
    if not (folder / "customers.csv").exists():
        _timed(f"synth {customers} customers", lambda: write_synthetic_region(folder, customers,
                                                                               seed))
    region = _timed("load_region", lambda: load_region(folder))
    index = _timed("RegionIndex.build", lambda: RegionIndex.build(region))
    cells = [e for e in index.element_ids if index.element_type(e) == "cell"]
    print(f"{len(index)} customers, {len(cells)} cells, {len(index.element_ids)} elements")
    rng = np.random.default_rng(seed)
    storm = set(rng.choice(cells, size=min(200, len(cells)), replace=False).tolist())
    hit = _timed("impact(200-cell storm)", lambda: index.impact(storm))
    print(f"  out: {len(hit['mobile'])} mobile, {len(hit['fibre'])} fibre")
    one = next(iter(storm))
    positions = _timed("dependents(one cell)", lambda: index.dependents([one]))
    _timed("outages(one cell, its dependents)", lambda: index.outages({one}, positions))
    power = next(e for e in index.element_ids if index.element_type(e) == "power")
    positions = _timed("dependents(one power element)", lambda: index.dependents([power]))
    _timed("outages(power, its dependents)", lambda: index.outages({power}, positions))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak:.0f} MB")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--region", type=Path, help="reuse or keep the region here")
    args = parser.parse_args(argv)
    if args.region:
        args.region.mkdir(parents=True, exist_ok=True)
        run(args.region, args.customers, args.seed)
        return
    with tempfile.TemporaryDirectory() as tmp:
        run(Path(tmp), args.customers, args.seed)


if __name__ == "__main__":
    main()
