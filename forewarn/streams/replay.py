"""``forewarn replay``: feed an alarm log through the real pipeline in event time.

The log is sorted by event time (stable; lines that are not alarms keep their place and are
dead-lettered by the pipeline), produced to one partition of ``alarms.raw`` so the network
sees it in order, followed by a drain marker. Only event time moves the clocks (no wall-clock
ticks); the drain fires every pending decision at its rule's instant. Delivery is a dry run:
every delivered record is written to ``--out``, sorted, so the same input gives the same file
(all fields but ``delivered_at``).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from dataclasses import dataclass, replace
from pathlib import Path

from aiokafka import AIOKafkaProducer

from forewarn.config import Settings
from forewarn.domain import Notification, to_iso
from forewarn.streams import records
from forewarn.streams.app import PipelineOptions, build_pipeline
from forewarn.streams.broker import open_broker
from forewarn.streams.normalise import parse_line
from forewarn.streams.runner import running_worker
from forewarn.streams.security import aiokafka_security

__all__ = ["ReplaySummary", "ordered_lines", "replay"]

log = logging.getLogger(__name__)


@dataclass
class ReplaySummary:
    lines: int
    rejected: int
    notifications: int
    unknown_elements: int


async def _dry_run(notification: Notification) -> Notification:
    """Replay never contacts customers: delivery only stamps the record."""
    return replace(notification, delivered_at=to_iso(time.time()))


def ordered_lines(path: Path) -> list[str]:
    """Non-blank lines, alarms stably sorted by event time; unparseable lines keep their slot."""
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    keyed: list[tuple[float, int, str]] = []
    last = float("-inf")
    for position, line in enumerate(lines):
        times = [r.event_time for r in parse_line(line).records if r.event_time is not None]
        if times:
            last = min(times)
        keyed.append((last, position, line))
    keyed.sort(key=lambda item: (item[0], item[1]))
    return [line for _, _, line in keyed]


def replay(region_index: object, alarms: Path, out: Path, settings: Settings) -> ReplaySummary:
    """Run the replay and write ``out``; returns counts for the caller to report."""
    return asyncio.run(_replay(region_index, alarms, out, settings))


async def _replay(index: object, alarms: Path, out: Path, settings: Settings) -> ReplaySummary:
    lines = ordered_lines(alarms)
    token = uuid.uuid4().hex
    delivered: list[dict[str, object]] = []
    drained: set[int] = set()
    all_drained = asyncio.Event()
    partitions = settings.kafka.partitions

    def on_drained(partition: int, seen_token: str) -> None:
        if seen_token == token:
            drained.add(partition)
            if len(drained) == partitions:
                all_drained.set()

    with open_broker() as broker:
        prefix = "" if broker.embedded else f"forewarn.replay.{token[:12]}."
        pipeline = build_pipeline(index, PipelineOptions(
            bootstrap=broker.bootstrap, settings=settings, deliver=_dry_run,
            live=False, topic_prefix=prefix,
            app_id=f"forewarn-replay-{token[:12]}",
            on_delivered=lambda n: delivered.append(n.record()), on_drained=on_drained,
        ))
        async with running_worker(pipeline.app):
            security = {} if broker.embedded else aiokafka_security(settings.kafka)
            producer = AIOKafkaProducer(bootstrap_servers=broker.bootstrap, linger_ms=5,
                                        **security)
            await producer.start()
            try:
                for line in lines:
                    await producer.send(pipeline.topics.alarms_raw, line.encode(), partition=0)
                await producer.send(pipeline.topics.alarms_raw,
                                    json.dumps(records.drain_record(token)).encode(), partition=0)
                await producer.flush()
            finally:
                await producer.stop()
            await all_drained.wait()
        rejected = pipeline.normalise.rejected
        unknown = pipeline.network.correlator.unknown_elements
    delivered.sort(key=lambda r: (str(r["decided_at"]), str(r["customer_id"]), str(r["stage"]),
                                  str(r["notification_id"])))
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(out.suffix + ".tmp")
    with tmp.open("w", encoding="utf-8") as handle:
        for record in delivered:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    tmp.replace(out)
    return ReplaySummary(len(lines), rejected, len(delivered), unknown)
