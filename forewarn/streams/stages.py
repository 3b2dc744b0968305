"""The pipeline's stages as plain classes: what each agent does with one message.

Agents (``forewarn/streams/agents.py``) only decode, call one of these, and send what it
returns, so every decision here is testable with dicts instead of tables and without a
broker. Each stage returns ``(partition, value)`` pairs for its output topic.
"""

from __future__ import annotations

import json
import logging
import math
from collections import Counter
from typing import Any

from forewarn.domain import ImpactChange
from forewarn.errors import AlarmFormatError
from forewarn.streams import records
from forewarn.streams.correlation import NetworkCorrelator
from forewarn.streams.normalise import parse_alarm
from forewarn.streams.partitioning import partition_of

__all__ = ["TICK_EVERY_S", "NetworkStage", "NormaliseStage"]

log = logging.getLogger(__name__)

TICK_EVERY_S = 1.0  # event-time watermark cadence towards customer partitions
Out = list[tuple[int, dict[str, Any]]]


class NormaliseStage:
    """Raw bytes -> an alarm record, or a dead-letter record that says what is wrong."""

    def __init__(self) -> None:
        self.outcomes: Counter[str] = Counter()

    def handle(self, raw: bytes | str | None) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        """``(alarm_or_control_record, None)`` or ``(None, dead_letter_record)``."""
        text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else (raw or "")
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as exc:
            return None, self._dead(text, AlarmFormatError("<record>", f"not valid JSON: {exc.msg}"))
        if records.is_control(obj):
            return obj, None
        try:
            alarm = parse_alarm(obj)
        except AlarmFormatError as exc:
            return None, self._dead(text, exc)
        self.outcomes[f"{alarm.source_format}:accepted"] += 1
        return records.alarm_to_record(alarm), None

    def _dead(self, text: str, exc: AlarmFormatError) -> dict[str, Any]:
        self.outcomes["rejected"] += 1
        log.warning("alarm rejected: %s", exc)
        return {"reason": str(exc), "field": exc.field, "problem": exc.problem, "raw": text[:10_000]}


class NetworkStage:
    """Alarms in network order -> impact batches per customer partition (+ event-time ticks)."""

    def __init__(self, correlator: NetworkCorrelator, partitions: int) -> None:
        self.correlator = correlator
        self.partitions = partitions
        self._last_tick = -math.inf
        self.alarms = 0

    def _partition(self, customer_id: str) -> int:
        return partition_of(customer_id, self.partitions)

    def handle(self, value: dict[str, Any]) -> Out:
        """Everything one record on ``alarms`` sends to ``impacts``."""
        if records.is_control(value):
            return [(p, value) for p in range(self.partitions)]
        alarm = records.alarm_from_record(value)
        self.alarms += 1
        changes = self.correlator.apply(alarm)
        by_partition: dict[int, list[ImpactChange]] = {}
        for change in changes:
            by_partition.setdefault(self._partition(change.customer_id), []).append(change)
        out: Out = [
            (p, record) for p, group in sorted(by_partition.items())
            for record in records.impact_records(group)
        ]
        if alarm.event_time - self._last_tick >= TICK_EVERY_S:
            self._last_tick = alarm.event_time
            out.extend(
                (p, {"kind": "tick", "at": alarm.event_time})
                for p in range(self.partitions) if p not in by_partition
            )
        return out
