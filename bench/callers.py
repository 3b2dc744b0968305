"""IVR caller lookup latency with a large region loaded (issue 15), one command:

    python -m bench callers [--customers 1000000] [--requests 2000] [--down OLT-01]
                            [--index --partitions 4]

Starts a real worker like ``python -m bench lookup`` (its set-up: embedded broker, the same
synthetic region; here with ``confirm_after_s = 2`` and the channels writing to a temporary
JSONL file), takes ``--down`` out with an alarm over ``POST /api/v1/alarms`` and waits until
its customers' outage notices stop arriving. Then it asks ``GET /api/v1/callers/{phone}``
with a bearer token over keep-alive HTTP, one request at a time, alternating a random
customer (mostly "no known problem") and a customer of that outage (known outage, told by
which channel at what time: the longest answer), and prints p50 / p99 / max of each. The
baselines, interleaved in the same run on the same server: the customer status lookup of
the same customers (``/api/v1/customers/{id}/status``) and ``GET /healthz``. The first
requests (warm-up, not counted) build the phone book and compile the templates.
Target: p99 under 20 ms.

``--index``: the worker starts from a sliced index of the region (``forewarn index build
--partitions P``, built once into the temporary folder and reused) instead of the region
files: callers are then found through the shared part's phone -> partition map and the
customers read from the slices (one worker holding every slice).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import tempfile
import time
import urllib.request
from collections import Counter
from pathlib import Path

import aiohttp

from bench.lookup import TOKEN, percentiles, running_worker, sliced_index, synthetic_region

__all__ = ["main"]

Person = tuple[str, str]  # customer id, phone


async def _measure(port: int, people: list[Person], out: list[Person], requests: int
                   ) -> tuple[dict[str, list[float]], Counter[str]]:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    base = f"http://127.0.0.1:{port}"
    rng = random.Random(1)
    samples: dict[str, list[float]] = {"random": [], "outage": [], "status": [], "healthz": []}
    situations: Counter[str] = Counter()
    async with aiohttp.ClientSession(headers=headers) as session:
        for _ in range(50):  # warm-up: phone book, templates
            async with session.get(f"{base}/api/v1/callers/{rng.choice(people)[1]}") as r:
                await r.read()
        for n in range(requests):
            kind = "outage" if out and n % 2 else "random"
            customer_id, phone = rng.choice(out if kind == "outage" else people)
            started = time.perf_counter()
            async with session.get(f"{base}/api/v1/callers/{phone}") as r:
                body = await r.json()
                assert r.status == 200, (r.status, body)
            samples[kind].append(time.perf_counter() - started)
            situations[f"{kind}:{body['situation']}{'+told' if body['told'] else ''}"] += 1
            started = time.perf_counter()
            async with session.get(f"{base}/api/v1/customers/{customer_id}/status") as r:
                await r.read()
                assert r.status == 200, r.status
            samples["status"].append(time.perf_counter() - started)
            started = time.perf_counter()
            async with session.get(f"{base}/healthz") as r:
                await r.read()
            samples["healthz"].append(time.perf_counter() - started)
    return samples, situations


def _take_down(port: int, element: str, notices: Path, timeout: float = 300) -> list[str]:
    """Raise a critical alarm on ``element``; the customers told of the outage, once their
    notices have stopped arriving for 5 s."""
    alarm = {"alarm_id": f"bench-{element}", "element_id": element, "state": "raised",
             "severity": "critical",
             "event_time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    request = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/alarms",
                                     data=json.dumps(alarm).encode(), method="POST",
                                     headers={"Authorization": f"Bearer {TOKEN}",
                                              "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        assert response.status == 202, response.status
    started, size, quiet_since = time.monotonic(), -1, time.monotonic()
    while time.monotonic() - started < timeout:
        now_size = notices.stat().st_size if notices.exists() else 0
        if now_size != size:
            size, quiet_since = now_size, time.monotonic()
        elif size > 0 and time.monotonic() - quiet_since > 5:
            break
        time.sleep(0.5)
    lines = notices.read_text().splitlines() if notices.exists() else []
    return sorted({r["customer_id"] for r in map(json.loads, lines) if r["stage"] == "outage"})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench callers", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--down", default="OLT-01", help="element to take out first")
    parser.add_argument("--index", action="store_true",
                        help="start the worker from a sliced index of the region")
    parser.add_argument("--partitions", type=int, default=4, help="slices (with --index)")
    args = parser.parse_args(argv)

    region = synthetic_region(args.customers, args.seed)
    phones: dict[str, str] = {}
    with (region / "customers.csv").open() as handle:
        header = next(handle).rstrip("\n").split(",")
        id_at, phone_at = header.index("customer_id"), header.index("phone")
        for line in handle:
            fields = line.rstrip("\n").split(",")
            if fields[phone_at]:
                phones[fields[id_at]] = fields[phone_at]
    people = list(phones.items())
    with tempfile.TemporaryDirectory(prefix="forewarn-bench-callers-") as tmp:
        notices = Path(tmp) / "notifications.jsonl"
        config = Path(tmp) / "bench.toml"
        kafka = f"[kafka]\npartitions = {args.partitions}\n" if args.index else ""
        config.write_text("[correlation]\nconfirm_after_s = 2\n" + kafka + "".join(
            f'[channels.{c}]\nfile = "{notices}"\n' for c in ("sms", "email", "push")))
        index = sliced_index(region, args.partitions) if args.index else None
        with running_worker(region, config, index) as port:
            print(f"{len(people):,} customers with a phone number", flush=True)
            told = _take_down(port, args.down, notices)
            out = [(c, phones[c]) for c in told if c in phones]
            print(f"{args.down} down: {len(told):,} customers told, {len(out):,} with a phone",
                  flush=True)
            samples, situations = asyncio.run(_measure(port, people, out, args.requests))
    print(f"situations: {dict(sorted(situations.items()))}")
    print(f"caller lookup, random customers ({len(samples['random']):,} requests): "
          f"{percentiles(samples['random'])} (target p99 < 20 ms)")
    if samples["outage"]:
        print(f"caller lookup, customers in the outage ({len(samples['outage']):,} requests): "
              f"{percentiles(samples['outage'])} (target p99 < 20 ms)")
    print(f"baseline customer status lookup, same customers: {percentiles(samples['status'])}")
    print(f"baseline GET /healthz on the same server: {percentiles(samples['healthz'])}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
