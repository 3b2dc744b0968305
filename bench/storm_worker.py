"""One forewarn worker for the storm benchmark: the real pipeline plus timing hooks.

Writes its figures to ``--stats`` (JSON, rewritten every half second) so the parent can
aggregate several workers of one consumer group.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import logging
import signal
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from forewarn.config import CorrelationSettings, KafkaSettings, Settings
from forewarn.domain import Decision, Notification, to_iso
from forewarn.geo import RegionIndex, load_region
from forewarn.streams.kafka.app import PipelineOptions, build_pipeline
from forewarn.streams.kafka.hooks import PipelineHooks
from forewarn.streams.kafka.runner import running_worker

MAX_SAMPLES = 200_000


async def _dry_run(notification: Notification) -> Notification:
    return replace(notification, delivered_at=to_iso(time.time()))


class _StormHooks(PipelineHooks):
    """Times the stages into ``stats``: records correlated, impact latency (from the raw
    record's Kafka timestamp to its customer partition), decisions."""

    def __init__(self, stats: dict[str, Any]) -> None:
        self.stats = stats

    def on_record(self, timestamp: float) -> None:
        stats, now = self.stats, time.time()
        stats["records"] += 1
        stats["first_record"] = stats["first_record"] or now
        stats["last_record"] = now

    def on_impact(self, ingested_at: float, changes: int) -> None:
        stats = self.stats
        if len(stats["latencies"]) < MAX_SAMPLES:
            stats["latencies"].append(time.time() - ingested_at)
        stats["last_impact"] = time.time()
        stats["changes"] += changes
        if len(stats["impact_times"]) < MAX_SAMPLES:
            stats["impact_times"].append((stats["last_impact"], ingested_at, changes))

    def on_delivered(self, notification: Notification) -> None:
        stats = self.stats
        stats["delivered"] += 1
        stats["last_delivered"] = time.time()

    def on_decision(self, decision: Decision) -> None:
        stats, now = self.stats, time.time()
        stats["decisions"] += 1
        stats["first_decision"] = stats["first_decision"] or now
        stats["last_decision"] = now


def _time_collections(stats: dict[str, Any]) -> None:
    """Every run of the cyclic collector once the worker is ready, as ``[start, seconds,
    generation]`` in ``stats["gc"]`` (how much of a fan-out's wall time it takes)."""
    began: list[float] = []

    def callback(phase: str, info: dict[str, Any]) -> None:
        if not stats["ready"]:
            return
        if phase == "start":
            began[:] = [time.time(), time.perf_counter()]
        elif began and len(stats["gc"]) < MAX_SAMPLES:
            stats["gc"].append([began[0], time.perf_counter() - began[1], info["generation"]])

    gc.callbacks.append(callback)


async def _run(args: argparse.Namespace) -> None:
    stats: dict[str, Any] = {"ready": False, "records": 0, "first_record": None,
                             "last_record": None, "latencies": [], "decisions": 0,
                             "first_decision": None, "last_decision": None,
                             "last_impact": None, "changes": 0,
                             "impact_times": [], "gc": [], "delivered": 0,
                             "last_delivered": None}
    _time_collections(stats)

    hooks = _StormHooks(stats)
    index = RegionIndex.build(load_region(Path(args.region)))
    settings = Settings(
        correlation=CorrelationSettings(confirm_after_s=args.confirm, resolve_after_s=300),
        kafka=KafkaSettings(app_id=args.tag, topic_prefix=f"{args.tag}."),
    )
    pipeline = build_pipeline(index, PipelineOptions(
        bootstrap=args.bootstrap, settings=settings, deliver=_dry_run, live=True,
        hooks=hooks,
        app_id=args.tag,
    ))
    stats_file = Path(args.stats)

    def dump() -> None:
        tmp = stats_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(stats))
        tmp.replace(stats_file)

    # kill -USR1 <pid>: every task's stack to the log (a stalled run's post-mortem).
    asyncio.get_running_loop().add_signal_handler(signal.SIGUSR1, _dump_tasks)
    async with running_worker(pipeline.app):
        stats["ready"] = True
        while True:
            dump()
            await asyncio.sleep(0.5)


def _dump_tasks() -> None:
    for task in asyncio.all_tasks():
        print(f"--- {task.get_name()}", file=sys.stderr)
        task.print_stack(limit=12, file=sys.stderr)
    sys.stderr.flush()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--region", required=True)
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--tag", required=True)
    parser.add_argument("--stats", required=True)
    parser.add_argument("--confirm", type=float, default=3600.0)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_run(args))


if __name__ == "__main__":
    main()
