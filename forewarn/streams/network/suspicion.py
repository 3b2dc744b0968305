"""Suspected incidents: outages no alarm reports, found from customers' no-service reports.

CONTRACT §8. A report (a contact with reason ``no_service`` from a customer not in a known
outage; the caller filters) counts for every element that serves the reporter
(``serving.serving_elements``). Per element, the number of *distinct* reporting customers
within a sliding window of ``window_s`` is tested against the background: under the null
hypothesis each customer reports at ``background_per_customer_day``, so an element serving
``n`` customers sees ``X ~ Poisson(mu)``, ``mu = n * rate * window_s / 86400``. The element
fires when ``X >= k``, the smallest ``k >= min_reports`` with ``P(X >= k) <= alpha``, where
``alpha = false_alarms_per_day / (tested elements * windows per day)`` (Bonferroni over
every element and every window of a day: background reports alone then raise at most
``false_alarms_per_day`` suspicions a day over all elements).

When an element fires, the *suspected* element is the lowest one (fewest customers served;
ties by id) serving at least 80 % of the reporters that made it fire: a PON's customers also
make its OLT fire, and the OLT's reporters point back at the PON. Reporters already
explained by an open suspicion (they are served by its element) do not count again for
other elements, so a PON suspected does not make its OLT or a covering cell suspected too.

Order and determinism. Reports are evaluated per *instant*: the reports of one event time
are collected and tested together once time moves past it (the next later report or
``advance``), so reports with equal timestamps give the same events in any order. Events
carry the event time of the instant that tipped them (``at``), never the time they were
returned. A repeated ``contact_id`` (a retry, a replay after takeover) changes nothing.

Lifecycle of one suspicion (one open suspicion per element): ``suspected`` -> ``updated``
(the count of distinct reporters changed; at most one every ``update_interval_s``, a
pending change is emitted by ``advance`` when due) -> ``confirmed`` (``confirm``: the NOC
said so; ``join``: an alarm took the element down; the caller turns it into an outage that
keeps the incident id) or ``cancelled`` (no new report from its customers for ``window_s``).

State: a ``MutableMapping[str, dict]`` (the network journal in production, a dict in tests)
holding one entry per reporting customer in the window (``r:<customer_id>``) and one per
open suspicion (``s:<element_id>``), each replaced whole on change, never mutated in place.
Everything else (per-element trackers, the expiry heap) is derived and :meth:`rebuild` re-
derives it. Memory is bounded: reports leave after ``window_s``; at most
``max_reports_per_element`` reporters per element and ``max_reporters`` overall (the oldest
are forgotten first), at most ``max_open`` open suspicions (further ones are refused and
counted); a burst of one customer's reports counts once and keeps their last 16 contact ids.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from forewarn.streams.network.events import SuspicionEvent, incident_id_for

__all__ = [
    "CANCELLED",
    "CONFIRMED",
    "EXPLAIN_SHARE",
    "SUSPECTED",
    "UPDATED",
    "DetectorSettings",
    "Suspicion",
    "SuspicionCounts",
    "SuspicionDetector",
    "comparisons_per_day",
    "detection_threshold",
    "log_poisson_tail",
]

SUSPECTED, UPDATED, CONFIRMED, CANCELLED = "suspected", "updated", "confirmed", "cancelled"
#: The suspected element serves at least this share of the reporters (CONTRACT §8).
EXPLAIN_SHARE = 0.8
_DAY_S = 86400.0
_CONTACTS_KEPT = 16  # contact ids remembered per reporter, for de-duplication
_REPORTER, _OPEN = "r:", "s:"
_EVENT_ORDER = {UPDATED: 0, CANCELLED: 1}


class DetectorSettings(Protocol):
    """What the detector reads from ``forewarn.config.SensorSettings`` (``[sensors]``)."""

    @property
    def window_s(self) -> float: ...
    @property
    def min_reports(self) -> int: ...
    @property
    def background_per_customer_day(self) -> float: ...
    @property
    def false_alarms_per_day(self) -> float: ...
    @property
    def update_interval_s(self) -> float: ...
    @property
    def max_reports_per_element(self) -> int: ...
    @property
    def max_reporters(self) -> int: ...
    @property
    def max_open(self) -> int: ...


# -- the test ----------------------------------------------------------------------------


def log_poisson_tail(k: int, mu: float) -> float:
    """``log P(X >= k)`` for ``X ~ Poisson(mu)``.

    Computed from log-space terms ``-mu + j log mu - lgamma(j + 1)`` because the values that
    matter are far outside plain floats' comfort: ``alpha`` is ~1e-8, ``mu`` runs from ~1e-5
    (a small PON) to hundreds (a root over millions of customers), and ``mu**j / j!``
    overflows or underflows long before the tail does. Without scipy (not a dependency):
    above the mean the tail's terms fall at least geometrically, so it is summed until they
    are negligible; at or below the mean it is ``1 - P(X < k)``, a short sum of terms < 1.
    """
    if k <= 0:
        return 0.0
    if mu <= 0:
        return -math.inf
    log_mu = math.log(mu)

    def term(j: int) -> float:
        return -mu + j * log_mu - math.lgamma(j + 1)

    if k <= mu:
        below = math.fsum(math.exp(term(j)) for j in range(k))
        return math.log1p(-min(below, 1.0)) if below < 1.0 else -math.inf
    first = term(k)
    total, j, t = 0.0, k, first
    while t > first - 50.0:  # e**-50 relative: far below a double's precision of the sum
        total += math.exp(t - first)
        j += 1
        t = term(j)
    return first + math.log(total)


def comparisons_per_day(tested_elements: int, window_s: float) -> float:
    """How many tests a day the correction covers: every element in every window."""
    return max(1, tested_elements) * (_DAY_S / window_s)


def detection_threshold(served: int, settings: DetectorSettings, tests: float) -> int:
    """Distinct reporters within the window that make an element serving ``served``
    customers fire: the smallest ``k >= min_reports`` with ``P(X >= k) <= alpha``.

    Galloping then bisection over ``k`` (the tail falls with ``k``), so a root element with
    ``mu`` in the hundreds costs a few dozen tail evaluations, not hundreds.
    """
    mu = served * settings.background_per_customer_day * settings.window_s / _DAY_S
    log_alpha = math.log(settings.false_alarms_per_day / tests)
    low = settings.min_reports
    if log_poisson_tail(low, mu) <= log_alpha:
        return low
    step, high = 1, low + 1
    while log_poisson_tail(high, mu) > log_alpha:
        low, step = high, step * 2
        high = max(high + step, math.ceil(mu))
    while high - low > 1:  # tail(low) > alpha >= tail(high)
        middle = (low + high) // 2
        if log_poisson_tail(middle, mu) <= log_alpha:
            high = middle
        else:
            low = middle
    return high


# -- values ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Suspicion:
    """An open suspected incident, as the desk and the IVR see it."""

    incident_id: str
    element_id: str
    cause_type: str
    since: float  # the instant it was suspected
    reports: int  # distinct reporters at its last event
    customers: int  # customers its element serves
    last_report: float  # the latest report from one of its customers


@dataclass
class SuspicionCounts:
    """What the detector did, for metrics and logs."""

    reports: int = 0  # reports recorded
    duplicates: int = 0  # a contact id seen before: ignored
    too_old: int = 0  # already outside the window when it arrived: ignored
    unserved: int = 0  # the reporter is served by no element: nothing to count for
    forgotten: int = 0  # reporters dropped by max_reporters
    trimmed: int = 0  # reporters dropped from one element's tracker by max_reports_per_element
    refused: int = 0  # suspicions not opened: max_open reached
    events: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class _Reporter:
    at: float
    serving: tuple[str, ...]


# -- the detector ------------------------------------------------------------------------


class SuspicionDetector:
    """Reports in, suspicion events out; see the module docstring for the rules.

    ``served``: customers served per element (``serving.served_counts``), a mapping or a
    function; with a function, ``tested_elements`` (how many elements serve anyone) must be
    given for the correction. ``element_type`` names an element's type (``cause_type``).
    """

    def __init__(self, settings: DetectorSettings,
                 served: Mapping[str, int] | Callable[[str], int],
                 element_type: Callable[[str], str],
                 state: MutableMapping[str, dict[str, Any]], *,
                 tested_elements: int | None = None) -> None:
        self.settings = settings
        self.state = state
        self.counts = SuspicionCounts()
        self.clock = -math.inf
        self._served: Callable[[str], int] = lambda e: 0
        self._tests = 1.0
        self._thresholds: dict[int, int] = {}
        self.element_type = element_type
        self._use(served, tested_elements)
        self.rebuild()

    # -- configuration -------------------------------------------------------------------

    def _use(self, served: Mapping[str, int] | Callable[[str], int],
             tested_elements: int | None) -> None:
        if isinstance(served, Mapping):
            table = served
            self._served = lambda e: int(table.get(e, 0))
            if tested_elements is None:
                tested_elements = sum(1 for n in table.values() if n > 0)
        else:
            if tested_elements is None:
                raise ValueError("tested_elements is required when served is a function")
            self._served = served
        self._tests = comparisons_per_day(tested_elements, self.settings.window_s)
        self._thresholds = {}

    def swap(self, served: Mapping[str, int] | Callable[[str], int],
             element_type: Callable[[str], str] | None = None, *,
             tested_elements: int | None = None) -> None:
        """A new index version: new served counts (and thresholds) from now on. Reports
        already counted keep the elements that served them when they came in."""
        if element_type is not None:
            self.element_type = element_type
        self._use(served, tested_elements)

    def served(self, element_id: str) -> int:
        """Customers ``element_id`` serves (0 when unknown)."""
        return self._served(element_id)

    def reporting(self, element_id: str) -> int:
        """Distinct customers served by ``element_id`` with a report in the window (as of the
        last ``advance``; at most ``max_reports_per_element``)."""
        return len(self._trackers.get(element_id, ()))

    def threshold(self, element_id: str) -> int:
        """Distinct reporters within the window that make ``element_id`` fire."""
        n = self._served(element_id)
        k = self._thresholds.get(n)
        if k is None:
            k = self._thresholds[n] = detection_threshold(n, self.settings, self._tests)
        return k

    # -- state ---------------------------------------------------------------------------

    def rebuild(self) -> None:
        """Re-derive trackers, expiry heap and open suspicions from the state mapping (after
        a recovery). Every tracked element is tested again at the latest report's instant,
        which is harmless: an element that fired is open or explained, one that did not
        is still below its threshold."""
        self._reporters: dict[str, _Reporter] = {}
        self._open: dict[str, dict[str, Any]] = {}
        self._trackers: dict[str, dict[str, float]] = {}
        for key, entry in list(self.state.items()):
            if key.startswith(_REPORTER):
                self._reporters[key[len(_REPORTER):]] = _Reporter(
                    float(entry["at"]), tuple(entry["serving"]))
            elif key.startswith(_OPEN):
                self._open[key[len(_OPEN):]] = dict(entry)
        for customer_id, reporter in sorted(self._reporters.items()):
            for element in reporter.serving:
                self._trackers.setdefault(element, {})[customer_id] = reporter.at
        cap = self.settings.max_reports_per_element
        for tracker in self._trackers.values():
            if len(tracker) > cap:
                for customer_id, _ in sorted(tracker.items(), key=_oldest_first)[:-cap]:
                    del tracker[customer_id]
        self._heap = [(r.at, c) for c, r in self._reporters.items()]
        heapq.heapify(self._heap)
        latest = [r.at for r in self._reporters.values()]
        latest += [e["last_event_at"] for e in self._open.values()]
        self.clock = max(latest, default=-math.inf)
        self._dirty: set[str] = set(self._trackers)
        self._pending_at: float | None = self.clock if self._dirty else None

    def open(self) -> list[Suspicion]:
        """Open suspicions, oldest first."""
        return sorted((_suspicion(e) for e in self._open.values()),
                      key=lambda s: (s.since, s.incident_id))

    # -- input ---------------------------------------------------------------------------

    def report(self, at: float, contact_id: str, customer_id: str,
               serving: Sequence[str]) -> list[SuspicionEvent]:
        """Count a no-service report of ``customer_id`` (not in a known outage) for every
        element in ``serving``. Returns the events due up to ``at`` (see ``advance``); the
        report's own instant is tested once time moves past it."""
        if not math.isfinite(at):
            raise ValueError(f"report at: {at!r} is not a finite event time")
        events = self.advance(at)
        if not serving:
            self.counts.unserved += 1
            return events
        key = _REPORTER + customer_id
        entry = self.state.get(key)
        if entry is not None and contact_id in entry["contacts"]:
            self.counts.duplicates += 1
            return events
        if at <= self.clock - self.settings.window_s:
            self.counts.too_old += 1
            return events
        self.counts.reports += 1
        old = self._reporters.get(customer_id)
        serving_now = tuple(dict.fromkeys(serving))
        new_at = at if old is None else max(old.at, at)
        contacts = [*(entry["contacts"] if entry else ()), contact_id][-_CONTACTS_KEPT:]
        self.state[key] = {"at": new_at, "serving": list(serving_now), "contacts": contacts}
        if old is not None and old.at == new_at and old.serving == serving_now:
            return events  # the same customer again at no later time: nothing to test
        if old is not None:
            for element in set(old.serving) - set(serving_now):
                self._untrack(element, customer_id)
        self._reporters[customer_id] = _Reporter(new_at, serving_now)
        if old is None or old.at != new_at:
            self._push(new_at, customer_id)
        for element in serving_now:
            self._track(element, customer_id, new_at)
        self._dirty.update(serving_now)
        self._pending_at = self.clock
        while len(self._reporters) > self.settings.max_reporters:
            self._forget_oldest()
        return events

    def advance(self, now: float) -> list[SuspicionEvent]:
        """Move event time to ``now``: test the reports of the last instant once ``now`` is
        past it, emit throttled updates that fell due, cancel suspicions without a report
        for ``window_s``, and forget reports that left the window. Events in time order."""
        events: list[SuspicionEvent] = []
        if self._pending_at is not None and self._pending_at < now:
            events += self._evaluate(self._pending_at)
            self._pending_at = None
            self._dirty = set()
        events += self._due(now)
        self.clock = max(self.clock, now)
        self._expire(self.clock - self.settings.window_s)
        return events

    def confirm(self, at: float, *, incident_id: str | None = None,
                element_id: str | None = None) -> SuspicionEvent | None:
        """The NOC confirmed a suspicion (by its incident or its element): ``confirmed`` at
        ``at``, or None when no such suspicion is open at ``at``. The caller turns it into an
        outage of the element under the same incident id. Call ``advance(at)`` first so the
        events due before ``at`` come out in order."""
        if element_id is None and incident_id is not None:
            element_id = next((e for e, s in self._open.items()
                               if s["incident_id"] == incident_id), None)
        if element_id is None:
            return None
        return self._close(element_id, at)

    def join(self, element_id: str, at: float) -> SuspicionEvent | None:
        """An alarm took ``element_id`` down: its open suspicion (if any) is ``confirmed``
        into the alarm-backed incident, which keeps the suspected incident's id."""
        return self._close(element_id, at)

    # -- internals -----------------------------------------------------------------------

    def _track(self, element: str, customer_id: str, at: float) -> None:
        tracker = self._trackers.setdefault(element, {})
        tracker[customer_id] = at
        if len(tracker) > self.settings.max_reports_per_element:
            oldest = min(tracker.items(), key=_oldest_first)[0]
            del tracker[oldest]
            self.counts.trimmed += 1

    def _untrack(self, element: str, customer_id: str) -> None:
        tracker = self._trackers.get(element)
        if tracker is not None:
            tracker.pop(customer_id, None)
            if not tracker:
                del self._trackers[element]

    def _push(self, at: float, customer_id: str) -> None:
        heapq.heappush(self._heap, (at, customer_id))
        if len(self._heap) > 2 * len(self._reporters) + 64:  # drop stale entries
            self._heap = [(r.at, c) for c, r in self._reporters.items()]
            heapq.heapify(self._heap)

    def _pop_valid(self) -> tuple[float, str] | None:
        while self._heap:
            at, customer_id = self._heap[0]
            reporter = self._reporters.get(customer_id)
            if reporter is not None and reporter.at == at:
                return at, customer_id
            heapq.heappop(self._heap)
        return None

    def _remove_reporter(self, customer_id: str) -> None:
        reporter = self._reporters.pop(customer_id)
        for element in reporter.serving:
            self._untrack(element, customer_id)
        self.state.pop(_REPORTER + customer_id, None)

    def _forget_oldest(self) -> None:
        oldest = self._pop_valid()
        if oldest is not None:
            self._remove_reporter(oldest[1])
            self.counts.forgotten += 1

    def _expire(self, before: float) -> None:
        """Forget reporters whose latest report is at or before ``before``."""
        while (oldest := self._pop_valid()) is not None and oldest[0] <= before:
            heapq.heappop(self._heap)
            self._remove_reporter(oldest[1])

    def _explained(self, customer_id: str) -> bool:
        return any(e in self._open for e in self._reporters[customer_id].serving)

    def _lowest_explaining(self, reporters: list[str]) -> str:
        """The element with fewest customers serving >= 80 % of ``reporters`` (ties by id)."""
        served_by: dict[str, int] = {}
        for customer_id in reporters:
            for element in self._reporters[customer_id].serving:
                served_by[element] = served_by.get(element, 0) + 1
        need = EXPLAIN_SHARE * len(reporters)
        candidates = [e for e, n in served_by.items() if n >= need - 1e-9]
        return min(candidates, key=lambda e: (self._served(e), e))

    def _evaluate(self, at: float) -> list[SuspicionEvent]:
        """Test every element the reports of instant ``at`` touched, smallest first."""
        events: list[SuspicionEvent] = []
        touched = sorted(self._dirty, key=lambda e: (self._served(e), e))
        opened: set[str] = set()
        for element in touched:
            tracker = self._trackers.get(element)
            if element in self._open or not tracker:
                continue
            k = self.threshold(element)
            if len(tracker) < k:
                continue
            reporters = sorted(c for c in tracker if not self._explained(c))
            if len(reporters) < k:
                continue
            target = self._lowest_explaining(reporters)
            if target in self._open:
                continue
            if len(self._open) >= self.settings.max_open:
                self.counts.refused += 1
                continue
            events.append(self._suspect(target, at))
            opened.add(target)
        for element in touched:
            if element in self._open and element not in opened:
                events.extend(self._touch(element, at))
        return events

    def _suspect(self, element: str, at: float) -> SuspicionEvent:
        tracker = self._trackers.get(element, {})
        entry = {
            "incident_id": incident_id_for(element, at), "element_id": element,
            "cause_type": self.element_type(element), "since": at,
            "last_report": max(tracker.values(), default=at), "reports": len(tracker),
            "customers": self._served(element), "last_event_at": at, "pending": False,
        }
        self._store(element, entry)
        return self._event(SUSPECTED, entry, at)

    def _touch(self, element: str, at: float) -> list[SuspicionEvent]:
        """New reports from an open suspicion's customers: keep it alive; ``updated`` when
        its count changed, at most once per ``update_interval_s`` (else pending)."""
        entry = dict(self._open[element])
        tracker = self._trackers.get(element, {})
        entry["last_report"] = max(entry["last_report"], max(tracker.values(), default=at))
        entry["customers"] = self._served(element)
        events: list[SuspicionEvent] = []
        if len(tracker) != entry["reports"]:
            if at >= entry["last_event_at"] + self.settings.update_interval_s:
                entry.update(reports=len(tracker), last_event_at=at, pending=False)
                events.append(self._event(UPDATED, entry, at))
            else:
                entry["pending"] = True
        self._store(element, entry)
        return events

    def _due(self, now: float) -> list[SuspicionEvent]:
        """Pending updates and cancellations due at or before ``now``, in time order."""
        due: list[tuple[float, int, str, str]] = []
        window = self.settings.window_s
        for element, entry in self._open.items():
            cancel_at = entry["last_report"] + window
            if entry["pending"]:
                update_at = entry["last_event_at"] + self.settings.update_interval_s
                if update_at <= now and update_at < cancel_at:
                    due.append((update_at, _EVENT_ORDER[UPDATED], entry["incident_id"], element))
            if cancel_at <= now:
                due.append((cancel_at, _EVENT_ORDER[CANCELLED], entry["incident_id"], element))
        events: list[SuspicionEvent] = []
        for at, kind, _, element in sorted(due):
            entry = dict(self._open[element])
            if kind == _EVENT_ORDER[CANCELLED]:
                del self._open[element]
                self.state.pop(_OPEN + element, None)
                events.append(self._event(CANCELLED, entry, at))
                continue
            tracker = self._trackers.get(element, {})
            reports = sum(1 for t in tracker.values() if t > at - window)
            entry["pending"] = False
            if reports != entry["reports"]:
                entry.update(reports=reports, last_event_at=at)
                events.append(self._event(UPDATED, entry, at))
            self._store(element, entry)
        return events

    def _close(self, element_id: str, at: float) -> SuspicionEvent | None:
        """Confirm the open suspicion of ``element_id`` at ``at``; its reporters are now
        explained by a known outage and stop counting for any element."""
        entry = self._open.get(element_id)
        if entry is None or entry["last_report"] + self.settings.window_s <= at:
            return None  # none, or already due for cancellation at ``at``
        tracker = self._trackers.get(element_id, {})
        closed = dict(entry, reports=len(tracker))
        del self._open[element_id]
        self.state.pop(_OPEN + element_id, None)
        for customer_id in sorted(tracker):
            self._remove_reporter(customer_id)
        return self._event(CONFIRMED, closed, at)

    def _store(self, element: str, entry: dict[str, Any]) -> None:
        self._open[element] = entry
        self.state[_OPEN + element] = dict(entry)

    def _event(self, kind: str, entry: Mapping[str, Any], at: float) -> SuspicionEvent:
        self.counts.events[kind] = self.counts.events.get(kind, 0) + 1
        return SuspicionEvent(kind, entry["incident_id"], entry["element_id"],
                              entry["cause_type"], at, int(entry["reports"]),
                              int(entry["customers"]))


def _oldest_first(item: tuple[str, float]) -> tuple[float, str]:
    return item[1], item[0]


def _suspicion(entry: Mapping[str, Any]) -> Suspicion:
    return Suspicion(entry["incident_id"], entry["element_id"], entry["cause_type"],
                     float(entry["since"]), int(entry["reports"]), int(entry["customers"]),
                     float(entry["last_report"]))
