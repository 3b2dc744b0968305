"""Service-desk customer lookup latency with a large region loaded (issue 6), one command:

    python -m bench lookup [--customers 1000000] [--requests 2000] [--index --partitions 4]

Starts a real worker (embedded broker, a synthetic region of ``--customers``), then asks
``GET /api/v1/customers/{id}/status`` with a bearer token for random customers over
keep-alive HTTP, one request at a time, and prints p50 / p99 / max. The baseline in the
same run is ``GET /healthz`` on the same server (the web stack's own floor).
Target: p99 under 50 ms. ``--index``: the worker starts from a sliced index of the region
(built once and reused, as ``bench callers --index``) instead of the region files.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import aiohttp

__all__ = ["TOKEN", "main", "percentiles", "running_worker", "sliced_index", "synthetic_region"]

TOKEN = "bench-lookup-token"


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000  # noqa: E731
    return f"p50 {pick(0.5):.1f} ms, p99 {pick(0.99):.1f} ms, max {ordered[-1] * 1000:.1f} ms"


async def _measure(port: int, ids: list[str], requests: int) -> tuple[list[float], list[float]]:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    base = f"http://127.0.0.1:{port}"
    rng = random.Random(1)
    lookups: list[float] = []
    floor: list[float] = []
    async with aiohttp.ClientSession(headers=headers) as session:
        for _ in range(50):  # warm-up (first use builds caches)
            async with session.get(f"{base}/api/v1/customers/{rng.choice(ids)}/status") as r:
                await r.read()
        for _ in range(requests):
            started = time.perf_counter()
            async with session.get(f"{base}/api/v1/customers/{rng.choice(ids)}/status") as r:
                await r.read()
                assert r.status == 200, r.status
            lookups.append(time.perf_counter() - started)
            started = time.perf_counter()
            async with session.get(f"{base}/healthz") as r:
                await r.read()
            floor.append(time.perf_counter() - started)
    return lookups, floor


def synthetic_region(customers: int, seed: int) -> Path:
    """The synthetic region of ``customers`` (written once, reused by later runs)."""
    from forewarn.geo.synth import write_synthetic_region

    region = Path(tempfile.gettempdir()) / f"forewarn-bench-storm-{customers}-{seed}"
    if not (region / "customers.csv").exists():
        write_synthetic_region(region, customers, seed)
    return region


def sliced_index(region: Path, partitions: int) -> Path:
    """The sliced index of ``region`` with ``partitions`` slices (built once, reused)."""
    from forewarn.geo.slice_build import build_slices

    folder = region.with_name(f"{region.name}-index-{partitions}")
    if not (folder / "CURRENT").exists():
        started = time.monotonic()
        build_slices(region, folder, partitions)
        print(f"sliced index built in {time.monotonic() - started:.0f} s", flush=True)
    return folder


@contextlib.contextmanager
def running_worker(region: Path, config: Path | None = None,
                   index: Path | None = None) -> Iterator[int]:
    """A real ``forewarn worker`` (embedded broker) on ``region`` (or started from the index
    folder ``index`` instead) with the bench token (and ``config``), ready; yields its web
    port and stops it afterwards."""
    from forewarn.streams.kafka.embedded_broker import free_port

    port = free_port()
    env = dict(os.environ, FOREWARN_API_TOKENS=TOKEN)
    env.pop("FOREWARN_BROKER", None)
    exe = Path(sys.executable).with_name("forewarn")
    extra = ["--config", str(config)] if config is not None else []
    source = ["--index", str(index)] if index is not None else ["--region", str(region)]
    proc = subprocess.Popen([str(exe), "worker", *source, "--web-port", str(port), *extra],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        started = time.monotonic()
        while time.monotonic() - started < 900:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=1):
                    break
            except OSError:
                time.sleep(1)
        print(f"worker ready after {time.monotonic() - started:.0f} s", flush=True)
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=90)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench lookup", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--index", action="store_true",
                        help="start the worker from a sliced index of the region")
    parser.add_argument("--partitions", type=int, default=4, help="slices (with --index)")
    args = parser.parse_args(argv)

    region = synthetic_region(args.customers, args.seed)
    with (region / "customers.csv").open() as handle:
        next(handle)
        ids = [line.split(",", 1)[0] for line in handle]
    config, index = None, None
    if args.index:
        index = sliced_index(region, args.partitions)
        config = index.with_name(f"{index.name}.toml")
        config.write_text(f"[kafka]\npartitions = {args.partitions}\n")
    with running_worker(region, config, index) as port:
        print(f"{len(ids):,} customers", flush=True)
        lookups, floor = asyncio.run(_measure(port, ids, args.requests))
    print(f"customer lookup ({args.requests:,} requests): {percentiles(lookups)} "
          "(target p99 < 50 ms)")
    print(f"baseline GET /healthz on the same server: {percentiles(floor)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
