"""Delivery policy: which channel, now or later, or not at all — always with a named reason.

Pure (no I/O, no Faust): state comes in as mappings (Faust tables in production, dicts in
tests) and time as event-time arguments, so replay and live decide alike.

Rules of ``assess``, in order:

1. **Reachable?** Channels in the customer's preference order that have an address (and a
   notifier); none -> ``NO_ADDRESS``.
2. **Still news?** A ``resolved`` notice whose ``outage`` notice is still held for quiet
   hours cancels it (and held updates): the customer slept through the whole episode and
   never needed to know, and "service is back" about an outage they were never told of
   would only confuse. Both are dropped (``RESOLVED_WHILE_DEFERRED`` for the held ones,
   ``OUTAGE_NEVER_TOLD`` for the resolved notice). A resolved notice also replaces held
   updates of its incident (``UPDATE_SUPERSEDED``).
3. **Updates only:** at most ``max_per_day`` messages on the customer's local day
   (``DAILY_CAP``), and not within ``min_update_gap_s`` of their previous update (held
   until then: ``DEFERRED_UPDATE_GAP``). Outage, resolved, planned and completed notices
   are the contract's "exactly one" and are never capped or spaced.
4. **Quiet hours** (customer's timezone): non-priority ``sms``/``push`` is held until the
   quiet period ends (``DEFERRED_QUIET_HOURS``); e-mail is unaffected; priority customers
   are never held (``PRIORITY_IN_QUIET_HOURS``, counted).
5. **Legal notices** (``legal.LEGAL_REASONS``) skip rules 3 and 4 (``LEGAL_NOTICE``): the
   law owes them on their day and ``notice_hour`` is a civil hour by construction (config
   refuses a ``notice_hour`` inside quiet hours), so holding, spacing or capping one could
   only make it late or lost.
6. Otherwise ``SEND`` on the first usable channel (``FIRST_CHOICE``); the delivery stage
   moves on to the next one (``FALLBACK``) when a channel fails for good.

A held update replaces an older held update of the same incident (``UPDATE_SUPERSEDED``):
the customer gets the latest news once, not a backlog in the morning.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Collection, MutableMapping
from dataclasses import dataclass
from datetime import date, datetime, time
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from forewarn.domain import Customer, Decision, Stage
from forewarn.streams import records
from forewarn.streams.customers.legal_clocks import LEGAL_REASONS

__all__ = [
    "Action", "Deferrals", "DeliveryPolicy", "PolicyReason", "PolicySettings", "QuietHours",
    "Verdict",
]

QUIET_CHANNELS = frozenset({"sms", "push"})
_QUIET = re.compile(r"(\d{2}:\d{2})\s*-\s*(\d{2}:\d{2})")
DEFAULT_TIMEZONE = "Europe/Berlin"
UNTOLD_KEPT = 16  # episodes remembered per customer as "never told" (replays drop alike)
_RANK = {Stage.OUTAGE: 0, Stage.PLANNED: 0, Stage.UPDATE: 1, Stage.RESOLVED: 2,
         Stage.COMPLETED: 2}


class PolicyReason(StrEnum):
    """Why a notice was sent, held or dropped (logged and counted)."""

    FIRST_CHOICE = "first_choice"
    LEGAL_NOTICE = "legal_notice"
    FALLBACK = "fallback"
    PRIORITY_IN_QUIET_HOURS = "priority_in_quiet_hours"
    DEFERRED_QUIET_HOURS = "deferred_quiet_hours"
    DEFERRED_UPDATE_GAP = "deferred_update_gap"
    RELEASED = "released"
    RESOLVED_WHILE_DEFERRED = "resolved_while_deferred"
    OUTAGE_NEVER_TOLD = "outage_never_told"
    UPDATE_SUPERSEDED = "update_superseded"
    DAILY_CAP = "daily_cap"
    NO_ADDRESS = "no_address"
    CHANNELS_EXHAUSTED = "channels_exhausted"


class Action(StrEnum):
    SEND = "send"
    DEFER = "defer"
    DROP = "drop"


Cancelled = tuple[tuple[dict[str, Any], PolicyReason], ...]


@dataclass(frozen=True, slots=True)
class Verdict:
    """What to do with one decision. ``routes``: (channel, address) to try in order;
    ``cancelled``: held notices (decision records) this verdict dropped, with why."""

    action: Action
    reason: PolicyReason
    routes: tuple[tuple[str, str], ...] = ()
    release_at: float | None = None
    cancelled: Cancelled = ()


@dataclass(frozen=True, slots=True)
class QuietHours:
    """A daily quiet period in local time, e.g. ``22:00-07:00``; may cross midnight."""

    start: time | None = None
    end: time | None = None

    @classmethod
    def parse(cls, text: str) -> QuietHours:
        """``""`` is off, else ``HH:MM-HH:MM``; ``ValueError`` says what is wrong."""
        text = text.strip()
        if not text:
            return cls()
        match = _QUIET.fullmatch(text)
        try:
            if match is None:
                raise ValueError
            start, end = time.fromisoformat(match[1]), time.fromisoformat(match[2])
        except ValueError:
            raise ValueError(f"{text!r}: expected HH:MM-HH:MM, e.g. 22:00-07:00") from None
        if start == end:
            raise ValueError(f"{text!r}: start and end are equal")
        return cls(start, end)

    @property
    def enabled(self) -> bool:
        return self.start is not None

    def until(self, now: float, zone: ZoneInfo) -> float | None:
        """The instant the quiet period containing ``now`` ends, or None if not quiet."""
        if self.start is None or self.end is None:
            return None
        local = datetime.fromtimestamp(now, tz=zone)
        clock, day = local.time(), local.date()
        if self.start < self.end:
            quiet, end_day = self.start <= clock < self.end, day
        elif clock >= self.start:
            quiet, end_day = True, date.fromordinal(day.toordinal() + 1)
        else:
            quiet, end_day = clock < self.end, day
        if not quiet:
            return None
        ends = datetime.combine(end_day, self.end, tzinfo=zone).timestamp()
        return ends if ends > now else None  # a DST jump swallowed the end: not quiet


@dataclass(frozen=True, slots=True)
class PolicySettings:
    """Defaults keep every notice of CONTRACT §4 (see ``forewarn.config.DeliverySettings``)."""

    quiet_hours: QuietHours = QuietHours()
    max_per_day: int = 10
    min_update_gap_s: float = 0.0

    @classmethod
    def from_settings(cls, settings: Any) -> PolicySettings:
        """From ``forewarn.config.Settings`` (``notify.quiet_hours`` and ``[delivery]``)."""
        return cls(QuietHours.parse(settings.notify.quiet_hours),
                   settings.delivery.max_per_day, settings.delivery.min_update_gap_s)


def zone_of(customer: Customer) -> ZoneInfo:
    """The customer's zone; a bad name falls back to the default rather than silence them."""
    try:
        return ZoneInfo(customer.timezone or DEFAULT_TIMEZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TIMEZONE)


class Deferrals:
    """Held notices in ``store`` (a Faust table in production) keyed by notification_id.

    Each value is ``{"decision": record, "release_at": t, "exclude": [channels]}``. A heap
    by release time and an index by (customer, incident) live in memory and are rebuilt
    from the store on first use after ``forget`` (call it when partitions are revoked).
    """

    def __init__(self, store: MutableMapping[str, Any]) -> None:
        self.store = store
        self._heap: list[tuple[float, float, int, str]] | None = None
        self._by_key: dict[tuple[str, str], dict[str, Stage]] = {}

    def forget(self) -> None:
        self._heap = None

    def _index(self) -> list[tuple[float, float, int, str]]:
        if self._heap is None:
            self._heap, self._by_key = [], {}
            for nid, entry in list(self.store.items()):
                self._add(nid, entry)
        return self._heap

    def _add(self, nid: str, entry: dict[str, Any]) -> None:
        record, stage = entry["decision"], Stage(entry["decision"]["stage"])
        assert self._heap is not None
        heapq.heappush(self._heap, (entry["release_at"], record["decided_at"], _RANK[stage], nid))
        self._by_key.setdefault((record["customer_id"], record["incident_id"]), {})[nid] = stage

    def __contains__(self, nid: object) -> bool:
        return nid in self.store

    def __len__(self) -> int:
        return len(self.store)

    def hold(self, decision: Decision, release_at: float, exclude: Collection[str] = ()) -> None:
        self._index()
        entry = {"decision": records.decision_to_record(decision), "release_at": release_at,
                 "exclude": list(exclude)}
        self.store[decision.notification_id] = entry
        self._add(decision.notification_id, entry)

    def held(self, key: tuple[str, str], stage: Stage) -> bool:
        self._index()
        return stage in self._by_key.get(key, {}).values()

    def cancel(self, key: tuple[str, str], stage: Stage | None = None) -> list[dict[str, Any]]:
        """Remove held notices of (customer, incident), of one stage or all; their records."""
        self._index()
        held = self._by_key.get(key, {})
        out = []
        for nid in [n for n, s in held.items() if stage is None or s is stage]:
            del held[nid]
            entry = self.store.pop(nid, None)
            if entry is not None:
                out.append(entry["decision"])
        return out

    def due(self, now: float) -> list[dict[str, Any]]:
        """Remove and return entries due at ``now``, by release time, decision time, stage."""
        heap, out = self._index(), []
        while heap and heap[0][0] <= now:
            release_at, _, _, nid = heapq.heappop(heap)
            entry = self.store.get(nid)
            if entry is None or entry["release_at"] != release_at:
                continue  # cancelled (lazy deletion)
            del self.store[nid]
            record = entry["decision"]
            self._by_key.get((record["customer_id"], record["incident_id"]), {}).pop(nid, None)
            out.append(entry)
        return out


class DeliveryPolicy:
    """Decides per decision; ``state`` holds per-customer counters, ``deferrals`` held
    notices; ``channels`` limits routes to channels that can be delivered (None: all)."""

    def __init__(self, settings: PolicySettings | None = None,
                 state: MutableMapping[str, Any] | None = None,
                 deferrals: Deferrals | None = None, *,
                 channels: Collection[str] | None = None) -> None:
        self.settings = settings if settings is not None else PolicySettings()
        self.state: MutableMapping[str, Any] = state if state is not None else {}
        self.deferrals = deferrals if deferrals is not None else Deferrals({})
        self.channels = frozenset(channels) if channels is not None else None
        self._days: dict[str, tuple[float, float, str]] = {}

    def routes(self, customer: Customer,
               exclude: Collection[str] = ()) -> tuple[tuple[str, str], ...]:
        """Preferred channels with an address, in order, without ``exclude``."""
        return tuple(
            (channel, to) for channel in customer.channels
            if (to := customer.address(channel)) and channel not in exclude
            and (self.channels is None or channel in self.channels)
        )

    def quiet_until(self, customer: Customer, channel: str, now: float) -> float | None:
        """When quiet hours end for this customer on ``channel``, if they hold it now."""
        if customer.priority or channel not in QUIET_CHANNELS:
            return None
        return self.settings.quiet_hours.until(now, zone_of(customer))

    def assess(self, decision: Decision, customer: Customer, now: float,
               exclude: Collection[str] = ()) -> Verdict:
        """The verdict for ``decision`` at event time ``now`` (rules: module docstring).

        Applies its side effects on held notices (cancellations) right away; the caller
        acts on the verdict (``defer``, deliver, ``record_delivery``).
        """
        routes = self.routes(customer, exclude)
        if not routes:
            return Verdict(Action.DROP, PolicyReason.NO_ADDRESS)
        stage, key = decision.stage, (decision.customer_id, decision.incident_id)
        cancelled: Cancelled = ()
        if stage is Stage.RESOLVED:
            entry = self.state.get(decision.customer_id) or {}
            if self.deferrals.held(key, Stage.OUTAGE) or decision.incident_id in entry.get(
                    "untold", ()):
                cancelled = tuple((r, PolicyReason.RESOLVED_WHILE_DEFERRED)
                                  for r in self.deferrals.cancel(key))
                self._remember_untold(decision.customer_id, decision.incident_id)
                return Verdict(Action.DROP, PolicyReason.OUTAGE_NEVER_TOLD, cancelled=cancelled)
            cancelled = tuple((r, PolicyReason.UPDATE_SUPERSEDED)
                              for r in self.deferrals.cancel(key, Stage.UPDATE))
        if decision.reason in LEGAL_REASONS:  # owed by law at notice_hour: never held or capped
            return Verdict(Action.SEND, PolicyReason.LEGAL_NOTICE, routes, cancelled=cancelled)
        if stage is Stage.UPDATE:
            held = self._update_limits(decision, customer, routes, now)
            if held is not None:
                return held
        quiet_end = self.quiet_until(customer, routes[0][0], now)
        if quiet_end is not None:
            return Verdict(Action.DEFER, PolicyReason.DEFERRED_QUIET_HOURS, routes, quiet_end,
                           cancelled)
        if customer.priority and routes[0][0] in QUIET_CHANNELS and \
                self.settings.quiet_hours.until(now, zone_of(customer)) is not None:
            return Verdict(Action.SEND, PolicyReason.PRIORITY_IN_QUIET_HOURS, routes,
                           cancelled=cancelled)
        return Verdict(Action.SEND, PolicyReason.FIRST_CHOICE, routes, cancelled=cancelled)

    def _update_limits(self, decision: Decision, customer: Customer,
                       routes: tuple[tuple[str, str], ...], now: float) -> Verdict | None:
        settings, entry = self.settings, self.state.get(customer.customer_id) or {}
        if settings.max_per_day and entry.get("day") == self._day(customer, now) \
                and entry.get("count", 0) >= settings.max_per_day:
            return Verdict(Action.DROP, PolicyReason.DAILY_CAP)
        last = entry.get("last_update_at")
        if settings.min_update_gap_s and last is not None \
                and now < last + settings.min_update_gap_s:
            return Verdict(Action.DEFER, PolicyReason.DEFERRED_UPDATE_GAP, routes,
                           last + settings.min_update_gap_s)
        return None

    def defer(self, decision: Decision, release_at: float,
              exclude: Collection[str] = ()) -> Cancelled:
        """Hold ``decision`` until ``release_at``; returns the held updates it replaced."""
        replaced: Cancelled = ()
        if decision.stage is Stage.UPDATE:
            key = (decision.customer_id, decision.incident_id)
            replaced = tuple((r, PolicyReason.UPDATE_SUPERSEDED)
                             for r in self.deferrals.cancel(key, Stage.UPDATE))
        self.deferrals.hold(decision, release_at, exclude)
        return replaced

    def record_delivery(self, decision: Decision, customer: Customer, now: float) -> None:
        """Count a delivered message towards the customer's day and update spacing."""
        if not self.settings.max_per_day and not self.settings.min_update_gap_s:
            return  # nothing reads the counters: spare the table a write per message
        day = self._day(customer, now)
        entry = dict(self.state.get(customer.customer_id) or {})
        entry["count"] = entry.get("count", 0) + 1 if entry.get("day") == day else 1
        entry["day"] = day
        if decision.stage is Stage.UPDATE:
            entry["last_update_at"] = now
        self.state[customer.customer_id] = entry

    def _remember_untold(self, customer_id: str, incident_id: str) -> None:
        entry = dict(self.state.get(customer_id) or {})
        kept = [i for i in entry.get("untold", []) if i != incident_id][-(UNTOLD_KEPT - 1):]
        entry["untold"] = [*kept, incident_id]
        self.state[customer_id] = entry

    def _day(self, customer: Customer, now: float) -> str:
        """The customer's local calendar day of ``now`` (cached per zone: it runs for every
        delivered message of a fan-out, and a fan-out rarely crosses midnight)."""
        cached = self._days.get(customer.timezone)
        if cached is not None and cached[0] <= now < cached[1]:
            return cached[2]
        zone = zone_of(customer)
        day = datetime.fromtimestamp(now, tz=zone).date()
        start = datetime.combine(day, time(0), tzinfo=zone).timestamp()
        end = datetime.combine(date.fromordinal(day.toordinal() + 1), time(0), tzinfo=zone)
        self._days[customer.timezone] = (start, end.timestamp(), day.isoformat())
        return day.isoformat()
