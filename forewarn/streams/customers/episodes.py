"""Outage episodes per (customer, service) in event time, and the notices they earn (CONTRACT §4).

An *episode* is the time a customer's service is continuously out, where gaps shorter than
``resolve_after_s`` join episodes. An episode that stays out ``confirm_after_s`` continuously
yields exactly one ``outage`` decision, at the instant that time elapses; once service has been
back ``resolve_after_s`` a notified episode yields exactly one ``resolved`` decision, at that
instant, and an unnotified one closes silently. Decisions carry the rule's instant as
``decided_at`` (never the time the tracker happened to notice), so replay and live runs decide
the same thing at the same event time.

Each (customer, service) is *ok* (no episode), *out* or *back* (an episode waiting to end),
unnotified or notified, or *planned* (out, but a started maintenance window explains it)::

                    out                  out for confirm_after_s: ``outage``
      ok ───────────────────────▶ out ───────────────────────────────────▶ out
    (no episode)               unnotified                               notified
      ▲  ▲                      │    ▲                                   │    ▲
      │  │                    back   out: rejoins, confirm             back   out: rejoins
      │  │                      ▼    │  re-armed from then               ▼    │
      │  └─── back for ─────── back ─┘                                  back ─┘
      │     resolve_after_s  unnotified                              notified
      │    (closes silently)                                            │
      └───────────── back for resolve_after_s: ``resolved`` ────────────┘

      any ─── planned ──▶ planned: an unnotified episode is dropped (no outage notice
                          inside a window), a notified one is held open as out
      planned ── out ───▶ a fresh episode opens at that instant (the window overran: the
                          episode starts at the window end); a held one carries on
      planned ── back ──▶ ok, or back, notified for a held one (owed its ``resolved``)

Timers, one per slot: *confirm* while out and unnotified, *end* while back, *clock* (legal,
ETA passed) while notified, *planned* / *forget* per maintenance window, *forget_reports* while
the customer's recent reports are kept (``reports.py``). Order at one instant:
timers fire before a change at the same instant is applied. So out for exactly
``confirm_after_s`` IS notified, and a gap of exactly ``resolve_after_s`` does NOT join.

Composition: :class:`EpisodeTracker` owns the clock and the order of events; the state, timers
and incident index are its :class:`~forewarn.streams.customers.episode_book.EpisodeBook`
(``episode_book.py``, which documents the stored layout); the rules over that book each return
decisions with named reasons: :class:`OutageRules` here (open, join, confirm, resolve, drop,
hold), :class:`~forewarn.streams.customers.notices.WindowRules` (``planned``, ``completed``)
and :class:`~forewarn.streams.customers.notices.UpdateRules` (NOC news, merges, ETA passed,
legal clocks) in ``notices.py``, and :class:`~forewarn.streams.customers.reports.ReportRules`
(the customer's first report, where ``clock_start = "report"`` starts the legal clocks).

Fan-out paths: an incident opens, and later confirms, all its customers at one instant, so
two cases take a short cut with the same outcome as the general rules (property-tested): a
customer with no entry going out opens its episode directly (:meth:`EpisodeTracker.
observe_impact`, also used by ``observe_many``), and a deadline's confirmations are decided
in one pass (:meth:`OutageRules.confirm_many`).
"""

from __future__ import annotations

import dataclasses
import math
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, MutableMapping, Sequence
from typing import Any

from forewarn.domain import Decision, ImpactChange, Stage
from forewarn.streams.customers.episode_book import (
    CLOCK,
    CONFIRM,
    END,
    FORGET,
    FORGET_REPORTS,
    PLANNED,
    Clocks,
    EpisodeBook,
    service_rank,
)
from forewarn.streams.customers.legal_clocks import clock_origin
from forewarn.streams.customers.notices import (
    NoticeRules,
    UpdateRules,
    WindowRules,
    merge_decisions,
    ordered_services,
)
from forewarn.streams.customers.reports import ReportRules, first_report
from forewarn.streams.customers.timer_queue import Timer, TimerQueue
from forewarn.streams.reasons import Reason

__all__ = ["EpisodeTracker", "OutageRules", "Reason"]


#: What fires a timer: ``(customer_id, entry, subject, deadline)`` -> its decision, if any.
_TimerRule = Callable[[str, dict[str, Any], str, float], Decision | None]


def _owns_all(_customer_id: str) -> bool:
    return True


class OutageRules:
    """Open, join, confirm and resolve outage episodes; drop or hold them in a window.

    The transitions of the diagram above for one (customer, service), on the entry the
    tracker hands over: a change goes ``to_planned``, ``to_out`` or ``to_back`` (each returns
    whether the entry changed; else the change was a duplicate, ``DUPLICATE_CHANGE``), and
    the timers these arm come back as :meth:`confirm` and :meth:`resolve`.
    """

    def __init__(
        self, book: EpisodeBook, notices: NoticeRules, confirm_after_s: float,
        resolve_after_s: float,
    ) -> None:
        self.book = book
        self.notices = notices
        self.confirm_after_s = confirm_after_s
        self.resolve_after_s = resolve_after_s

    # ------------------------------------------------------------------ changes

    def to_planned(
        self, customer_id: str, service: str, entry: dict[str, Any], maintenance_id: str
    ) -> bool:
        book = self.book
        planned = entry.setdefault("planned", {})
        if planned.get(service) == maintenance_id:
            book.reasons[Reason.DUPLICATE_CHANGE] += 1
            return False
        planned[service] = maintenance_id
        episode = entry["episodes"].get(service)
        if episode is None:
            return True
        if episode["notified"]:  # the customer was told of an outage: it carries on
            if not episode["out"]:
                episode["out"], episode["back_since"] = True, None
                book.disarm_episode(customer_id, service, episode)
            book.reasons[Reason.EPISODE_HELD] += 1
        else:  # the window explains it: no outage notice inside a window
            book.close_episode(customer_id, service, entry)
            book.reasons[Reason.SUPPRESSED_PLANNED] += 1
        return True

    def to_out(
        self,
        customer_id: str,
        service: str,
        entry: dict[str, Any],
        change: ImpactChange,
        t: float,
        from_planned: bool,
    ) -> bool:
        book = self.book
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
            report = first_report(entry, t, self.notices.report_lead_s)
            if report is not None:  # the customer called before the alarm
                episode["report"] = report
                book.reasons[Reason.FIRST_REPORT] += 1
            episodes[service] = episode
            book.index(customer_id, service, episode)
            book.arm_episode(customer_id, service, episode, t + self.confirm_after_s, CONFIRM)
            book.reasons[Reason.EPISODE_OPENED] += 1
        elif not episode["out"]:
            # Back for less than resolve_after_s (else the end timer would have fired
            # first): same episode, same incident, same start.
            episode["out"] = True
            episode["back_since"] = None
            if episode["notified"]:
                book.disarm_episode(customer_id, service, episode)
            else:  # must now stay out confirm_after_s continuously
                book.arm_episode(customer_id, service, episode, t + self.confirm_after_s,
                                 CONFIRM)
            book.reasons[Reason.EPISODE_REJOINED] += 1
        elif not from_planned:  # (a held episode simply carries on after its window)
            book.reasons[Reason.DUPLICATE_CHANGE] += 1
            return False
        return True

    def to_back(
        self, customer_id: str, service: str, entry: dict[str, Any], t: float, from_planned: bool
    ) -> bool:
        episode = entry["episodes"].get(service)
        if episode is None or not episode["out"]:
            if not from_planned:
                self.book.reasons[Reason.DUPLICATE_CHANGE] += 1
            return from_planned
        episode["out"] = False
        episode["back_since"] = t
        self.book.arm_episode(customer_id, service, episode, t + self.resolve_after_s, END)
        return True

    # ------------------------------------------------------------------ timers

    def confirm(
        self, customer_id: str, entry: dict[str, Any], service: str, deadline: float
    ) -> Decision | None:
        """Out for ``confirm_after_s``: the ``outage`` notice (``CONFIRMED``), and the legal
        clocks of the outage armed from it."""
        book = self.book
        episode = entry["episodes"].get(service)
        if episode is None or not episode["out"]:
            return None
        entry["t"] = max(entry.get("t", -math.inf), deadline)
        episode["deadline"] = None
        episode["notified"] = True
        origin = self.notices.clock_origin(episode)
        clocks: Clocks
        if origin is None:  # clock_start = "report" and no report yet: its report starts it
            clocks, covered = [], 0
            if service in self.notices.legal.services:
                book.reasons[Reason.LEGAL_NO_REPORT] += 1
        else:
            clocks, covered = self.notices.legal_clocks(customer_id, service, origin, deadline)
        if covered:
            book.reasons[Reason.LEGAL_COVERED] += covered
        book.set_clocks(customer_id, service, episode, clocks)
        book.store_derived(customer_id, entry)
        book.reasons[Reason.CONFIRMED] += 1
        return _decision(customer_id, service, episode, deadline, Stage.OUTAGE)

    def confirm_many(self, due: Sequence[tuple[str, str]], deadline: float) -> list[Decision]:
        """:meth:`confirm` for each ``(customer, service)`` due at one ``deadline``, in that
        order, already merged as :func:`merge_decisions` would merge them.

        Why: an incident confirms all its customers at one instant (200,000 in a fan-out),
        and per customer the work is the same few steps. Here each customer's entry is read
        and zoned once for all its services, their shared decision is built in place (no
        ``dataclasses.replace`` pass to merge services), and the reasons are counted once
        per run. The entry is still stored after each service, as :meth:`confirm` does.
        A customer's pairs must be adjacent (the timer queue sorts them so).
        """
        book, notices, state = self.book, self.notices, self.book.state
        legal_services = notices.legal.services
        clock_start = notices.clock_start
        store, arm, armed = book.store_derived, book.arm, book.armed
        # one incident's customers share a few (origin, zone) pairs: their clocks, once
        known: dict[tuple[str, float, str], tuple[Clocks, int]] = {}
        zones: dict[str, str] | None = None  # every due customer's, at the first need
        decisions: list[Decision] = []
        confirmed = covered_total = no_report = 0
        run_start = 0  # first decision of the current customer
        customer_id: str | None = None
        entry: dict[str, Any] | None = None
        zone: str | None = None
        for next_id, service in due:
            if next_id != customer_id:
                customer_id, zone, run_start = next_id, None, len(decisions)
                entry = state.get(next_id)
            if entry is None:
                continue  # the state moved on without us (e.g. edited by hand)
            episode = entry["episodes"].get(service)
            if episode is None or not episode["out"]:
                continue
            t = entry.get("t", -math.inf)
            if deadline > t:
                entry["t"] = deadline
            episode["deadline"] = None
            episode["notified"] = True
            origin = (episode["since"] if clock_start == "outage"
                      else clock_origin(clock_start, episode["since"], episode.get("report")))
            clocks: Clocks = []
            if origin is None:  # clock_start = "report" and no report yet
                if service in legal_services:
                    no_report += 1
            elif service in legal_services:
                if zone is None:
                    if zones is None:
                        zones = notices.zones_of(list(dict.fromkeys(c for c, _ in due)))
                    zone = zones[next_id]
                key = (service, origin, zone)
                found = known.get(key)
                if found is None:
                    found = known[key] = notices.legal_clocks(next_id, service, origin,
                                                              deadline, zone=zone)
                clocks = found[0]
                covered_total += found[1]
            rank = service_rank(service)
            if clocks:  # (``book.set_clocks``, inlined)
                episode["clocks"] = clocks
                arm(next_id, "~" + service, rank, clocks[0][0], CLOCK)
            else:
                episode.pop("clocks", None)
                armed.pop((next_id, "~" + service), None)
            store(next_id, entry)
            confirmed += 1
            decisions = _add_outage(decisions, run_start, next_id, service, episode, deadline)
        reasons = book.reasons
        if no_report:
            reasons[Reason.LEGAL_NO_REPORT] += no_report
        if covered_total:
            reasons[Reason.LEGAL_COVERED] += covered_total
        if confirmed:
            reasons[Reason.CONFIRMED] += confirmed
        return decisions

    def resolve(
        self, customer_id: str, entry: dict[str, Any], service: str, deadline: float
    ) -> Decision | None:
        """Back for ``resolve_after_s``: the episode ends, with the ``resolved`` notice
        (``SERVICE_RESTORED``) if it was notified, else silently (``SUPPRESSED_SHORT``)."""
        book = self.book
        episode = entry["episodes"].get(service)
        if episode is None or episode["out"]:
            return None
        entry["t"] = max(entry.get("t", -math.inf), deadline)
        episode["deadline"] = None
        book.close_episode(customer_id, service, entry)
        book.store(customer_id, entry)
        if not episode["notified"]:
            book.reasons[Reason.SUPPRESSED_SHORT] += 1
            return None
        book.reasons[Reason.SERVICE_RESTORED] += 1
        return _decision(customer_id, service, episode, deadline, Stage.RESOLVED)


_DECISION_FIELDS = ("customer_id", "incident_id", "stage", "services", "decided_at", "since",
                    "reason", "cause_type", "ended_at", "eta", "message")
if tuple(f.name for f in dataclasses.fields(Decision)) != _DECISION_FIELDS:
    raise TypeError("Decision's fields changed: update _outage_decision")
_new = object.__new__
(_set_customer, _set_incident, _set_stage, _set_services, _set_decided, _set_since, _set_reason,
 _set_cause, _set_ended, _set_eta, _set_message) = (
    getattr(Decision, name).__set__ for name in _DECISION_FIELDS)


def _outage_decision(customer_id: str, incident_id: str, services: tuple[str, ...],
                     deadline: float, since: float, reason: str, cause_type: str) -> Decision:
    """``Decision(customer_id, incident_id, Stage.OUTAGE, services, deadline, since, reason,
    cause_type)``, built through its slots: a frozen dataclass sets each field through
    ``object.__setattr__`` (~5 µs for its 11 fields under load, ~2 µs this way), and a
    fan-out builds 200,000 of them at one instant. Equal to the constructor's (tested)."""
    decision: Decision = _new(Decision)
    _set_customer(decision, customer_id)
    _set_incident(decision, incident_id)
    _set_stage(decision, Stage.OUTAGE)
    _set_services(decision, services)
    _set_decided(decision, deadline)
    _set_since(decision, since)
    _set_reason(decision, reason)
    _set_cause(decision, cause_type)
    _set_ended(decision, None)
    _set_eta(decision, None)
    _set_message(decision, None)
    return decision


def _add_outage(decisions: list[Decision], run_start: int, customer_id: str, service: str,
                episode: dict[str, Any], deadline: float) -> list[Decision]:
    """Append the ``outage`` decision of one confirmed (customer, service), or fold it into
    the customer's decision of the same incident from ``run_start`` on (``merge_decisions``:
    the first one gives the fields, services in CONTRACT order, the earliest ``since``)."""
    incident_id = episode["incident_id"]
    for index in range(run_start, len(decisions)):
        first = decisions[index]
        if first.incident_id == incident_id:
            services = first.services
            if service not in services:
                services = tuple(ordered_services((*services, service)))
            decisions[index] = _outage_decision(customer_id, incident_id, services, deadline,
                                                min(first.since, episode["since"]),
                                                first.reason, first.cause_type)
            return decisions
    decisions.append(_outage_decision(customer_id, incident_id, (service,), deadline,
                                      episode["since"], Reason.CONFIRMED, episode["cause_type"]))
    return decisions


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


class EpisodeTracker:
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
        self.confirm_after_s = float(confirm_after_s)
        self.resolve_after_s = float(resolve_after_s)
        self.notices = notices if notices is not None else NoticeRules()
        self.clock: float = -math.inf
        self._book = book = EpisodeBook(state)
        self.reasons: Counter[str] = book.reasons
        self._outages = OutageRules(book, self.notices, self.confirm_after_s,
                                    self.resolve_after_s)
        self._windows = WindowRules(book, self.notices)
        self._updates = UpdateRules(book, self.notices)
        self._reports = ReportRules(book, self.notices)
        # Each timer kind belongs to the rule that armed it, which gets the slot's subject:
        # the slot without its prefix (``~<service>``, ``@<maintenance id>``) if it has one.
        self._on_timer: dict[str, tuple[_TimerRule, int]] = {
            CONFIRM: (self._outages.confirm, 0),
            END: (self._outages.resolve, 0),
            CLOCK: (self._updates.send_clock, 1),
            PLANNED: (self._windows.send_planned, 1),
            FORGET: (self._windows.forget, 1),
            FORGET_REPORTS: (self._reports.forget, 1),
        }

    @property
    def _timers(self) -> TimerQueue:
        """The book's timer queue (tests check that it stays bounded)."""
        return self._book.timers

    # ------------------------------------------------------------------ changes

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
        # (bound once per call: a compaction while applying replaces the book's queue, and
        # this check then keeps reading the replaced one until the next call)
        timers = self._book.timers
        open_fresh = self._open_fresh
        for change in changes:
            # (what ``advance`` would do, skipped when it would do nothing: most changes
            # of a message share one instant, and nothing is due in between)
            earliest = timers.earliest()
            if change.at > self.clock or (earliest is not None and earliest <= self.clock):
                fired += self.advance(change.at)
            if change.out and not change.planned and open_fresh(
                    change.customer_id, change.service, change.at, change.incident_id,
                    change.cause_type):
                continue
            direct += self._apply(change)
        return fired + merge_decisions(direct)

    def observe_impact(
        self,
        at: float,
        incident_id: str,
        cause_element: str,
        cause_type: str,
        groups: Iterable[tuple[str, str, Iterable[str]]],
        maintenance_id: str | None = None,
    ) -> list[Decision]:
        """:meth:`observe_many` of one impact message's changes, without building them.

        ``groups``: ``(direction, service, customer ids)`` in the message's order, direction
        ``"out"``, ``"planned"`` or ``"back"``; every change is at ``at``. Why: a fan-out
        message names up to 10,000 customers, most of them going out with no entry yet;
        those open their episode here directly, and only the others become
        :class:`ImpactChange` values for the general rules (~1 µs each, a frozen dataclass).
        """
        fired: list[Decision] = []
        direct: list[Decision] = []
        timers = self._book.timers  # (bound once per call, as in ``observe_many``)
        open_fresh = self._open_fresh
        for direction, service, ids in groups:
            out, planned = direction != "back", direction == "planned"
            fresh = out and not planned
            for customer_id in ids:
                earliest = timers.earliest()
                if at > self.clock or (earliest is not None and earliest <= self.clock):
                    fired += self.advance(at)
                if fresh and open_fresh(customer_id, service, at, incident_id, cause_type):
                    continue
                direct += self._apply(ImpactChange(
                    customer_id, service, out, at, incident_id, cause_element, cause_type,
                    planned=planned, maintenance_id=maintenance_id if planned else None))
        return fired + merge_decisions(direct)

    def _open_fresh(self, customer_id: str, service: str, at: float, incident_id: str,
                    cause_type: str) -> bool:
        """A customer with no entry goes out: open the episode (what :meth:`_apply` and
        :meth:`OutageRules.to_out` do for that case, the one an incident's fan-out is made
        of, without their look-ups); False, changing nothing, if the customer has an entry."""
        book = self._book
        state = book.state
        if customer_id in state:
            return False
        episode = {
            "incident_id": incident_id,
            "cause_type": cause_type,
            "since": at,
            "out": True,
            "back_since": None,
            "notified": False,
            "deadline": None,
        }
        members = book.by_incident.get(incident_id)
        if members is None:
            members = book.by_incident[incident_id] = set()
        members.add((customer_id, service))
        deadline = at + self.confirm_after_s
        episode["deadline"] = deadline
        book.arm(customer_id, service, service_rank(service), deadline, CONFIRM)
        book.reasons[Reason.EPISODE_OPENED] += 1
        state[customer_id] = {"t": at, "episodes": {service: episode}}
        return True

    def _apply(self, change: ImpactChange) -> list[Decision]:
        """One change for one (customer, service): leave a window, then go planned/out/back."""
        customer_id, service = change.customer_id, change.service
        book = self._book
        entry = book.state.get(customer_id)
        if entry is None:
            if not change.out:
                book.reasons[Reason.DUPLICATE_CHANGE] += 1
                return []
            entry = {"t": change.at, "episodes": {}}
        t = max(change.at, entry.get("t", -math.inf))
        planned: dict[str, str] = entry.get("planned", {})
        outages = self._outages
        direct: list[Decision] = []
        if change.out and change.planned:
            maintenance_id = change.maintenance_id or ""
            was = planned.get(service)
            if was is not None and was != maintenance_id:  # straight into another window
                direct = self._windows.left(customer_id, entry, was, service, out=True)
            changed = outages.to_planned(customer_id, service, entry, maintenance_id)
        else:
            was = planned.pop(service, None)
            if was is not None:
                if not planned:
                    del entry["planned"]
                direct = self._windows.left(customer_id, entry, was, service, change.out)
            if change.out:
                changed = outages.to_out(customer_id, service, entry, change, t, was is not None)
            else:
                changed = outages.to_back(customer_id, service, entry, t, was is not None)
        if changed:
            entry["t"] = t
            book.store(customer_id, entry)
        return direct

    # ------------------------------------------------------------------ time

    def advance(self, now: float, *, horizon: float | None = None) -> list[Decision]:
        """Fire every timer due by ``now`` in deadline order (ties: customer, then service).

        Timers armed by a late change with a deadline already behind the clock fire here too.
        ``advance(math.inf)`` fires everything pending without moving ``clock`` to infinity;
        with ``horizon``, clock updates (legal, ETA passed) later than it stay pending.
        """
        if math.isfinite(now) and now > self.clock:
            self.clock = now
        limit = max(now, self.clock)
        book = self._book
        state, armed, on_timer = book.state, book.armed, self._on_timer
        fired: list[Decision] = []
        kept: list[Timer] = []
        confirm_many = self._outages.confirm_many
        # Confirmations come in runs (an incident's customers share the deadline): each run
        # goes to ``confirm_many`` whole, already merged; any other timer means a merge pass.
        mixed = False
        while (due := book.timers.pop_due(limit)) is not None:
            confirms: list[tuple[str, str]] = []
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
                if kind == CONFIRM:
                    confirms.append((customer_id, slot))
                    continue
                mixed = True
                if confirms:
                    fired += confirm_many(confirms, deadline)
                    confirms = []
                entry = state.get(customer_id)
                if entry is None:
                    continue  # the state moved on without us (e.g. edited by hand)
                rule, prefix = on_timer[kind]
                decision = rule(customer_id, entry, slot[prefix:], deadline)
                if decision is not None:
                    fired.append(decision)
            if confirms:
                fired += confirm_many(confirms, due[0][0])
        for timer in kept:
            book.timers.push(timer)
        return merge_decisions(fired) if mixed else fired

    def drain(self) -> list[Decision]:
        """Everything the input so far decided: all timers, except clock updates after the
        latest event time (they depend on days passing, which the input does not show)."""
        return self.advance(math.inf, horizon=self.clock)

    def pending(self) -> int:
        """How many timers are armed."""
        return self._book.pending()

    def next_deadline(self) -> float | None:
        """The earliest armed deadline, or None when nothing is pending."""
        return self._book.next_deadline()

    def rebuild(self, owns: Callable[[str], bool] = _owns_all) -> None:
        """Re-create the timers, index (and clock) from the state mapping, for keys ``owns``
        accepts.

        Call after a table recovery or partition assignment: a worker must only fire timers
        of the customers whose partitions it owns, or two workers would decide the same notice.
        """
        self.clock = max(self.clock, self._book.rebuild(owns))

    # ------------------------------------------------------------------ windows and news

    def announce(
        self,
        maintenance_id: str,
        at: float,
        start: float,
        end: float,
        text: str | None,
        customers: Mapping[str, Iterable[str]],
    ) -> None:
        """Schedule one ``planned`` notice per customer at ``at`` (does not move time); see
        :meth:`WindowRules.announce`."""
        self._windows.announce(maintenance_id, at, start, end, text, customers)

    def end_window(
        self, maintenance_id: str, at: float, customers: Mapping[str, Iterable[str]]
    ) -> list[Decision]:
        """Advance to ``at``, then end the window for ``customers``: one ``completed`` notice
        for the services back (not planned, not out), none for those still out.

        Expected after the window end's impact changes; a service still planned by this
        window waits for its next change (back: completed, decided at ``at``; out: none).
        """
        fired = self.advance(at)
        return fired + self._windows.end(maintenance_id, at, customers)

    def update(
        self, incident_id: str, at: float, eta: float | None = None, message: str | None = None
    ) -> list[Decision]:
        """Advance to ``at``, then one ``update`` to each customer with a notified, unresolved
        outage of ``incident_id`` (or of an incident merged with it)."""
        fired = self.advance(at)
        return fired + self._updates.noc_update(incident_id, at, eta, message)

    def contact(self, customer_id: str, at: float, contact_id: str, reason: str) -> list[Decision]:
        """Advance to ``at``, then note the customer's contact: a ``no_service`` / ``degraded``
        one is a report (the first of an open episode may start its legal clock); see
        :class:`~forewarn.streams.customers.reports.ReportRules`."""
        fired = self.advance(at)
        self._reports.report(customer_id, at, contact_id, reason)
        return fired

    def merge(
        self, from_incident: str, into_incident: str, cause_type: str | None, at: float
    ) -> list[Decision]:
        """Advance to ``at``, then file ``from_incident`` under the root cause ``into_incident``.

        Its episodes not yet notified take the new incident id and cause; notified ones keep
        theirs (the customer knows them by it). Both answer to both ids from now on.
        """
        fired = self.advance(at)
        self._updates.merge(from_incident, into_incident, cause_type)
        return fired
