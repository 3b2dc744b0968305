"""Sliced index build and load: 10M customers in P slices, built streaming, mapped per worker.

``python -m bench slices [--customers 10000000] [--partitions 8]`` synthesises the region once
(``forewarn synth``, cached under ``--data``, default ``$FOREWARN_BENCH_DATA`` or
``~/.cache/forewarn-bench``, outside git), then runs each step as its own process and reports
its wall time and peak RSS (``os.wait4``: the child's own maximum resident set):

* ``forewarn index build REGION --out DIR --partitions P`` (target: < 10 min, < 8 GB);
* loading the newest version with all P slices, with P/2, P/4 and 1 slice (what a worker
  of a group of 1, 2, 4 and P workers would map), and one impact query on the loaded set.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

__all__ = ["main"]

_BUILD_LIMIT_S = 600.0
_BUILD_LIMIT_MB = 8192.0
_CPU = [0.0]


def _run(args: list[str]) -> tuple[float, float, str]:
    """(wall seconds, peak RSS in MB, stdout) of one child process; its CPU seconds (user +
    system) in ``_CPU`` (on a shared machine wall time says more about the neighbours)."""
    start = time.monotonic()
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.monotonic() - start
    _CPU[0] = usage.ru_utime + usage.ru_stime
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed with exit code {proc.returncode}")
    return seconds, usage.ru_maxrss / 1024.0, out


def _forewarn() -> str:
    return str(Path(sys.executable).with_name("forewarn"))


def _region(data: Path, customers: int, seed: int) -> tuple[Path, dict[str, Any]]:
    """The cached synthetic region, made once (its synth figures kept beside it)."""
    region = data / f"synth-{customers}-{seed}"
    facts = data / f"synth-{customers}-{seed}.json"
    if not facts.exists():
        seconds, rss, _ = _run([_forewarn(), "synth", str(region), "--customers",
                                str(customers), "--seed", str(seed)])
        facts.write_text(json.dumps({"synth_s": seconds, "synth_rss_mb": rss}))
    return region, dict(json.loads(facts.read_text()))


def load_step(index_dir: Path, partitions: list[int] | None) -> dict[str, Any]:
    """In a child: map the slices, then ask one site's impact (the first element typed
    ``site``) and report times and memory."""
    from forewarn.geo.slices import load_slices

    start = time.monotonic()
    index = load_slices(index_dir, partitions)
    load_s = time.monotonic() - start
    site = next((e for e in index.element_ids if index.element_type(e) == "site"),
                index.element_ids[0])
    start = time.monotonic()
    hit = index.impact({site})
    impact_ms = (time.monotonic() - start) * 1000
    start = time.monotonic()
    index.impact({site})
    again_ms = (time.monotonic() - start) * 1000
    return {"customers": len(index), "load_s": load_s, "rss_mb": _rss_mb(),
            "impact_ms": impact_ms, "impact_again_ms": again_ms,
            "impact_out": sum(len(v) for v in hit.values())}


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024.0
    return float("nan")


def run(data: Path, customers: int, partitions: int, seed: int, *,
        reuse: bool = False) -> dict[str, Any]:
    data.mkdir(parents=True, exist_ok=True)
    region, facts = _region(data, customers, seed)
    print(f"synth {customers:,} customers: {facts['synth_s']:.0f} s, peak RSS "
          f"{facts['synth_rss_mb']:.0f} MB (once; cached in {region})", flush=True)
    out = data / f"index-{customers}-{seed}-p{partitions}"
    figures: dict[str, Any] = {**facts, "loads": {}}
    if not (reuse and (out / "CURRENT").exists()):
        figures.update(_build(region, out, partitions))
    _loads(out, partitions, figures)
    return figures


def _build(region: Path, out: Path, partitions: int) -> dict[str, Any]:
    build_s, build_mb, _ = _run([_forewarn(), "index", "build", str(region), "--out", str(out),
                                 "--partitions", str(partitions)])
    ok = build_s < _BUILD_LIMIT_S and build_mb < _BUILD_LIMIT_MB
    build_cpu = _CPU[0]
    print(f"index build --partitions {partitions}: {build_s:.0f} s ({build_cpu:.0f} s CPU), "
          f"peak RSS {build_mb:.0f} MB "
          f"{'PASS' if ok else 'FAIL'} (< {_BUILD_LIMIT_S:.0f} s, < {_BUILD_LIMIT_MB:.0f} MB)",
          flush=True)
    return {"build_s": build_s, "build_cpu_s": build_cpu, "build_rss_mb": build_mb}


def _loads(out: Path, partitions: int, figures: dict[str, Any]) -> None:
    shares = sorted({partitions, max(1, partitions // 2), max(1, partitions // 4), 1},
                    reverse=True)
    for share in shares:
        wanted = ",".join(str(k) for k in range(share))
        wall, peak, text = _run([sys.executable, "-m", "bench", "slices", "--step", "load",
                                 "--index", str(out), "--slices", wanted])
        step = dict(json.loads(text.strip().splitlines()[-1]))
        figures["loads"][share] = {**step, "peak_rss_mb": peak, "process_s": wall}
        print(f"load {share:>3} of {partitions} slices: {step['customers']:>10,} customers, "
              f"load {step['load_s']:6.1f} s, RSS {step['rss_mb']:6.0f} MB (peak {peak:.0f}), "
              f"impact of one site {step['impact_ms']:.1f} ms, again "
              f"{step['impact_again_ms']:.1f} ms ({step['impact_out']} out)",
              flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench slices",
                                     description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--customers", type=int, default=10_000_000)
    parser.add_argument("--partitions", type=int, default=8)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--data", type=Path, default=Path(os.environ.get(
        "FOREWARN_BENCH_DATA", Path.home() / ".cache" / "forewarn-bench")))
    parser.add_argument("--reuse-index", action="store_true",
                        help="skip the build when the index folder already has a version")
    parser.add_argument("--step", choices=("load",), help=argparse.SUPPRESS)
    parser.add_argument("--index", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--slices", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.step == "load":
        wanted = [int(k) for k in args.slices.split(",")] if args.slices else None
        print(json.dumps(load_step(args.index, wanted)))
        return 0
    run(args.data, args.customers, args.partitions, args.seed, reuse=args.reuse_index)
    return 0
