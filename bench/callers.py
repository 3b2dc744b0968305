"""IVR caller lookup latency with a large region loaded (issue 15), one command:

    python -m bench callers [--customers 1000000] [--requests 2000]

Starts a real worker like ``python -m bench lookup`` (its set-up: embedded broker, the same
synthetic region), then asks ``GET /api/v1/callers/{phone}`` with a bearer token for random
customers' phone numbers over keep-alive HTTP, one request at a time, and prints p50 / p99 /
max. The baselines, interleaved in the same run on the same server: the customer status
lookup of the same customer (``/api/v1/customers/{id}/status``) and ``GET /healthz``.
The first requests (warm-up, not counted) build the phone book and compile the templates.
Target: p99 under 20 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
from collections import Counter

import aiohttp

from bench.lookup import TOKEN, percentiles, running_worker, synthetic_region

__all__ = ["main"]


async def _measure(port: int, people: list[tuple[str, str]], requests: int
                   ) -> tuple[list[float], list[float], list[float], Counter[str]]:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    base = f"http://127.0.0.1:{port}"
    rng = random.Random(1)
    callers: list[float] = []
    status: list[float] = []
    floor: list[float] = []
    situations: Counter[str] = Counter()
    async with aiohttp.ClientSession(headers=headers) as session:
        for _ in range(50):  # warm-up: phone book, templates
            async with session.get(f"{base}/api/v1/callers/{rng.choice(people)[1]}") as r:
                await r.read()
        for _ in range(requests):
            customer_id, phone = rng.choice(people)
            started = time.perf_counter()
            async with session.get(f"{base}/api/v1/callers/{phone}") as r:
                body = await r.json()
                assert r.status == 200, (r.status, body)
            callers.append(time.perf_counter() - started)
            situations[body["situation"]] += 1
            started = time.perf_counter()
            async with session.get(f"{base}/api/v1/customers/{customer_id}/status") as r:
                await r.read()
                assert r.status == 200, r.status
            status.append(time.perf_counter() - started)
            started = time.perf_counter()
            async with session.get(f"{base}/healthz") as r:
                await r.read()
            floor.append(time.perf_counter() - started)
    return callers, status, floor, situations


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench callers", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--requests", type=int, default=2000)
    args = parser.parse_args(argv)

    region = synthetic_region(args.customers, args.seed)
    people: list[tuple[str, str]] = []
    with (region / "customers.csv").open() as handle:
        header = next(handle).rstrip("\n").split(",")
        id_at, phone_at = header.index("customer_id"), header.index("phone")
        for line in handle:
            fields = line.rstrip("\n").split(",")
            if fields[phone_at]:
                people.append((fields[id_at], fields[phone_at]))
    with running_worker(region) as port:
        print(f"{len(people):,} customers with a phone number", flush=True)
        callers, status, floor, situations = asyncio.run(_measure(port, people, args.requests))
    print(f"caller lookup ({args.requests:,} requests; situations {dict(situations)}): "
          f"{percentiles(callers)} (target p99 < 20 ms)")
    print(f"baseline customer status lookup, same customers: {percentiles(status)}")
    print(f"baseline GET /healthz on the same server: {percentiles(floor)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
