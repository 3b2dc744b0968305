"""Outage episodes per (customer, service) in event time, and the notices they earn (CONTRACT §4).

An *episode* is the time a customer's service is continuously out, where gaps shorter than
``resolve_after_s`` join episodes. An episode that stays out ``confirm_after_s`` continuously
yields exactly one ``outage`` decision, at the instant that time elapses; once service has been
back ``resolve_after_s`` a notified episode yields exactly one ``resolved`` decision, at that
instant, and an unnotified one closes silently. Decisions carry the rule's instant as
``decided_at`` (never the time the tracker happened to notice), so replay and live runs decide
the same thing at the same event time.

Each (customer, service) is *ok*, *out* or *planned* (out, but a started maintenance window
explains it on its own). Going planned drops an episode not yet notified (no outage notice
inside a window) and holds a notified one open as out (its customer is owed a ``resolved``);
leaving planned for out opens a fresh episode at that instant, so after a window overruns the
episode starts at the window end. Maintenance windows (``planned``/``completed``), NOC news,
merges and the clocks of notified outages (legal, ETA passed) are the other half of this
class, :class:`~forewarn.streams.customers.notices.ScheduledNotices` in ``notices.py``.

Timers ``(deadline, customer, service rank, slot, kind)`` sit in one in-memory
``TimerQueue`` (``timer_queue.py``: bucketed by deadline) and are invalidated lazily:
re-arming or cancelling only updates ``_armed[(customer, slot)]``, stale entries are skipped
when they come due. Slots per customer: ``<service>`` (*confirm* while out
and not notified, *end* while back), ``~<service>`` (*clock*: the episode's next scheduled
update) and ``@<maintenance id>`` (*planned* notice, later *forget* the window's tombstone).
Every step is O(log n) at most, so 200,000 customers going out at once, and all being
confirmed at one deadline, costs no scan.
An in-memory index ``incident id -> {(customer, service)}`` of the open episodes (rebuilt
with the timers) lets NOC updates and merges touch only that incident's customers.

Order at one instant: timers fire before a change at the same instant is applied. So out for
exactly ``confirm_after_s`` IS notified, and a gap of exactly ``resolve_after_s`` does NOT join.

State (a Faust table in production, a dict in tests), keyed by customer id; keys marked *
appear only when used::

    {"t": 130.0,                         # last event time seen for this customer
     "episodes": {"mobile": {"incident_id": "inc-1", "cause_type": "power",
                             "since": 10.0,          # episode start
                             "out": true,            # out now (else back)
                             "back_since": null,     # when it came back (while back)
                             "notified": false,      # outage notice decided
                             "deadline": 130.0,      # armed timer (confirm if out, else end)
                             "clocks": [[86400.0, "legal_day1"]],  # * pending clock updates
                             "eta": 9000.0, "message": "...",      # * latest NOC news
                             "aliases": ["inc-0"]}},              # * merged incident ids
     "planned": {"fibre": "mw-7"},       # * services out because of a started window
     "windows": {"mw-7": {"at": 50.0, "start": 90.0, "end": 400.0, "text": null,  # *
                          "services": ["fibre"], "sent": false,
                          "ended": 400.0, "waiting": [], "done": ["fibre"]},  # * once ended
                 "mw-6": {"end": 90.0, "forget_at": 604890.0}}}  # * done: tombstone

Values are written back with ``state[key] = value`` after every change (tables changelog only
on set) and the key is deleted when nothing is open. The timers and index are derived from the
state: after a table recovery call :meth:`EpisodeTracker.rebuild`.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, MutableMapping
from typing import Any

from forewarn.domain import Decision, ImpactChange, Stage
from forewarn.streams.customers.notices import (
    CLOCK,
    FORGET,
    PLANNED,
    WINDOW_RANK,
    NoticeRules,
    ScheduledNotices,
    incident_names,
    merge_decisions,
    service_rank,
)
from forewarn.streams.customers.timer_queue import Timer, TimerQueue
from forewarn.streams.reasons import Reason

__all__ = ["EpisodeTracker", "Reason"]

_CONFIRM, _END = "confirm", "end"


def _owns_all(_customer_id: str) -> bool:
    return True


class EpisodeTracker(ScheduledNotices):
    """The per-(customer, service) episode machine over one state mapping.

    ``clock`` is the latest event time seen (``-inf`` before any). ``reasons`` counts every
    rule applied, by :class:`Reason`, for the shell to log and export. ``notices`` configures
    the scheduled notices (default: no legal clocks, ETA-passed updates on).
    """

    def __init__(
        self,
        state: MutableMapping[str, dict[str, Any]],
        confirm_after_s: float = 120,
        resolve_after_s: float = 300,
        *,
        notices: NoticeRules | None = None,
    ) -> None:
        if confirm_after_s < 0 or resolve_after_s < 0:
            raise ValueError("confirm_after_s and resolve_after_s must not be negative")
        self._state = state
        self._set_derived: Callable[[str, dict[str, Any]], None] | None = getattr(
            state, "set_derived", None)
        self.confirm_after_s = float(confirm_after_s)
        self.resolve_after_s = float(resolve_after_s)
        self.notices = notices if notices is not None else NoticeRules()
        self.clock: float = -math.inf
        self.reasons: Counter[str] = Counter()
        self._timers = TimerQueue()
        self._armed: dict[tuple[str, str], tuple[float, str]] = {}
        self._by_incident: dict[str, set[tuple[str, str]]] = {}

    # ------------------------------------------------------------------ public API

    def observe(self, change: ImpactChange) -> list[Decision]:
        """Advance to ``change.at`` (firing due timers), then apply the change.

        The change takes effect at ``max(change.at, the customer's last time)``: a change that
        arrives late cannot take back what was already decided for that customer.
        """
        return self.observe_many((change,))

    def observe_many(self, changes: Iterable[ImpactChange]) -> list[Decision]:
        """``observe`` each change; ``completed`` notices they cause share records."""
        fired: list[Decision] = []
        direct: list[Decision] = []
        timers = self._timers
        for change in changes:
            # (what ``advance`` would do, skipped when it would do nothing: most changes
            # of a message share one instant, and nothing is due in between)
            earliest = timers.earliest()
            if change.at > self.clock or (earliest is not None and earliest <= self.clock):
                fired += self.advance(change.at)
            direct += self._apply(change)
        return fired + merge_decisions(direct)

    def advance(self, now: float, *, horizon: float | None = None) -> list[Decision]:
        """Fire every timer due by ``now`` in deadline order (ties: customer, then service).

        Timers armed by a late change with a deadline already behind the clock fire here too.
        ``advance(math.inf)`` fires everything pending without moving ``clock`` to infinity;
        with ``horizon``, clock updates (legal, ETA passed) later than it stay pending.
        """
        if math.isfinite(now) and now > self.clock:
            self.clock = now
        limit = max(now, self.clock)
        armed = self._armed
        fired: list[Decision] = []
        kept: list[Timer] = []
        while (due := self._timers.pop_due(limit)) is not None:
            for timer in due:
                deadline, customer_id, _, slot, kind = timer
                if armed.get((customer_id, slot)) != (deadline, kind):
                    continue  # cancelled or re-armed since it was pushed
                if horizon is not None and kind == CLOCK and deadline > horizon:
                    kept.append(timer)
                    continue
                del armed[(customer_id, slot)]
                if deadline > self.clock:
                    self.clock = deadline
                decision = self._fire(customer_id, slot, deadline, kind)
                if decision is not None:
                    fired.append(decision)
        for timer in kept:
            self._timers.push(timer)
        return merge_decisions(fired)

    def drain(self) -> list[Decision]:
        """Everything the input so far decided: all timers, except clock updates after the
        latest event time (they depend on days passing, which the input does not show)."""
        return self.advance(math.inf, horizon=self.clock)

    def pending(self) -> int:
        """How many timers are armed."""
        return len(self._armed)

    def next_deadline(self) -> float | None:
        """The earliest armed deadline, or None when nothing is pending."""
        armed = self._armed
        while (deadline := self._timers.earliest()) is not None:
            if any(armed.get((c, slot)) == (deadline, kind)
                   for _, c, _, slot, kind in self._timers.at(deadline)):
                return deadline
            self._timers.drop_earliest()
        return None

    def rebuild(self, owns: Callable[[str], bool] = _owns_all) -> None:
        """Re-create the timers, index (and clock) from the state mapping, for keys ``owns``
        accepts.

        Call after a table recovery or partition assignment: a worker must only fire timers
        of the customers whose partitions it owns, or two workers would decide the same notice.
        """
        self._timers = TimerQueue()
        self._armed = {}
        self._by_incident = {}
        for customer_id, entry in self._state.items():
            if not owns(customer_id):
                continue
            self.clock = max(self.clock, float(entry.get("t", -math.inf)))
            for service, episode in entry.get("episodes", {}).items():
                self._index(customer_id, service, episode)
                if episode.get("deadline") is not None:
                    kind = _CONFIRM if episode["out"] else _END
                    self._push(customer_id, service, service_rank(service), episode["deadline"],
                               kind)
                if episode.get("clocks"):
                    self._push(customer_id, "~" + service, service_rank(service),
                               episode["clocks"][0][0], CLOCK)
            for maintenance_id, window in entry.get("windows", {}).items():
                if "forget_at" in window:
                    self._push(customer_id, "@" + maintenance_id, WINDOW_RANK,
                               window["forget_at"], FORGET)
                elif not window["sent"] and "ended" not in window:
                    self._push(customer_id, "@" + maintenance_id, WINDOW_RANK,
                               window["at"], PLANNED)

    # ------------------------------------------------------------------ changes

    def _apply(self, change: ImpactChange) -> list[Decision]:
        customer_id, service = change.customer_id, change.service
        entry = self._state.get(customer_id)
        if entry is None:
            if not change.out:
                self.reasons[Reason.DUPLICATE_CHANGE] += 1
                return []
            entry = {"t": change.at, "episodes": {}}
        t = max(change.at, entry.get("t", -math.inf))
        planned: dict[str, str] = entry.get("planned", {})
        direct: list[Decision] = []
        if change.out and change.planned:
            maintenance_id = change.maintenance_id or ""
            was = planned.get(service)
            if was is not None and was != maintenance_id:  # straight into another window
                direct = self._left_window(customer_id, entry, was, service, out=True)
            changed = self._to_planned(customer_id, service, entry, maintenance_id)
        else:
            was = planned.pop(service, None)
            if was is not None:
                if not planned:
                    del entry["planned"]
                direct = self._left_window(customer_id, entry, was, service, change.out)
            if change.out:
                changed = self._to_out(customer_id, service, entry, change, t, was is not None)
            else:
                changed = self._to_back(customer_id, service, entry, t, was is not None)
        if changed:
            entry["t"] = t
            self._store(customer_id, entry)
        return direct

    def _to_planned(
        self, customer_id: str, service: str, entry: dict[str, Any], maintenance_id: str
    ) -> bool:
        planned = entry.setdefault("planned", {})
        if planned.get(service) == maintenance_id:
            self.reasons[Reason.DUPLICATE_CHANGE] += 1
            return False
        planned[service] = maintenance_id
        episode = entry["episodes"].get(service)
        if episode is None:
            return True
        if episode["notified"]:  # the customer was told of an outage: it carries on
            if not episode["out"]:
                episode["out"], episode["back_since"] = True, None
                self._disarm(customer_id, service, episode)
            self.reasons[Reason.EPISODE_HELD] += 1
        else:  # the window explains it: no outage notice inside a window
            self._close_episode(customer_id, service, entry)
            self.reasons[Reason.SUPPRESSED_PLANNED] += 1
        return True

    def _to_out(
        self,
        customer_id: str,
        service: str,
        entry: dict[str, Any],
        change: ImpactChange,
        t: float,
        from_planned: bool,
    ) -> bool:
        episodes: dict[str, dict[str, Any]] = entry["episodes"]
        episode = episodes.get(service)
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
            self._index(customer_id, service, episode)
            self._arm_episode(customer_id, service, episode, t + self.confirm_after_s, _CONFIRM)
            self.reasons[Reason.EPISODE_OPENED] += 1
        elif not episode["out"]:
            # Back for less than resolve_after_s (else the end timer would have fired
            # first): same episode, same incident, same start.
            episode["out"] = True
            episode["back_since"] = None
            if episode["notified"]:
                self._disarm(customer_id, service, episode)
            else:  # must now stay out confirm_after_s continuously
                self._arm_episode(customer_id, service, episode, t + self.confirm_after_s,
                                  _CONFIRM)
            self.reasons[Reason.EPISODE_REJOINED] += 1
        elif not from_planned:  # (a held episode simply carries on after its window)
            self.reasons[Reason.DUPLICATE_CHANGE] += 1
            return False
        return True

    def _to_back(
        self, customer_id: str, service: str, entry: dict[str, Any], t: float, from_planned: bool
    ) -> bool:
        episode = entry["episodes"].get(service)
        if episode is None or not episode["out"]:
            if not from_planned:
                self.reasons[Reason.DUPLICATE_CHANGE] += 1
            return from_planned
        episode["out"] = False
        episode["back_since"] = t
        self._arm_episode(customer_id, service, episode, t + self.resolve_after_s, _END)
        return True

    # ------------------------------------------------------------------ timers firing

    def _fire(self, customer_id: str, slot: str, deadline: float, kind: str) -> Decision | None:
        entry = self._state.get(customer_id)
        if entry is None:
            return None  # the state moved on without us (e.g. edited by hand); nothing to do
        if kind == PLANNED:
            return self._fire_planned(customer_id, entry, slot[1:], deadline)
        if kind == FORGET:
            self._forget_window(customer_id, entry, slot[1:])
            return None
        if kind == CLOCK:
            return self._fire_clock(customer_id, entry, slot[1:], deadline)
        episode = entry["episodes"].get(slot)
        if episode is None or episode["out"] != (kind == _CONFIRM):
            return None
        entry["t"] = max(entry.get("t", -math.inf), deadline)
        episode["deadline"] = None
        if kind == _CONFIRM:
            episode["notified"] = True
            clocks, covered = self.notices.legal_clocks(customer_id, slot, episode["since"],
                                                        deadline)
            if covered:
                self.reasons[Reason.LEGAL_COVERED] += covered
            self._set_clocks(customer_id, slot, episode, clocks)
            self._store_derived(customer_id, entry)
            self.reasons[Reason.CONFIRMED] += 1
            return _decision(customer_id, slot, episode, deadline, Stage.OUTAGE)
        self._close_episode(customer_id, slot, entry)
        self._store(customer_id, entry)
        if not episode["notified"]:
            self.reasons[Reason.SUPPRESSED_SHORT] += 1
            return None
        self.reasons[Reason.SERVICE_RESTORED] += 1
        return _decision(customer_id, slot, episode, deadline, Stage.RESOLVED)



    # ------------------------------------------------------------------ bookkeeping

    def _store_derived(self, customer_id: str, entry: dict[str, Any]) -> None:
        """Write a transition the stored state already implies: a confirmation follows from
        the entry (out, not notified, its deadline) and the clock alone. A state mapping
        with ``set_derived`` (the batched journal) keeps it locally without changelogging
        it: after a recovery the rebuilt timer fires it again, with the same instant, so the
        same decision and ``notification_id`` (delivery drops the repeat)."""
        if self._set_derived is not None:
            self._set_derived(customer_id, entry)
        else:
            self._state[customer_id] = entry

    def _store(self, customer_id: str, entry: dict[str, Any]) -> None:
        if entry["episodes"] or entry.get("planned") or entry.get("windows"):
            self._state[customer_id] = entry
        elif customer_id in self._state:
            del self._state[customer_id]

    def _close_episode(self, customer_id: str, service: str, entry: dict[str, Any]) -> None:
        episode = entry["episodes"].pop(service)
        self._armed.pop((customer_id, service), None)
        self._armed.pop((customer_id, "~" + service), None)
        for name in incident_names(episode):
            members = self._by_incident.get(name)
            if members is not None:
                members.discard((customer_id, service))
                if not members:
                    del self._by_incident[name]

    def _index(self, customer_id: str, service: str, episode: dict[str, Any]) -> None:
        for name in incident_names(episode):
            self._by_incident.setdefault(name, set()).add((customer_id, service))



    def _arm_episode(
        self, customer_id: str, service: str, episode: dict[str, Any], deadline: float, kind: str
    ) -> None:
        episode["deadline"] = deadline
        self._arm(customer_id, service, service_rank(service), deadline, kind)

    def _disarm(self, customer_id: str, service: str, episode: dict[str, Any]) -> None:
        episode["deadline"] = None
        self._armed.pop((customer_id, service), None)

    def _push(self, customer_id: str, slot: str, rank: int, deadline: float, kind: str) -> None:
        self._armed[(customer_id, slot)] = (deadline, kind)
        self._timers.push((deadline, customer_id, rank, slot, kind))

    def _arm(self, customer_id: str, slot: str, rank: int, deadline: float, kind: str) -> None:
        self._push(customer_id, slot, rank, deadline, kind)
        timers = len(self._timers)
        if timers > 1024 and timers > 4 * len(self._armed):
            self._compact()

    def _compact(self) -> None:
        """Drop stale timers, so heavy flapping cannot grow the queue without bound."""
        self._timers = TimerQueue(
            (deadline, customer_id, _slot_rank(slot), slot, kind)
            for (customer_id, slot), (deadline, kind) in self._armed.items()
        )


def _slot_rank(slot: str) -> int:
    if slot.startswith("@"):
        return WINDOW_RANK
    return service_rank(slot.removeprefix("~"))


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

