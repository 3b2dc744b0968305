"""Active alarms per network element, and whether each element is itself down (CONTRACT §4).

An element is *down* while it has at least one active alarm of a down severity (default
``critical`` or ``major``). Ancestors and maintenance windows ("effectively down") are the
correlator's business; this module only knows an element's own alarms.

Matching rules, chosen so that no clear can do more than its sender meant:

* A raise whose ``alarm_id`` is already active on the element *updates* that alarm (a major
  re-raised as minor no longer counts as down). An identical re-raise changes nothing.
* A clear matches the active alarm with its ``alarm_id`` on the element it names.
* Otherwise it matches by cause: every active alarm on that element whose ``probable_cause``
  and ``specific_problem`` equal those the clear names (each one the clear names must equal;
  one it leaves out is not compared). As in X.733, a cause clear clears every alarm of that
  cause on the element.
* A clear with no id match and neither probable cause nor specific problem matches nothing:
  clearing everything on the element would hide real faults behind one malformed clear.
* A clear that matches nothing changes nothing (``changed`` is False).
* Duplicates are idempotent. For clears this needs memory: the element remembers the ids of
  its last :data:`REMEMBERED_CLEARS` clears (the clear's own id and the ids it cleared), and a
  clear naming one of them is a duplicate. Without it, a repeated clear would fall through to
  the cause match and clear a *different* alarm of the same cause. The memory goes with the
  element's entry once it has no active alarm (a cause match then finds nothing anyway); a
  raise of a remembered id is a new occurrence and is forgotten from it.

Bounded state (issue 16, finding 2): an element holds at most ``max_open`` active alarms of a
down severity *and* at most ``max_open`` of the other severities (default 1000 each, so an
entry stays far below Kafka's message limit). A raise of a *new* id into a full class is
refused (:meth:`ElementStates.refusal` says why; the correlator dead-letters it before it
changes anything) and leaves the state as it was. Why per class and not one shared cap: ten
thousand warnings must never keep a critical alarm from taking the element down, and a down
raise is refused only when the element already holds ``max_open`` down alarms, that is when
it is down anyway. A raise that updates an active id is always applied (it does not grow the
entry). A clear of a refused raise matches nothing and changes nothing, as any unknown clear.

State: ``state[element_id] = {"alarms": {alarm_id: {"severity", "probable_cause",
"specific_problem", "raised_at"}}, "cleared": [alarm_id, ...]}`` -- JSON-serialisable, written
back with ``state[key] = value`` after every change (a Faust table only changelogs on set) and
deleted when the element has no active alarm, so the table holds only elements with something
going on.
"""

from __future__ import annotations

from collections.abc import Collection, MutableMapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Any

from forewarn.domain import Alarm
from forewarn.streams.network.transitions import Print, set_print, toggled

__all__ = [
    "DEFAULT_DOWN_SEVERITIES",
    "DEFAULT_MAX_OPEN_ALARMS",
    "REMEMBERED_CLEARS",
    "ElementChange",
    "ElementStates",
]

DEFAULT_DOWN_SEVERITIES: tuple[str, ...] = ("critical", "major")

#: Cleared alarm ids remembered per element to recognise duplicate clears; bounded so a
#: flapping element's entry stays small.
REMEMBERED_CLEARS = 32

#: Active alarms per element and severity class (down / not down) before new raises are refused.
DEFAULT_MAX_OPEN_ALARMS = 1000


@dataclass(frozen=True, slots=True)
class ElementChange:
    """What one alarm did to its element's own down state, at the alarm's event time."""

    element_id: str
    was_down: bool
    is_down: bool
    at: float

    @property
    def changed(self) -> bool:
        """True when the element went down or came back."""
        return self.was_down != self.is_down


class ElementStates:
    """Applies alarms to the per-element state mapping and keeps the set of down elements.

    The down set lives in memory for O(1) lookups by the correlator. It is derived from the
    mapping, so after a table recovery (or when handed a pre-filled mapping) call
    :meth:`rebuild`. :meth:`apply` itself reads the element's entry, so it is correct even
    before a rebuild; only :meth:`down_elements` and :meth:`is_down` depend on it.
    """

    def __init__(
        self,
        state: MutableMapping[str, dict[str, Any]],
        down_severities: Collection[str] = DEFAULT_DOWN_SEVERITIES,
        max_open: int = DEFAULT_MAX_OPEN_ALARMS,
    ) -> None:
        if max_open < 1:
            raise ValueError(f"max_open must be at least 1, got {max_open}")
        self._state = state
        self._down_severities = frozenset(down_severities)
        self._down: set[str] = set()
        self._print: Print = set_print(())  # of ``_down``, kept with it (``down_print``)
        self.max_open = max_open

    @property
    def down_severity(self) -> str:
        """A severity that takes an element down (``critical`` when it does): what an alarm
        forewarn makes itself (a confirmed suspicion) is raised with."""
        if "critical" in self._down_severities:
            return "critical"
        return min(self._down_severities)

    def rebuild(self) -> None:
        """Re-derive the down set from the state mapping (after table recovery)."""
        self._down = {
            element_id
            for element_id, entry in self._state.items()
            if self._any_down(entry.get("alarms", {}))
        }
        self._print = set_print(self._down)

    def refusal(self, alarm: Alarm) -> str | None:
        """Why ``alarm`` would be refused (a new raise into a full severity class), or None."""
        if alarm.state != "raised":
            return None
        entry = self._state.get(alarm.element_id)
        if (entry is None or len(entry["alarms"]) < self.max_open
                or alarm.alarm_id in entry["alarms"]):
            return None
        down = alarm.severity in self._down_severities
        same_class = sum(1 for a in entry["alarms"].values()
                         if (a["severity"] in self._down_severities) == down)
        if same_class < self.max_open:
            return None
        kind = "down-severity" if down else "non-down-severity"
        return (f"element {alarm.element_id} already has {same_class} open {kind} alarms "
                f"(max_open_alarms_per_element = {self.max_open}); raise refused")

    def apply(self, alarm: Alarm) -> ElementChange:
        """Apply one raise or clear; return the element's down state before and after.
        A raise :meth:`refusal` refuses changes nothing."""
        element_id = alarm.element_id
        entry = self._state.get(element_id)
        if entry is not None and self.refusal(alarm) is not None:
            down = self._any_down(entry["alarms"])
            return ElementChange(element_id, down, down, alarm.event_time)
        alarms: dict[str, dict[str, Any]] = dict(entry["alarms"]) if entry else {}
        cleared: list[str] = list(entry.get("cleared", ())) if entry else []
        was_down = self._any_down(alarms)
        if alarm.state == "raised":
            touched = _raise(alarms, cleared, alarm)
        elif alarm.state == "cleared":
            touched = _clear(alarms, cleared, alarm)
        else:
            raise ValueError(f"alarm state must be 'raised' or 'cleared', got {alarm.state!r}")
        if touched:
            if alarms:
                self._state[element_id] = {"alarms": alarms, "cleared": cleared}
            elif entry is not None:
                del self._state[element_id]
        is_down = self._any_down(alarms)
        if (element_id in self._down) != is_down:
            self._print = toggled(self._print, element_id, is_down)
        if is_down:
            self._down.add(element_id)
        else:
            self._down.discard(element_id)
        return ElementChange(element_id, was_down, is_down, alarm.event_time)

    def down_elements(self) -> set[str]:
        """The elements that are down now (a copy)."""
        return set(self._down)

    def down_view(self) -> AbstractSet[str]:
        """The elements that are down now, not a copy: it changes with the next ``apply``
        (the correlator reads it within one record; a storm's copy per alarm adds up)."""
        return self._down

    @property
    def down_print(self) -> Print:
        """``set_print`` of the down set, kept up to date per change (not a pass over it)."""
        return self._print

    def is_down(self, element_id: str) -> bool:
        """Whether ``element_id`` has an active alarm of a down severity."""
        return element_id in self._down

    def _any_down(self, alarms: dict[str, dict[str, Any]]) -> bool:
        return any(a["severity"] in self._down_severities for a in alarms.values())


def _raise(alarms: dict[str, dict[str, Any]], cleared: list[str], alarm: Alarm) -> bool:
    """Add or update the alarm; False when it was already active exactly like this."""
    if alarm.alarm_id in cleared:
        cleared.remove(alarm.alarm_id)
    current = alarms.get(alarm.alarm_id)
    record = {
        "severity": alarm.severity,
        "probable_cause": alarm.probable_cause,
        "specific_problem": alarm.specific_problem,
        "raised_at": alarm.event_time if current is None else current["raised_at"],
    }
    if current == record:
        return False
    alarms[alarm.alarm_id] = record
    return True


def _clear(alarms: dict[str, dict[str, Any]], cleared: list[str], alarm: Alarm) -> bool:
    """Remove what the clear matches (see the module docstring); False when nothing."""
    if alarm.alarm_id in alarms:
        del alarms[alarm.alarm_id]
        _remember(cleared, [alarm.alarm_id])
        return True
    if alarm.alarm_id in cleared:
        return False  # a duplicate of a clear already applied
    named = {
        key: value
        for key, value in (
            ("probable_cause", alarm.probable_cause),
            ("specific_problem", alarm.specific_problem),
        )
        if value is not None
    }
    if not named:
        return False
    matched = [
        alarm_id
        for alarm_id, active in alarms.items()
        if all(active.get(key) == value for key, value in named.items())
    ]
    for alarm_id in matched:
        del alarms[alarm_id]
    if matched:
        _remember(cleared, [alarm.alarm_id, *matched])
    return bool(matched)


def _remember(cleared: list[str], alarm_ids: list[str]) -> None:
    for alarm_id in alarm_ids:
        if alarm_id in cleared:
            cleared.remove(alarm_id)
        cleared.append(alarm_id)
    del cleared[:-REMEMBERED_CLEARS]
