"""The storm benchmark's baseline: a bare Faust agent that only counts raw alarms.

Same transport settings as forewarn's workers (short session timeout, 100 ms fetch wait),
so the ratio compares forewarn's per-alarm work with the framework's own ceiling.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from typing import Any

from forewarn.streams.kafka.runner import running_worker
from forewarn.streams.kafka.transport import broker_url_for
from forewarn.streams.kafka.worker_app import ClientSettings, WorkerApp


async def _count(bootstrap: str, count: int) -> float:
    app = WorkerApp(f"baseline-{time.time_ns()}", broker=broker_url_for(bootstrap),
                    clients=ClientSettings(fetch_max_wait_ms=100),
                    store="memory://", web_enabled=False, broker_session_timeout=6,
                    broker_heartbeat_interval=1, broker_rebalance_timeout=6,
                    consumer_auto_offset_reset="earliest")
    topic = app.topic("baseline.alarms.raw", value_serializer="raw")
    seen = {"n": 0, "first": 0.0, "last": 0.0}
    done = asyncio.Event()

    @app.agent(topic)
    async def counter(stream: Any) -> None:
        async for _ in stream:
            if seen["n"] == 0:
                seen["first"] = time.perf_counter()
            seen["n"] += 1
            if seen["n"] >= count:
                seen["last"] = time.perf_counter()
                done.set()

    async with running_worker(app):
        await asyncio.wait_for(done.wait(), timeout=600)
    return (count - 1) / max(seen["last"] - seen["first"], 1e-9)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--count", type=int, required=True)
    args = parser.parse_args()
    rate = asyncio.run(_count(args.bootstrap, args.count))
    print(json.dumps({"events_per_s": rate}))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
