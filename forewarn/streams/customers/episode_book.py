"""The episode book: each customer's episodes in the mapping it is given, their timers, an index.

What the episode rules (``episodes.py``, ``notices.py``) share, and all they share: the state
mapping (a Faust table in production, a dict in tests), the timers derived from it, the
incident index and the counts of rules applied. The book knows the stored layout and how to
keep its derived parts in step; it decides nothing, and it never reads a clock: every instant
it handles is an argument.

State, keyed by customer id; keys marked * appear only when used::

    {"t": 130.0,                         # last event time seen for this customer
     "episodes": {"mobile": {"incident_id": "inc-1", "cause_type": "power",
                             "since": 10.0,          # episode start
                             "out": true,            # out now (else back)
                             "back_since": null,     # when it came back (while back)
                             "notified": false,      # outage notice decided
                             "deadline": 130.0,      # armed timer (confirm if out, else end)
                             "clocks": [[86400.0, "legal_day1"]],  # * pending clock updates
                             "eta": 9000.0, "message": "...",      # * latest NOC news
                             "aliases": ["inc-0"],                # * merged incident ids
                             "report": 95.0}},    # * the customer's first report (reports.py)
     "planned": {"fibre": "mw-7"},       # * services out because of a started window
     "windows": {"mw-7": {"at": 50.0, "start": 90.0, "end": 400.0, "text": null,  # *
                          "services": ["fibre"], "sent": false,
                          "ended": 400.0, "waiting": [], "done": ["fibre"]},  # * once ended
                 "mw-6": {"end": 90.0, "forget_at": 604890.0}},  # * done: tombstone
     "reports": {"forget_at": 3695.0,    # * recent reports, kept report_lead_s for an
                 "seen": [[95.0, "k-1"]]}}   # episode that begins after them (reports.py)

Values are written back with ``state[key] = value`` after every change (tables changelog only
on set) and the key is deleted when nothing is open. This layout is what a restarted worker
reads from the changelog (``episode_changelog.py``): change it only with a migration.

Timers ``(deadline, customer, service rank, slot, kind)`` sit in one in-memory
``TimerQueue`` (``timer_queue.py``: bucketed by deadline) and are invalidated lazily:
re-arming or cancelling only updates ``armed[(customer, slot)]``, stale entries are skipped
when they come due. Slots per customer: ``<service>`` (*confirm* while out and not notified,
*end* while back), ``~<service>`` (*clock*: the episode's next scheduled update) and
``@<maintenance id>`` (*planned* notice, later *forget* the window's tombstone) and
``!reports`` (*forget_reports*: drop the reports older than the lead). Every step
is O(log n) at most, so 200,000 customers going out at once, and all being confirmed at one
deadline, costs no scan. The index ``incident id -> {(customer, service)}`` of the open
episodes lets NOC updates and merges touch only that incident's customers. Timers and index
are derived from the state: after a table recovery, :meth:`EpisodeBook.rebuild` them.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, MutableMapping
from typing import Any

from forewarn.domain import SERVICES
from forewarn.streams.customers.timer_queue import TimerQueue

__all__ = [
    "CLOCK",
    "CONFIRM",
    "END",
    "FORGET",
    "FORGET_REPORTS",
    "PLANNED",
    "REPORTS_RANK",
    "REPORTS_SLOT",
    "WINDOW_RANK",
    "Clocks",
    "EpisodeBook",
    "incident_names",
    "service_rank",
]

#: Timer kinds: an episode's confirmation (while out) or end (while back), its next clock
#: update, a window's planned notice, and the forgetting of a done window's tombstone.
CONFIRM, END, CLOCK, PLANNED, FORGET = "confirm", "end", "clock", "planned", "forget"
#: Timer kind and slot that forget a customer's reports once they are older than the lead.
FORGET_REPORTS, REPORTS_SLOT = "forget_reports", "!reports"

#: Rank of window timers: after every service's timers of the customer at one instant.
WINDOW_RANK = len(SERVICES) + 1
#: Rank of the reports' timer: last of the customer's timers at one instant.
REPORTS_RANK = WINDOW_RANK + 1

Clocks = list[list[Any]]  # [[instant, reason], ...], ascending, JSON-friendly

_COMPACT_MIN = 1024  # stale timers tolerated before compaction is considered
_COMPACT_RATIO = 4  # compact when the queue holds this many times the armed timers


_RANKS = {service: rank for rank, service in enumerate(SERVICES)}


def service_rank(service: str) -> int:
    """Services fire, and are listed in shared records, in CONTRACT order: mobile, fibre."""
    return _RANKS.get(service, len(SERVICES))


def incident_names(episode: dict[str, Any]) -> list[str]:
    """The incident ids an episode answers to: its own, then those merged with it."""
    return [episode["incident_id"], *episode.get("aliases", ())]


def _slot_rank(slot: str) -> int:
    if slot.startswith("@"):
        return WINDOW_RANK
    if slot == REPORTS_SLOT:
        return REPORTS_RANK
    return service_rank(slot.removeprefix("~"))


def _owns_all(_customer_id: str) -> bool:
    return True


class EpisodeBook:
    """Episode entries over ``state``, the timers armed for them and the incident index.

    ``reasons`` counts every rule applied, by :class:`~forewarn.streams.reasons.Reason`; the
    rules write to it, the shell logs and exports it.
    """

    def __init__(self, state: MutableMapping[str, dict[str, Any]]) -> None:
        self.state = state
        self._set_derived: Callable[[str, dict[str, Any]], None] | None = getattr(
            state, "set_derived", None)
        self.reasons: Counter[str] = Counter()
        self.timers = TimerQueue()
        self.armed: dict[tuple[str, str], tuple[float, str]] = {}
        self.by_incident: dict[str, set[tuple[str, str]]] = {}

    # ------------------------------------------------------------------ entries

    def store(self, customer_id: str, entry: dict[str, Any]) -> None:
        """Write ``entry`` back, or delete it when nothing is open any more."""
        if (entry["episodes"] or entry.get("planned") or entry.get("windows")
                or entry.get("reports")):
            self.state[customer_id] = entry
        elif customer_id in self.state:
            del self.state[customer_id]

    def store_derived(self, customer_id: str, entry: dict[str, Any]) -> None:
        """Write a transition the stored state already implies: a confirmation follows from
        the entry (out, not notified, its deadline) and the clock alone. A state mapping
        with ``set_derived`` (the batched journal) keeps it locally without changelogging
        it: after a recovery the rebuilt timer fires it again, with the same instant, so the
        same decision and ``notification_id`` (delivery drops the repeat)."""
        if self._set_derived is not None:
            self._set_derived(customer_id, entry)
        else:
            self.state[customer_id] = entry

    def close_episode(self, customer_id: str, service: str, entry: dict[str, Any]) -> None:
        """Remove the service's episode from ``entry``, with its timers and index entries."""
        episode = entry["episodes"].pop(service)
        self.armed.pop((customer_id, service), None)
        self.armed.pop((customer_id, "~" + service), None)
        for name in incident_names(episode):
            members = self.by_incident.get(name)
            if members is not None:
                members.discard((customer_id, service))
                if not members:
                    del self.by_incident[name]

    # ------------------------------------------------------------------ index

    def index(self, customer_id: str, service: str, episode: dict[str, Any]) -> None:
        """File the episode under every incident id it answers to."""
        for name in incident_names(episode):
            self.by_incident.setdefault(name, set()).add((customer_id, service))

    def members(self, incident_id: str) -> list[tuple[str, str]]:
        """Open episodes answering to ``incident_id``, in (customer, service) order."""
        members = self.by_incident.get(incident_id, ())
        return sorted(members, key=lambda m: (m[0], service_rank(m[1]), m[1]))

    # ------------------------------------------------------------------ timers

    def arm_episode(
        self, customer_id: str, service: str, episode: dict[str, Any], deadline: float, kind: str
    ) -> None:
        """Arm the episode's confirm or end timer (one at a time: the deadline is stored)."""
        episode["deadline"] = deadline
        self.arm(customer_id, service, service_rank(service), deadline, kind)

    def disarm_episode(self, customer_id: str, service: str, episode: dict[str, Any]) -> None:
        episode["deadline"] = None
        self.armed.pop((customer_id, service), None)

    def set_clocks(
        self, customer_id: str, service: str, episode: dict[str, Any], clocks: Clocks
    ) -> None:
        """Replace the episode's pending clock updates and arm the earliest (or none)."""
        if clocks:
            episode["clocks"] = clocks
            self.arm(customer_id, "~" + service, service_rank(service), clocks[0][0], CLOCK)
        else:
            episode.pop("clocks", None)
            self.armed.pop((customer_id, "~" + service), None)

    def arm(self, customer_id: str, slot: str, rank: int, deadline: float, kind: str) -> None:
        """Arm ``slot``'s timer (replacing the one armed before), compacting when stale
        timers pile up, so heavy flapping cannot grow the queue without bound."""
        self.push(customer_id, slot, rank, deadline, kind)
        timers = len(self.timers)
        if timers > _COMPACT_MIN and timers > _COMPACT_RATIO * len(self.armed):
            self.timers = TimerQueue(
                (deadline, customer_id, _slot_rank(slot), slot, kind)
                for (customer_id, slot), (deadline, kind) in self.armed.items()
            )

    def push(self, customer_id: str, slot: str, rank: int, deadline: float, kind: str) -> None:
        self.armed[(customer_id, slot)] = (deadline, kind)
        self.timers.push((deadline, customer_id, rank, slot, kind))

    def pending(self) -> int:
        """How many timers are armed."""
        return len(self.armed)

    def next_deadline(self) -> float | None:
        """The earliest armed deadline, or None when nothing is pending."""
        armed = self.armed
        while (deadline := self.timers.earliest()) is not None:
            if any(armed.get((c, slot)) == (deadline, kind)
                   for _, c, _, slot, kind in self.timers.at(deadline)):
                return deadline
            self.timers.drop_earliest()
        return None

    # ------------------------------------------------------------------ recovery

    def rebuild(self, owns: Callable[[str], bool] = _owns_all) -> float:
        """Re-create the timers and index from the state, for keys ``owns`` accepts; returns
        the latest event time those entries saw (``-inf`` if none)."""
        self.timers = TimerQueue()
        self.armed = {}
        self.by_incident = {}
        latest = -math.inf
        for customer_id, entry in self.state.items():
            if not owns(customer_id):
                continue
            latest = max(latest, float(entry.get("t", -math.inf)))
            for service, episode in entry.get("episodes", {}).items():
                self.index(customer_id, service, episode)
                if episode.get("deadline") is not None:
                    kind = CONFIRM if episode["out"] else END
                    self.push(customer_id, service, service_rank(service), episode["deadline"],
                              kind)
                if episode.get("clocks"):
                    self.push(customer_id, "~" + service, service_rank(service),
                              episode["clocks"][0][0], CLOCK)
            for maintenance_id, window in entry.get("windows", {}).items():
                if "forget_at" in window:
                    self.push(customer_id, "@" + maintenance_id, WINDOW_RANK,
                              window["forget_at"], FORGET)
                elif not window["sent"] and "ended" not in window:
                    self.push(customer_id, "@" + maintenance_id, WINDOW_RANK,
                              window["at"], PLANNED)
            reports = entry.get("reports")
            if reports:
                self.push(customer_id, REPORTS_SLOT, REPORTS_RANK, reports["forget_at"],
                          FORGET_REPORTS)
        return latest
