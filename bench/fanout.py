"""Fan-out benchmark: one incident, N customers, rendered, policed and delivered.

    python -m bench fanout [--customers 200000] [--apprise-sample 2000] [--aiohttp-sample 20000]

Target (issue 5, 2 cores): at least 2,000 notifications/s to a local webhook, at least 5x
stock apprise ``json://`` and at least 45% of plain keep-alive aiohttp posting the same
pre-rendered bodies, all measured in the same run.

What is measured: outbox batches (500 decisions each, the real message format) of one
incident's outage decisions for N synthetic customers (mixed languages, channels and
timezones, 2% priority) go through ``DeliveryStage.handle`` — decode, idempotency check,
policy, render (cached), dispatch with per-channel limits and retries, pooled HTTP — to a
webhook server on loopback running in its own process (so client and server do not share
one event loop). Every channel's URL points at that webhook; channel rate limits are off
(``rate_per_s = 0``) because the machinery, not a gateway contract, is under test. The
server's own count confirms nothing was lost.

Baselines on the same pre-rendered bodies: stock apprise (``AppriseNotifier``, a new
connection per message) on a sample, extrapolated per second, and a plain keep-alive
``aiohttp`` session posting apprise's payload with as many requests in flight as the
fan-out (``--concurrency``), measured before and after the fan-out and averaged, because
other work on a shared machine moves every figure.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import multiprocessing as mp
import platform
import random
import resource
import sys
import time
from importlib import metadata
from typing import Any

import aiohttp

__all__ = ["main"]

INCIDENT = "INC-BENCH-0001"
T0 = 1_795_356_000.0  # 2026-11-22 14:00 UTC: daytime in every zone used, quiet hours moot
ZONES = ("Europe/Berlin", "Europe/London", "Europe/Vienna", "Europe/Zurich")


# -- the webhook server (separate process) ------------------------------------------------


def _serve(port_out: Any) -> None:  # pragma: no cover - runs in the server process
    from aiohttp import web

    counts: dict[str, int] = {}

    async def receive(request: web.Request) -> web.Response:
        await request.read()
        counts[request.path] = counts.get(request.path, 0) + 1
        return web.Response(body=b'{"ok":true}', content_type="application/json")

    async def count(request: web.Request) -> web.Response:
        return web.json_response(counts)

    async def reset(request: web.Request) -> web.Response:
        counts.clear()
        return web.json_response({})

    async def run() -> None:
        app = web.Application()
        app.router.add_get("/_count", count)
        app.router.add_post("/_reset", reset)
        app.router.add_post("/{tail:.*}", receive)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
        await site.start()
        port_out.put(runner.addresses[0][1])
        await asyncio.Event().wait()

    asyncio.run(run())


async def _server_counts(port: int, *, reset: bool = False) -> dict[str, int]:
    async with aiohttp.ClientSession() as session:
        if reset:
            await (await session.post(f"http://127.0.0.1:{port}/_reset")).read()
            return {}
        async with session.get(f"http://127.0.0.1:{port}/_count") as response:
            return dict(await response.json())


# -- synthetic customers and decisions ----------------------------------------------------


def _customers(n: int, seed: int) -> dict[str, Any]:
    from forewarn.domain import Customer

    rng = random.Random(seed)
    orders = [("sms", "email", "push"), ("push", "sms"), ("email", "sms"), ("sms",)]
    out = {}
    for i in range(n):
        cid = f"C{i:07d}"
        out[cid] = Customer(
            cid, ("mobile", "fibre") if i % 7 == 0 else ("mobile",), rng.choice(("de", "en")),
            orders[rng.randrange(10) % len(orders)], phone=f"+4915{i:09d}",
            email=f"kunde{i}@example.org", push_token=f"fcm:{i:016x}tokentoken",
            priority=int(rng.random() < 0.02), timezone=rng.choice(ZONES),
        )
    return out


def _batches(customers: dict[str, Any]) -> list[dict[str, Any]]:
    from forewarn.domain import Decision, Stage
    from forewarn.streams import records

    items = [records.decision_to_record(Decision(
        cid, INCIDENT, Stage.OUTAGE, c.services, T0, T0 - 120, "confirmed", "power"))
        for cid, c in customers.items()]
    return [{"kind": "decisions", "items": part}
            for part in records.chunks(items, records.DECISION_CHUNK)]


def _settings(port: int, concurrency: int) -> Any:
    from forewarn.config import Settings

    url = (f"json://127.0.0.1:{port}/{{channel}}?:to={{to}}&:notification_id={{notification_id}}"
           "&+Idempotency-Key={notification_id}")
    return Settings.model_validate({
        "channels": {c: {"url": url.replace("{channel}", c), "rate_per_s": 0,
                         "concurrency": concurrency} for c in ("sms", "email", "push")},
        "delivery": {"concurrency": concurrency},
    })


# -- the three measurements ----------------------------------------------------------------


async def _fanout(port: int, customers: dict[str, Any], concurrency: int) -> dict[str, Any]:
    from forewarn.notifiers import Dispatcher
    from forewarn.streams.delivery.policy import DeliveryPolicy, PolicySettings
    from forewarn.streams.delivery.stage import DeliveryStage
    from forewarn.templates import MessageRenderer

    settings = _settings(port, concurrency)
    batches = _batches(customers)
    dispatcher = Dispatcher.from_settings(settings)
    renderer = MessageRenderer()
    stage = DeliveryStage(customers.__getitem__, renderer, dispatcher.deliver, {},
                          policy=DeliveryPolicy(PolicySettings.from_settings(settings),
                                                channels=dispatcher.channels),
                          concurrency=settings.delivery.concurrency)
    await _server_counts(port, reset=True)
    delivered = dead = 0
    started = time.perf_counter()
    mark, marked_at = 0, started
    try:
        for batch in batches:
            result = await stage.handle(batch)
            delivered += len(result.delivered)
            dead += len(result.dead_letters)
            if delivered - mark >= 50_000:  # progress, to see a slowdown as state grows
                now = time.perf_counter()
                print(f"  ... {delivered:,} delivered, last {delivered - mark:,} at "
                      f"{(delivered - mark) / (now - marked_at):,.0f}/s", file=sys.stderr,
                      flush=True)
                mark, marked_at = delivered, now
    finally:
        elapsed = time.perf_counter() - started
        await dispatcher.close()
    received = sum((await _server_counts(port)).values())
    return {"delivered": delivered, "dead": dead, "received": received, "seconds": elapsed,
            "per_s": delivered / elapsed, "cache_hits": renderer.cache_hits,
            "cache_misses": renderer.cache_misses}


def _prerendered(customers: dict[str, Any], count: int) -> list[Any]:
    from forewarn.domain import Decision, Stage
    from forewarn.notifiers import build_notification
    from forewarn.templates import MessageRenderer

    renderer, out = MessageRenderer(), []
    for cid in list(customers)[:count]:
        c = customers[cid]
        decision = Decision(cid, INCIDENT, Stage.OUTAGE, c.services, T0, T0 - 120, "confirmed",
                            "power")
        notification = build_notification(decision, c, renderer)
        if notification is not None:
            out.append(notification)
    return out


async def _stock_apprise(port: int, notifications: list[Any], concurrency: int) -> dict[str, Any]:
    from forewarn.notifiers import AppriseNotifier

    url = f"json://127.0.0.1:{port}/baseline?:to={{to}}&:notification_id={{notification_id}}"
    notifier, limit = AppriseNotifier(url), asyncio.Semaphore(concurrency)

    async def send(n: Any) -> None:
        async with limit:
            await notifier.deliver(n)

    started = time.perf_counter()
    await asyncio.gather(*(send(n) for n in notifications))
    elapsed = time.perf_counter() - started
    return {"count": len(notifications), "seconds": elapsed,
            "per_s": len(notifications) / elapsed}


async def _keepalive_aiohttp(port: int, notifications: list[Any],
                             concurrency: int) -> dict[str, Any]:
    from forewarn.notifiers import PooledJsonNotifier

    url = (f"json://127.0.0.1:{port}/baseline?:to={{to}}&:notification_id={{notification_id}}"
           "&+Idempotency-Key={notification_id}")
    template = PooledJsonNotifier(url)  # only to get apprise's exact payload bytes
    requests = [template.request_for(n) for n in notifications]
    limit = asyncio.Semaphore(concurrency)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as session:

        async def post(req: Any) -> None:
            async with limit, session.post(req.url, data=req.body, headers=req.headers) as r:
                await r.read()
                if r.status != 200:
                    raise RuntimeError(f"HTTP {r.status}")

        started = time.perf_counter()
        await asyncio.gather(*(post(req) for req in requests))
        elapsed = time.perf_counter() - started
    return {"count": len(requests), "seconds": elapsed, "per_s": len(requests) / elapsed}


# -- the command -----------------------------------------------------------------------------


def _versions() -> str:
    names = ("apprise", "aiohttp", "jinja2", "prometheus-client")
    return ", ".join(f"{n} {metadata.version(n)}" for n in names)


async def _run(args: argparse.Namespace, port: int) -> int:
    customers = _customers(args.customers, args.seed)
    print(f"{len(customers)} customers; Python {platform.python_version()}, {_versions()}; "
          f"{mp.cpu_count()} CPUs; {args.concurrency} requests in flight", flush=True)
    sample = _prerendered(customers, max(args.apprise_sample, args.aiohttp_sample))
    await _keepalive_aiohttp(port, sample[:1000], args.concurrency)  # warm both sides up
    before = await _keepalive_aiohttp(port, sample[: args.aiohttp_sample], args.concurrency)
    print(f"baseline keep-alive aiohttp (before): {before['count']} in "
          f"{before['seconds']:.2f} s = {before['per_s']:,.0f}/s", flush=True)
    stock = await _stock_apprise(port, sample[: args.apprise_sample], args.apprise_concurrency)
    print(f"baseline stock apprise json://: {stock['count']} in {stock['seconds']:.2f} s "
          f"= {stock['per_s']:,.0f}/s ({args.apprise_concurrency} in flight)", flush=True)
    fan = await _fanout(port, customers, args.concurrency)
    print(f"forewarn fan-out: {fan['delivered']} delivered ({fan['received']} received by the "
          f"webhook, {fan['dead']} dead letters) in {fan['seconds']:.2f} s = "
          f"{fan['per_s']:,.0f}/s; render cache {fan['cache_hits']} hits, "
          f"{fan['cache_misses']} misses", flush=True)
    after = await _keepalive_aiohttp(port, sample[: args.aiohttp_sample], args.concurrency)
    print(f"baseline keep-alive aiohttp (after): {after['count']} in "
          f"{after['seconds']:.2f} s = {after['per_s']:,.0f}/s", flush=True)
    keepalive = (before["per_s"] + after["per_s"]) / 2  # the machine is shared: bracket it
    vs_apprise, vs_aiohttp = fan["per_s"] / stock["per_s"], fan["per_s"] / keepalive
    checks = [("notifications/s >= 2000", fan["per_s"] >= 2000),
              ("x stock apprise >= 5", vs_apprise >= 5),
              ("share of keep-alive aiohttp >= 45%", vs_aiohttp >= 0.45),
              ("nothing lost", fan["received"] == fan["delivered"] == len(customers))]
    print(f"ratios: {vs_apprise:.1f}x stock apprise, {vs_aiohttp:.0%} of keep-alive aiohttp "
          f"(mean of before/after: {keepalive:,.0f}/s); client peak RSS "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB")
    for name, ok in checks:
        print(f"  {'PASS' if ok else 'FAIL'}  {name}")
    return 0 if all(ok for _, ok in checks) else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench fanout",
                                     description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--customers", type=int, default=200_000)
    parser.add_argument("--apprise-sample", type=int, default=2_000)
    parser.add_argument("--aiohttp-sample", type=int, default=20_000)
    parser.add_argument("--concurrency", type=int, default=32,
                        help="requests in flight, fan-out and keep-alive baseline alike")
    parser.add_argument("--apprise-concurrency", type=int, default=16)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    logging.getLogger("apprise").setLevel(logging.ERROR)
    ctx = mp.get_context("spawn")
    port_queue = ctx.Queue()
    server = ctx.Process(target=_serve, args=(port_queue,), daemon=True)
    server.start()
    try:
        port = int(port_queue.get(timeout=30))
        return asyncio.run(_run(args, port))
    finally:
        server.terminate()
        server.join(timeout=10)


if __name__ == "__main__":
    raise SystemExit(main())
