"""``forewarn replay``: feed an alarm log through the real pipeline in event time.

The log is sorted by event time (stable; lines that are not alarms keep their place and are
dead-lettered by the pipeline), produced to one partition of ``alarms.raw`` so the network
sees it in order, followed by a drain marker. Only event time moves the clocks (no wall-clock
ticks); the drain fires every pending decision at its rule's instant. Delivery is a dry run:
every delivered record is written to ``--out``, sorted, so the same input gives the same file
(all fields but ``delivered_at``).

``--incidents`` writes the network stage's incident events (CONTRACT §8), sorted by (``at``,
``incident_id``, ``event``). Their calls-saved counts are split after the drain from the
notifications delivered (``decided_at``: event time), so they are deterministic too.

Paths are checked before the broker starts (``forewarn.paths``); the output is written to a
``.tmp`` beside it and renamed, and the ``.tmp`` is removed on every failure. SIGTERM/SIGINT
end a replay within ``signals.EXIT_BOUND_S`` with ``Interrupted`` and no output.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from dataclasses import dataclass, replace
from pathlib import Path

from forewarn.config import Settings
from forewarn.domain import Notification, to_iso
from forewarn.paths import PathError, describe_os_error, output_file, read_utf8
from forewarn.streams import records
from forewarn.streams.input.normalise import parse_line
from forewarn.streams.kafka.app import PipelineOptions, build_pipeline
from forewarn.streams.kafka.embedded_broker import open_broker
from forewarn.streams.kafka.hooks import PipelineHooks
from forewarn.streams.kafka.input_producer import InputProducer
from forewarn.streams.kafka.runner import run_command, running_worker
from forewarn.streams.kafka.signals import StopRequest
from forewarn.streams.kafka.tls import aiokafka_security
from forewarn.streams.network.calls_saved import told_at_from
from forewarn.streams.network.incident_lifecycle import IncidentEvent

__all__ = ["ReplaySummary", "check_paths", "incident_records", "ordered_lines", "replay",
           "write_atomically"]

log = logging.getLogger(__name__)


@dataclass
class ReplaySummary:
    lines: int
    rejected: int
    notifications: int
    unknown_elements: int
    incident_events: int = 0


async def _dry_run(notification: Notification) -> Notification:
    """Replay never contacts customers: delivery only stamps the record."""
    return replace(notification, delivered_at=to_iso(time.time()))


def ordered_lines(path: Path) -> list[str]:
    """Non-blank lines, alarms stably sorted by event time; unparseable lines keep their slot."""
    lines = [line for line in read_utf8(path, "alarm log").splitlines() if line.strip()]
    keyed: list[tuple[float, int, str]] = []
    last = float("-inf")
    for position, line in enumerate(lines):
        times = [r.event_time for r in parse_line(line).records if r.event_time is not None]
        if times:
            last = min(times)
        keyed.append((last, position, line))
    keyed.sort(key=lambda item: (item[0], item[1]))
    return [line for _, _, line in keyed]


def check_paths(alarms: Path, out: Path, incidents: Path | None = None) -> None:
    """Raise ``PathError`` naming the path unless the log can be read and ``out`` (and
    ``incidents``) written."""
    read_utf8(alarms, "alarm log")
    output_file(out, "--out")
    output_file(_tmp_of(out), "--out temporary file")
    if incidents is not None:
        output_file(incidents, "--incidents")
        output_file(_tmp_of(incidents), "--incidents temporary file")


def replay(region_index: object, alarms: Path, out: Path, settings: Settings,
           incidents: Path | None = None) -> ReplaySummary:
    """Run the replay and write ``out`` (and ``incidents``); returns counts for the caller
    to report."""
    check_paths(alarms, out, incidents)
    return run_command(_replay(region_index, alarms, out, settings, incidents))


def _tmp_of(out: Path) -> Path:
    return out.with_name(out.name + ".tmp")


def write_atomically(out: Path, records: list[dict[str, object]], option: str = "--out") -> None:
    """JSON lines to ``out`` via ``out.tmp`` and a rename; the ``.tmp`` never stays behind.
    ``option`` names the path in an error."""
    tmp = _tmp_of(out)
    try:
        with tmp.open("w", encoding="utf-8") as handle:
            for record in records:
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        tmp.replace(out)
    except OSError as exc:
        raise PathError(describe_os_error(exc, f"cannot write {option}", out)) from None
    finally:
        tmp.unlink(missing_ok=True)


class _ReplayHooks(PipelineHooks):
    """Collects every delivered record; ``all_drained`` is set once the drain record with
    ``token`` has passed every partition's delivery stage (everything is delivered)."""

    def __init__(self, token: str, partitions: int) -> None:
        self.token = token
        self.partitions = partitions
        self.delivered: list[dict[str, object]] = []
        self.incident_events: list[IncidentEvent] = []
        self.drained: set[int] = set()
        self.all_drained = asyncio.Event()

    def on_delivered(self, notification: Notification) -> None:
        self.delivered.append(notification.record())

    def on_incident_event(self, event: IncidentEvent) -> None:
        self.incident_events.append(event)

    def on_drained(self, partition: int, token: str) -> None:
        if token == self.token:
            self.drained.add(partition)
            if len(self.drained) == self.partitions:
                self.all_drained.set()


def incident_records(events: list[IncidentEvent],
                     notifications: list[dict[str, object]]) -> list[dict[str, object]]:
    """The incident events as written: calls saved split by the notifications' ``decided_at``
    (who was told, and when, in event time), sorted by (``at``, ``incident_id``, ``event``)."""
    told = told_at_from(notifications)
    written: list[dict[str, object]] = []
    for event in sorted(events, key=IncidentEvent.sort_key):
        told_at: dict[str, float] = {}
        for incident_id in event.told_ids if event.final else ():
            for customer, at in told.get(incident_id, {}).items():
                told_at[customer] = min(at, told_at.get(customer, at))
        written.append(event.record(told_at))
    return written


async def _replay(index: object, alarms: Path, out: Path, settings: Settings,
                  incidents: Path | None = None) -> ReplaySummary:
    stop = StopRequest()
    stop.install()
    lines = ordered_lines(alarms)
    token = uuid.uuid4().hex
    hooks = _ReplayHooks(token, settings.kafka.partitions)

    with open_broker() as broker:
        stop.raise_if_requested()
        prefix = "" if broker.embedded else f"forewarn.replay.{token[:12]}."
        pipeline = build_pipeline(index, PipelineOptions(
            bootstrap=broker.bootstrap, settings=settings, deliver=_dry_run,
            live=False, topic_prefix=prefix,
            app_id=f"forewarn-replay-{token[:12]}",
            hooks=hooks,
        ))
        async with running_worker(pipeline.app, stop=stop):
            security = {} if broker.embedded else aiokafka_security(settings.kafka)
            async with InputProducer(broker.bootstrap, security) as producer:
                await stop.run_until(producer.send_all(
                    pipeline.topics.alarms_raw,
                    [line.encode() for line in [*lines, json.dumps(records.drain_record(token))]]))
            await stop.run_until(hooks.all_drained.wait())
        rejected = pipeline.normalise.rejected
        unknown = pipeline.network.correlator.unknown_elements
    stop.raise_if_requested()
    delivered = hooks.delivered
    delivered.sort(key=lambda r: (str(r["decided_at"]), str(r["customer_id"]), str(r["stage"]),
                                  str(r["notification_id"])))
    write_atomically(out, delivered)
    events = hooks.incident_events
    if incidents is not None:
        write_atomically(incidents, incident_records(events, delivered), "--incidents")
    return ReplaySummary(len(lines), rejected, len(delivered), unknown, len(events))
