"""The customer stage: one partition's impact messages -> decisions, via episode timers.

What the ``customers`` agent does with one message on ``impacts``; plain Python, tested with
dicts instead of tables.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, MutableMapping
from typing import Any

from forewarn.domain import Decision
from forewarn.streams import records
from forewarn.streams.episodes import EpisodeTracker
from forewarn.streams.partitioning import partition_of

__all__ = ["CustomerStage"]

log = logging.getLogger(__name__)


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
