"""The demo's scripted outage story, chosen from whatever region it runs on.

Pure: picks story targets with the region index and returns timed native alarms, so the
story is testable without a broker.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np

__all__ = ["StoryStep", "StoryTargets", "build_story", "choose_targets"]


@dataclass(frozen=True)
class StoryTargets:
    power: str
    flapping_cell: str
    fibre_node: str


@dataclass(frozen=True)
class StoryStep:
    at_s: float  # seconds after the story starts (story time)
    narration: str
    alarm: dict[str, Any] | None = None


def _count_out(index: Any, element: str, service: str) -> int:
    positions = index.dependents([element])
    if len(positions) == 0:
        return 0
    return int(np.count_nonzero(index.outages({element}, positions)[service]))


def choose_targets(index: Any) -> StoryTargets:
    """The power element taking most mobile customers out, a lone-cover cell elsewhere, a
    fibre node with customers: the three faults of the story."""
    elements = list(index.element_ids)
    by_type: dict[str, list[str]] = {}
    for element in elements:
        by_type.setdefault(index.element_type(element), []).append(element)
    power_like = by_type.get("power") or by_type.get("site") or []
    power = max(sorted(power_like), key=lambda e: _count_out(index, e, "mobile"), default=None)
    if power is None:
        raise ValueError("the demo region has no power or site elements")
    under_power = set(index.dependents([power]).tolist())
    cells = [c for c in sorted(by_type.get("cell", []))
             if power not in index.ancestors(c) and _count_out(index, c, "mobile") > 0
             and not under_power & set(index.dependents([c]).tolist())]
    fibre_types = ("pon", "fibre_node", "cabinet")
    nodes = [n for t in fibre_types for n in sorted(by_type.get(t, []))
             if power not in index.ancestors(n) and _count_out(index, n, "fibre") > 0]
    if not cells or not nodes:
        raise ValueError("the demo region needs a lone-cover cell and a fibre node with customers")
    return StoryTargets(power, cells[0], nodes[0])


def _alarm(alarm_id: str, element: str, state: str, severity: str, at: float,
           cause: str, text: str) -> dict[str, Any]:
    return {
        "alarm_id": alarm_id, "element_id": element, "state": state, "severity": severity,
        "event_time": datetime.fromtimestamp(at, tz=UTC).isoformat(),
        "probable_cause": cause, "text": text,
    }


def build_story(targets: StoryTargets, start: float) -> list[StoryStep]:
    """A site power failure, a 40-second cell flap, a fibre node outage, and recovery."""
    t = targets
    return [
        StoryStep(0, "All quiet. forewarn is watching the network."),
        StoryStep(30, f"Mains power fails at {t.power}: every cell it feeds goes dark.",
                  _alarm("A-1", t.power, "raised", "critical", start + 30, "mainsBreakdown",
                         "Mains failure, batteries exhausted")),
        StoryStep(90, f"Cell {t.flapping_cell} drops out...",
                  _alarm("A-2", t.flapping_cell, "raised", "major", start + 90, "lossOfSignal",
                         "Radio link down")),
        StoryStep(130, "...and is back after 40 s: a flap. Nobody should be told.",
                  _alarm("A-2", t.flapping_cell, "cleared", "major", start + 130, "lossOfSignal",
                         "Radio link restored")),
        StoryStep(150, "Two minutes of outage behind the power failure: it is confirmed."),
        StoryStep(200, f"Fibre node {t.fibre_node} loses its signal.",
                  _alarm("A-3", t.fibre_node, "raised", "critical", start + 200, "lossOfSignal",
                         "PON port down")),
        StoryStep(600, f"Power is restored at {t.power}.",
                  _alarm("A-1", t.power, "cleared", "critical", start + 600, "mainsBreakdown",
                         "Mains restored")),
        StoryStep(700, f"Fibre node {t.fibre_node} is repaired.",
                  _alarm("A-3", t.fibre_node, "cleared", "critical", start + 700, "lossOfSignal",
                         "PON port up")),
        StoryStep(900, "Power customers have had service back for 5 minutes: resolved."),
        StoryStep(1000, "Fibre customers too. End of the story."),
    ]
