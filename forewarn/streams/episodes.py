"""Outage episodes per (customer, service) in event time, and the notices they earn (CONTRACT §4).

An *episode* is the time a customer's service is continuously out, where gaps shorter than
``resolve_after_s`` join episodes. An episode that stays out ``confirm_after_s`` continuously
yields exactly one ``outage`` decision, at the instant that time elapses; once service has been
back ``resolve_after_s`` a notified episode yields exactly one ``resolved`` decision, at that
instant, and an unnotified one closes silently. Decisions carry the rule's instant as
``decided_at`` (never the time the tracker happened to notice), so replay and live runs decide
the same thing at the same event time.

Each open episode has at most one armed timer: *confirm* while out and not yet notified,
*end* while back. Timers sit in an in-memory heap ``(deadline, customer, service rank,
service, kind)`` and are invalidated lazily: re-arming or cancelling only updates
``_armed[(customer, service)]``, and stale heap entries are skipped when popped. Every step
is O(log n), so 200,000 customers going out at once, and all being confirmed at one deadline,
costs no scan of the state.

Order at one instant: timers fire before a change at the same instant is applied. So out for
exactly ``confirm_after_s`` IS notified, and a gap of exactly ``resolve_after_s`` does NOT join.

State (a Faust table in production, a dict in tests), keyed by customer id::

    {"t": 130.0,                         # last event time seen for this customer
     "episodes": {"mobile": {"incident_id": "inc-1", "cause_type": "power",
                             "since": 10.0,          # episode start
                             "out": true,            # out now (else back)
                             "back_since": null,     # when it came back (while back)
                             "notified": false,      # outage notice decided
                             "deadline": 130.0}}}    # armed timer (confirm if out, else end)

Values are written back with ``state[key] = value`` after every change (tables changelog only
on set) and the key is deleted when the customer has no open episode. The heap is derived
from the state: after a table recovery call :meth:`EpisodeTracker.rebuild`.
"""

from __future__ import annotations

import dataclasses
import heapq
import math
from collections import Counter
from collections.abc import Callable, MutableMapping
from typing import Any

from forewarn.domain import SERVICES, Decision, ImpactChange, Stage
from forewarn.streams.reasons import Reason

__all__ = ["EpisodeTracker", "Reason"]

_CONFIRM = "confirm"
_END = "end"

# (deadline, customer_id, service rank, service, kind): tuple order is the firing order.
_Timer = tuple[float, str, int, str, str]


def _rank(service: str) -> int:
    """Services fire, and are listed in merged decisions, in CONTRACT order: mobile, fibre."""
    return SERVICES.index(service) if service in SERVICES else len(SERVICES)


def _owns_all(_customer_id: str) -> bool:
    return True


class EpisodeTracker:
    """The per-(customer, service) outage episode machine over one state mapping.

    ``clock`` is the latest event time seen (``-inf`` before any). ``reasons`` counts every
    rule applied, by :class:`Reason`, for the shell to log and export.
    """

    def __init__(
        self,
        state: MutableMapping[str, dict[str, Any]],
        confirm_after_s: float = 120,
        resolve_after_s: float = 300,
    ) -> None:
        if confirm_after_s < 0 or resolve_after_s < 0:
            raise ValueError("confirm_after_s and resolve_after_s must not be negative")
        self._state = state
        self.confirm_after_s = float(confirm_after_s)
        self.resolve_after_s = float(resolve_after_s)
        self.clock: float = -math.inf
        self.reasons: Counter[str] = Counter()
        self._heap: list[_Timer] = []
        self._armed: dict[tuple[str, str], tuple[float, str]] = {}

    # ------------------------------------------------------------------ public API

    def observe(self, change: ImpactChange) -> list[Decision]:
        """Advance to ``change.at`` (firing due timers), then apply the change.

        The change takes effect at ``max(change.at, the customer's last time)``: a change that
        arrives late cannot take back what was already decided for that customer.
        """
        decisions = self.advance(change.at)
        self._apply(change)
        return decisions

    def advance(self, now: float) -> list[Decision]:
        """Fire every timer due by ``now`` in deadline order (ties: customer, then service).

        Timers armed by a late change with a deadline already behind the clock fire here too.
        ``advance(math.inf)`` drains everything pending without moving ``clock`` to infinity.
        """
        if math.isfinite(now) and now > self.clock:
            self.clock = now
        limit = max(now, self.clock)
        heap = self._heap
        fired: list[Decision] = []
        while heap and heap[0][0] <= limit:
            deadline, customer_id, _, service, kind = heapq.heappop(heap)
            if self._armed.get((customer_id, service)) != (deadline, kind):
                continue  # cancelled or re-armed since it was pushed
            del self._armed[(customer_id, service)]
            self.clock = max(self.clock, deadline)
            decision = self._fire(customer_id, service, deadline, kind)
            if decision is not None:
                fired.append(decision)
        return _merge(fired)

    def pending(self) -> int:
        """How many timers are armed."""
        return len(self._armed)

    def next_deadline(self) -> float | None:
        """The earliest armed deadline, or None when nothing is pending."""
        heap = self._heap
        while heap:
            deadline, customer_id, _, service, kind = heap[0]
            if self._armed.get((customer_id, service)) == (deadline, kind):
                return deadline
            heapq.heappop(heap)
        return None

    def rebuild(self, owns: Callable[[str], bool] = _owns_all) -> None:
        """Re-create the timers (and clock) from the state mapping, for keys ``owns`` accepts.

        Call after a table recovery or partition assignment: a worker must only fire timers
        of the customers whose partitions it owns, or two workers would decide the same notice.
        """
        self._heap = []
        self._armed = {}
        for customer_id, entry in self._state.items():
            if not owns(customer_id):
                continue
            self.clock = max(self.clock, float(entry.get("t", -math.inf)))
            for service, episode in entry.get("episodes", {}).items():
                deadline = episode.get("deadline")
                if deadline is None:
                    continue
                kind = _CONFIRM if episode["out"] else _END
                self._armed[(customer_id, service)] = (deadline, kind)
                self._heap.append((deadline, customer_id, _rank(service), service, kind))
        heapq.heapify(self._heap)

    # ------------------------------------------------------------------ rules

    def _apply(self, change: ImpactChange) -> None:
        customer_id, service = change.customer_id, change.service
        entry = self._state.get(customer_id)
        if entry is None:
            if not change.out:
                self.reasons[Reason.DUPLICATE_CHANGE] += 1
                return
            entry = {"t": change.at, "episodes": {}}
        t = max(change.at, entry["t"])
        episodes: dict[str, dict[str, Any]] = entry["episodes"]
        episode = episodes.get(service)
        if change.out:
            if episode is None:
                episode = {
                    "incident_id": change.incident_id,
                    "cause_type": change.cause_type,
                    "since": t,
                    "out": True,
                    "back_since": None,
                    "notified": False,
                    "deadline": None,
                }
                episodes[service] = episode
                self._arm(customer_id, service, episode, t + self.confirm_after_s, _CONFIRM)
                self.reasons[Reason.EPISODE_OPENED] += 1
            elif not episode["out"]:
                # Back for less than resolve_after_s (else the end timer would have fired
                # first): same episode, same incident, same start.
                episode["out"] = True
                episode["back_since"] = None
                if episode["notified"]:
                    self._disarm(customer_id, service, episode)
                else:  # must now stay out confirm_after_s continuously
                    self._arm(customer_id, service, episode, t + self.confirm_after_s, _CONFIRM)
                self.reasons[Reason.EPISODE_REJOINED] += 1
            else:
                self.reasons[Reason.DUPLICATE_CHANGE] += 1
                return
        else:
            if episode is None or not episode["out"]:
                self.reasons[Reason.DUPLICATE_CHANGE] += 1
                return
            episode["out"] = False
            episode["back_since"] = t
            self._arm(customer_id, service, episode, t + self.resolve_after_s, _END)
        entry["t"] = t
        self._state[customer_id] = entry

    def _fire(self, customer_id: str, service: str, deadline: float, kind: str) -> Decision | None:
        entry = self._state.get(customer_id)
        episode = entry["episodes"].get(service) if entry is not None else None
        if entry is None or episode is None or episode["out"] != (kind == _CONFIRM):
            return None  # the state moved on without us (e.g. edited by hand); nothing to do
        entry["t"] = max(entry["t"], deadline)
        episode["deadline"] = None
        if kind == _CONFIRM:
            episode["notified"] = True
            self._state[customer_id] = entry
            self.reasons[Reason.CONFIRMED] += 1
            return _decision(customer_id, service, episode, deadline, Stage.OUTAGE)
        del entry["episodes"][service]
        if entry["episodes"]:
            self._state[customer_id] = entry
        else:
            del self._state[customer_id]
        if not episode["notified"]:
            self.reasons[Reason.SUPPRESSED_SHORT] += 1
            return None
        self.reasons[Reason.SERVICE_RESTORED] += 1
        return _decision(customer_id, service, episode, deadline, Stage.RESOLVED)

    # ------------------------------------------------------------------ timers

    def _arm(
        self, customer_id: str, service: str, episode: dict[str, Any], deadline: float, kind: str
    ) -> None:
        episode["deadline"] = deadline
        self._armed[(customer_id, service)] = (deadline, kind)
        heapq.heappush(self._heap, (deadline, customer_id, _rank(service), service, kind))
        if len(self._heap) > 1024 and len(self._heap) > 4 * len(self._armed):
            self._compact()

    def _disarm(self, customer_id: str, service: str, episode: dict[str, Any]) -> None:
        episode["deadline"] = None
        self._armed.pop((customer_id, service), None)

    def _compact(self) -> None:
        """Drop stale heap entries, so heavy flapping cannot grow the heap without bound."""
        self._heap = [
            (deadline, customer_id, _rank(service), service, kind)
            for (customer_id, service), (deadline, kind) in self._armed.items()
        ]
        heapq.heapify(self._heap)


def _decision(
    customer_id: str, service: str, episode: dict[str, Any], deadline: float, stage: Stage
) -> Decision:
    resolved = stage is Stage.RESOLVED
    return Decision(
        customer_id=customer_id,
        incident_id=episode["incident_id"],
        stage=stage,
        services=(service,),
        decided_at=deadline,
        since=episode["since"],
        reason=Reason.SERVICE_RESTORED if resolved else Reason.CONFIRMED,
        cause_type=episode["cause_type"],
        ended_at=episode["back_since"] if resolved else None,
    )


def _merge(decisions: list[Decision]) -> list[Decision]:
    """One decision per (customer, incident, stage, instant), services in CONTRACT order.

    CONTRACT §6: services that one incident takes from one customer at the same instant may
    share one record. Decisions arrive ordered by (deadline, customer, service rank), so the
    services of a merged decision are already in order.
    """
    if len(decisions) < 2:
        return decisions
    merged: list[Decision] = []
    position: dict[tuple[str, str, str, float], int] = {}
    for decision in decisions:
        key = (decision.customer_id, decision.incident_id, decision.stage, decision.decided_at)
        index = position.get(key)
        if index is None:
            position[key] = len(merged)
            merged.append(decision)
            continue
        first = merged[index]
        merged[index] = dataclasses.replace(
            first,
            services=first.services + decision.services,
            since=min(first.since, decision.since),
        )
    return merged
