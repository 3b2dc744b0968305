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
from collections.abc import Callable, MutableMapping
from typing import Any

from forewarn.domain import Decision, ImpactChange
from forewarn.errors import AlarmFormatError
from forewarn.streams import records
from forewarn.streams.correlation import NetworkCorrelator
from forewarn.streams.episodes import EpisodeTracker
from forewarn.streams.normalise import parse_alarm
from forewarn.streams.partitioning import partition_of

__all__ = ["NormaliseStage", "NetworkStage", "CustomerStage", "TICK_EVERY_S"]

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


class CustomerStage:
    """Impact batches of one partition -> decisions (outbox batches) via episode timers.

    One ``EpisodeTracker`` per partition shares the episode table; each rebuilds its timers
    from the table the first time it sees its partition after an assignment.
    """

    def __init__(
        self,
        state: MutableMapping[str, Any],
        partitions: int,
        confirm_after_s: float,
        resolve_after_s: float,
        on_decision: Callable[[Decision], None] | None = None,
    ) -> None:
        self.state = state
        self.partitions = partitions
        self.confirm_after_s = confirm_after_s
        self.resolve_after_s = resolve_after_s
        self.on_decision = on_decision
        self._trackers: dict[int, EpisodeTracker] = {}

    def forget(self, partitions: set[int] | None = None) -> None:
        """Drop trackers (on revocation); they rebuild from the table when next needed."""
        for p in list(self._trackers) if partitions is None else partitions:
            self._trackers.pop(p, None)

    def tracker(self, partition: int) -> EpisodeTracker:
        tracker = self._trackers.get(partition)
        if tracker is None:
            tracker = EpisodeTracker(self.state, self.confirm_after_s, self.resolve_after_s)
            tracker.rebuild(lambda cid: partition_of(cid, self.partitions) == partition)
            self._trackers[partition] = tracker
        return tracker

    def handle(self, partition: int, value: dict[str, Any]) -> list[dict[str, Any]]:
        """Outbox records for one ``impacts`` message (decision batches, then control)."""
        tracker = self.tracker(partition)
        decisions: list[Decision] = []
        if records.is_control(value):
            decisions.extend(tracker.advance(math.inf))
        elif value.get("kind") == "tick":
            decisions.extend(tracker.advance(float(value["at"])))
        else:
            for change in records.changes_from_impact(value):
                decisions.extend(tracker.observe(change))
        for decision in decisions:
            log.info("decision %s %s %s (%s)", decision.stage, decision.customer_id,
                     decision.incident_id, decision.reason)
            if self.on_decision:
                self.on_decision(decision)
        out = [
            {"kind": "decisions", "items": [records.decision_to_record(d) for d in part]}
            for part in records.chunks(decisions, records.DECISION_CHUNK)
        ]
        if records.is_control(value):
            out.append(value)
        return out
