"""Scheduled notices: maintenance windows, NOC news and the clocks of notified outages.

The episode machine (``episodes.py``) owns the state mapping, the timer heap and the order of
events; this module owns what is *scheduled* around episodes, as the :class:`ScheduledNotices`
half of :class:`~forewarn.streams.customers.episodes.EpisodeTracker`, and what each notice says
(:class:`NoticeRules`, wording-free):

* **planned** — one per customer and maintenance window, decided at the instant the network
  stage computed (``max(start - notice_before_s, announcement)``); services of one window
  share the record; ``since`` is the window start, ``eta`` its end, ``message`` its text.
  Announced again before that instant: updated; after it: ignored (never told twice).
* **completed** — when the window ends, for the services that are back then (neither out nor
  still planned), decided at the window end, only for customers who got (or were due) the
  planned notice. A service still out gets no ``completed``: its outage episode starts at the
  window end (``episodes.py``). A done window leaves a tombstone for ``WINDOW_MEMORY_S`` so an
  announcement re-sent by a recovering upstream is not told again.
* **update** from the NOC — to each customer with a notified, unresolved outage of the
  incident, with the new ETA (else the last one known) and the NOC's message. An in-memory
  index ``incident -> {(customer, service)}`` of open episodes makes that, and merges, touch
  only the incident's customers (O(k log k) for k of them; no scan of the partition).
* **merge** — a root cause found for a symptom incident: its episodes not yet notified take
  the new incident id and cause; notified ones keep theirs; both answer to both ids since.
* **clock** updates — a notified, unresolved outage reaching an instant its clocks name: the
  legal clocks (``legal.py``, computed once when the outage notice is decided) and the ETA
  the NOC gave (``ETA_PASSED``, "still working on it"; on by default). Several on one instant
  make one notice, with the strongest reason (``reasons.CLOCK_REASONS``). A legal instant not
  after the outage notice is dropped (``LEGAL_COVERED``): that notice told the customer then.
  A legal instant while the service is back (its ``resolved`` notice still pending) is
  dropped too (``LEGAL_SERVICE_BACK``): "not fixed yet" would be untrue; the later clocks
  stay armed in case it fails again within ``resolve_after_s`` and the episode rejoins.
  Legal instants are ``notice_hour`` local on the legal days (``legal.py``).

Clocks live in the episode record as ``"clocks": [[instant, reason], ...]`` (ascending), so a
rebuilt tracker re-arms exactly what a crashed one had pending.
"""

from __future__ import annotations

import dataclasses
import math
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, MutableMapping
from typing import TYPE_CHECKING, Any

from forewarn.domain import SERVICES, Decision, Stage
from forewarn.streams.customers.legal_clocks import (
    DEFAULT_TIMEZONE,
    LEGAL_REASONS,
    LegalPolicy,
    NoLegalClocks,
)
from forewarn.streams.reasons import CLOCK_REASONS, Reason

__all__ = [
    "MAINTENANCE_CAUSE",
    "WINDOW_MEMORY_S",
    "NoticeRules",
    "ScheduledNotices",
    "incident_names",
    "merge_decisions",
    "ordered_services",
    "service_rank",
    "services_by_customer",
]

#: ``cause_type`` of planned and completed notices (the templates word it as planned works).
MAINTENANCE_CAUSE = "maintenance"

#: How long a customer's done window is remembered after its end, so an announcement re-sent
#: by a recovering upstream is not told again. Reschedule under a new id instead.
WINDOW_MEMORY_S = 7 * 86400.0

# Timer kinds of this module (the heap is the tracker's) and the rank of window timers.
CLOCK, PLANNED, FORGET = "clock", "planned", "forget"
WINDOW_RANK = len(SERVICES) + 1

Clocks = list[list[Any]]  # [[instant, reason], ...], JSON-friendly

_STRENGTH = {str(reason): rank for rank, reason in enumerate(CLOCK_REASONS)}
_CACHED_CLOCKS = 4096  # (since, zone, notified) keys kept: one incident's customers share a few


def service_rank(service: str) -> int:
    """Services fire, and are listed in shared records, in CONTRACT order: mobile, fibre."""
    return SERVICES.index(service) if service in SERVICES else len(SERVICES)


def ordered_services(services: Iterable[str]) -> list[str]:
    """Distinct services in CONTRACT order (mobile, fibre, then others by name)."""
    return sorted(set(services), key=lambda s: (service_rank(s), s))


def services_by_customer(customers: Mapping[str, Iterable[str]]) -> dict[str, list[str]]:
    """``{service: [ids]}`` (the wire shape) -> ``{customer: [services]}``, ids sorted.

    Sorted so that what a message decides never depends on the order ids were listed in.
    """
    found: dict[str, set[str]] = {}
    for service, ids in customers.items():
        for customer_id in ids:
            found.setdefault(customer_id, set()).add(service)
    return {c: ordered_services(found[c]) for c in sorted(found)}


def incident_names(episode: dict[str, Any]) -> list[str]:
    """The incident ids an episode answers to: its own, then those merged with it."""
    return [episode["incident_id"], *episode.get("aliases", ())]


def merge_decisions(decisions: list[Decision]) -> list[Decision]:
    """One decision per (customer, incident, stage, instant), services in CONTRACT order.

    CONTRACT §6: services that one incident takes from one customer at the same instant may
    share one record. The first decision of a key gives the other fields (its reason, ETA).
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
        services = first.services + tuple(s for s in decision.services if s not in first.services)
        merged[index] = dataclasses.replace(
            first,
            services=tuple(ordered_services(services)),
            since=min(first.since, decision.since),
        )
    return merged


class NoticeRules:
    """Configuration and wording-free rules of the scheduled notices.

    ``legal`` is the country's policy (default: none); ``eta_passed`` turns the automatic
    "still working on it" update on; ``timezone(customer_id)`` names the customer's IANA zone
    (legal clocks count the customer's calendar days) and may raise ``LookupError`` for an
    unknown customer, which falls back to Europe/Berlin.
    """

    def __init__(
        self,
        legal: LegalPolicy | None = None,
        *,
        eta_passed: bool = True,
        timezone: Callable[[str], str] | None = None,
    ) -> None:
        self.legal: LegalPolicy = legal if legal is not None else NoLegalClocks()
        self.eta_passed = eta_passed
        self._timezone = timezone
        # The customers of one incident share the outage start, the confirmation instant and
        # mostly the zone: date arithmetic once per (since, zone, notified) keeps confirming
        # 200,000 of them cheap, and they share one list (clocks are replaced, never edited).
        self._clocks: dict[tuple[float, str, float], tuple[Clocks, int]] = {}

    def zone_of(self, customer_id: str) -> str:
        if self._timezone is None:
            return DEFAULT_TIMEZONE
        try:
            return self._timezone(customer_id) or DEFAULT_TIMEZONE
        except LookupError:
            return DEFAULT_TIMEZONE

    # ------------------------------------------------------------------ clocks

    def legal_clocks(
        self, customer_id: str, service: str, since: float, notified_at: float
    ) -> tuple[Clocks, int]:
        """Legal clocks of an outage notified at ``notified_at``, and how many were covered."""
        if service not in self.legal.services:
            return [], 0
        zone = self.zone_of(customer_id)
        key = (since, zone, notified_at)
        found = self._clocks.get(key)
        if found is None:
            if len(self._clocks) >= _CACHED_CLOCKS:
                self._clocks.clear()
            clocks = self.legal.clocks(since, zone)
            kept = [[instant, str(reason)] for instant, reason in clocks if instant > notified_at]
            found = self._clocks[key] = (kept, len(clocks) - len(kept))
        return found

    def with_eta(self, clocks: Clocks, eta: float, now: float) -> Clocks:
        """``clocks`` with the ETA-passed instant replaced by ``eta`` (if on and ahead)."""
        kept = [c for c in clocks if c[1] != Reason.ETA_PASSED]
        if self.eta_passed and eta > now:
            kept.append([eta, str(Reason.ETA_PASSED)])
        return sorted(kept, key=lambda c: (c[0], _STRENGTH[c[1]]))

    @staticmethod
    def due(clocks: Clocks, deadline: float) -> tuple[Reason, Clocks]:
        """The strongest reason due by ``deadline``, and the clocks still ahead."""
        strongest = min((c[1] for c in clocks if c[0] <= deadline), key=_STRENGTH.__getitem__)
        return Reason(strongest), [c for c in clocks if c[0] > deadline]

    # ------------------------------------------------------------------ decisions

    @staticmethod
    def planned(
        customer_id: str, maintenance_id: str, window: dict[str, Any], at: float
    ) -> Decision:
        return Decision(
            customer_id=customer_id,
            incident_id=maintenance_id,
            stage=Stage.PLANNED,
            services=tuple(window["services"]),
            decided_at=at,
            since=window["start"],
            reason=Reason.PLANNED_NOTICE,
            cause_type=MAINTENANCE_CAUSE,
            eta=window["end"],
            message=window.get("text"),
        )

    @staticmethod
    def completed(
        customer_id: str,
        maintenance_id: str,
        window: dict[str, Any],
        services: Iterable[str],
        at: float,
    ) -> Decision:
        return Decision(
            customer_id=customer_id,
            incident_id=maintenance_id,
            stage=Stage.COMPLETED,
            services=tuple(ordered_services(services)),
            decided_at=at,
            since=window["start"],
            reason=Reason.WORKS_COMPLETED,
            cause_type=MAINTENANCE_CAUSE,
            ended_at=at,
        )

    @staticmethod
    def update(
        customer_id: str,
        service: str,
        episode: dict[str, Any],
        at: float,
        reason: Reason,
        *,
        message: str | None = None,
    ) -> Decision:
        """An ``update`` on one service's episode; ``eta`` is the latest one known."""
        return Decision(
            customer_id=customer_id,
            incident_id=episode["incident_id"],
            stage=Stage.UPDATE,
            services=(service,),
            decided_at=at,
            since=episode["since"],
            reason=reason,
            cause_type=episode["cause_type"],
            eta=episode.get("eta"),
            message=message,
        )


class ScheduledNotices:
    """The scheduled-notice half of ``EpisodeTracker`` (a mixin: it shares the tracker's
    state, timers and index; ``episodes.py`` documents the state layout)."""

    _state: MutableMapping[str, dict[str, Any]]
    _armed: dict[tuple[str, str], tuple[float, str]]
    _by_incident: dict[str, set[tuple[str, str]]]
    notices: NoticeRules
    reasons: Counter[str]

    if TYPE_CHECKING:  # provided by EpisodeTracker
        def advance(self, now: float, *, horizon: float | None = None) -> list[Decision]: ...
        def _arm(self, customer_id: str, slot: str, rank: int, deadline: float,
                 kind: str) -> None: ...
        def _store(self, customer_id: str, entry: dict[str, Any]) -> None: ...
        def _index(self, customer_id: str, service: str, episode: dict[str, Any]) -> None: ...

    # ------------------------------------------------------------------ public API

    def announce(
        self,
        maintenance_id: str,
        at: float,
        start: float,
        end: float,
        text: str | None,
        customers: Mapping[str, Iterable[str]],
    ) -> None:
        """Schedule one ``planned`` notice per customer at ``at`` (does not move time).

        Services of one window merge into the customer's one notice; announcing a window
        again before its notice updates it, after its notice is ignored (never told twice).
        A window whose notice instant is not before its end is over already: ignored.
        """
        if at >= end:  # announced once it was over (also: again after its end)
            self.reasons[Reason.WINDOW_MISSED] += 1
            return
        for customer_id, services in services_by_customer(customers).items():
            entry = self._state.get(customer_id) or {"episodes": {}}
            windows = entry.setdefault("windows", {})
            window = windows.get(maintenance_id)
            if window is not None and (window.get("sent") or "ended" in window
                                       or "forget_at" in window):
                self.reasons[Reason.DUPLICATE_ANNOUNCEMENT] += 1
                continue
            known = window["services"] if window is not None else []
            windows[maintenance_id] = {
                "at": float(at), "start": float(start), "end": float(end), "text": text,
                "services": sorted(set(known) | set(services), key=lambda s: (service_rank(s), s)),
                "sent": False,
            }
            self._arm(customer_id, "@" + maintenance_id, WINDOW_RANK, float(at), PLANNED)
            self._state[customer_id] = entry

    def end_window(
        self, maintenance_id: str, at: float, customers: Mapping[str, Iterable[str]]
    ) -> list[Decision]:
        """Advance to ``at``, then end the window for ``customers``: one ``completed`` notice
        for the services back (not planned, not out), none for those still out.

        Expected after the window end's impact changes; a service still planned by this
        window waits for its next change (back: completed, decided at ``at``; out: none).
        """
        fired = self.advance(at)
        direct: list[Decision] = []
        for customer_id, services in services_by_customer(customers).items():
            entry = self._state.get(customer_id)
            window = entry.get("windows", {}).get(maintenance_id) if entry else None
            if entry is None or window is None or "forget_at" in window:
                continue
            if not window["sent"]:
                self.reasons[Reason.WINDOW_MISSED] += 1
                self._close_window(customer_id, entry, maintenance_id)
                self._store(customer_id, entry)
                continue
            window.setdefault("ended", float(at))
            window.setdefault("waiting", [])
            window.setdefault("done", [])
            back: list[str] = []
            for service in services:
                if service in window["done"] or service in window["waiting"]:
                    continue
                if entry.get("planned", {}).get(service) == maintenance_id:
                    window["waiting"].append(service)
                    continue
                window["done"].append(service)
                if self._is_out(entry, service):
                    self.reasons[Reason.WINDOW_OVERRUN] += 1
                else:
                    back.append(service)
            if back:
                self.reasons[Reason.WORKS_COMPLETED] += 1
                direct.append(self.notices.completed(customer_id, maintenance_id, window, back,
                                                     window["ended"]))
            self._settle_window(customer_id, entry, maintenance_id)
            self._store(customer_id, entry)
        return fired + merge_decisions(direct)

    def update(
        self, incident_id: str, at: float, eta: float | None = None, message: str | None = None
    ) -> list[Decision]:
        """Advance to ``at``, then one ``update`` to each customer with a notified, unresolved
        outage of ``incident_id`` (or of an incident merged with it)."""
        fired = self.advance(at)
        direct: list[Decision] = []
        for customer_id, service in self._members(incident_id):
            entry = self._state[customer_id]
            episode = entry["episodes"][service]
            if not episode["notified"]:
                continue
            t = max(float(at), entry.get("t", -math.inf))
            if eta is not None:
                episode["eta"] = float(eta)
                clocks = self.notices.with_eta(episode.get("clocks", []), float(eta), t)
                self._set_clocks(customer_id, service, episode, clocks)
            if message:
                episode["message"] = message
            entry["t"] = t
            self._state[customer_id] = entry
            self.reasons[Reason.NOC_UPDATE] += 1
            direct.append(self.notices.update(customer_id, service, episode, t, Reason.NOC_UPDATE,
                                              message=message or None))
        return fired + merge_decisions(direct)

    def merge(
        self, from_incident: str, into_incident: str, cause_type: str | None, at: float
    ) -> list[Decision]:
        """Advance to ``at``, then file ``from_incident`` under the root cause ``into_incident``.

        Its episodes not yet notified take the new incident id and cause; notified ones keep
        theirs (the customer knows them by it). Both answer to both ids from now on.
        """
        fired = self.advance(at)
        if from_incident == into_incident:
            return fired
        for customer_id, service in self._members(from_incident):
            entry = self._state[customer_id]
            episode = entry["episodes"][service]
            names = set(incident_names(episode)) | {from_incident, into_incident}
            if not episode["notified"] and episode["incident_id"] != into_incident:
                episode["incident_id"] = into_incident
                if cause_type:
                    episode["cause_type"] = cause_type
                self.reasons[Reason.INCIDENT_MERGED] += 1
            episode["aliases"] = sorted(names - {episode["incident_id"]})
            self._index(customer_id, service, episode)
            self._state[customer_id] = entry
        return fired

    # ------------------------------------------------------------------ windows

    def _is_out(self, entry: dict[str, Any], service: str) -> bool:
        episode = entry["episodes"].get(service)
        return service in entry.get("planned", {}) or (episode is not None and episode["out"])

    def _left_window(
        self, customer_id: str, entry: dict[str, Any], maintenance_id: str, service: str,
        out: bool,
    ) -> list[Decision]:
        """A service left ``planned`` after its window's end was seen (see ``end_window``)."""
        window = entry.get("windows", {}).get(maintenance_id)
        if window is None or service not in window.get("waiting", ()):
            return []  # (also: a forgotten window has no "waiting")
        window["waiting"].remove(service)
        window["done"].append(service)
        self._settle_window(customer_id, entry, maintenance_id)
        if out:
            self.reasons[Reason.WINDOW_OVERRUN] += 1
            return []
        self.reasons[Reason.WORKS_COMPLETED] += 1
        return [self.notices.completed(customer_id, maintenance_id, window, [service],
                                       window["ended"])]

    def _settle_window(self, customer_id: str, entry: dict[str, Any], maintenance_id: str) -> None:
        """Forget an ended window once every announced service has been dealt with."""
        window = entry["windows"][maintenance_id]
        if not window["waiting"] and set(window["services"]) <= set(window["done"]):
            self._close_window(customer_id, entry, maintenance_id)

    def _close_window(self, customer_id: str, entry: dict[str, Any], maintenance_id: str) -> None:
        """Done with a window: keep only a tombstone until ``WINDOW_MEMORY_S`` after its end."""
        window = entry["windows"][maintenance_id]
        forget_at = max(window["end"], window.get("ended", window["end"])) + WINDOW_MEMORY_S
        entry["windows"][maintenance_id] = {"end": window["end"], "forget_at": forget_at}
        self._arm(customer_id, "@" + maintenance_id, WINDOW_RANK, forget_at, FORGET)

    def _forget_window(self, customer_id: str, entry: dict[str, Any], maintenance_id: str) -> None:
        windows = entry.get("windows", {})
        if "forget_at" in windows.get(maintenance_id, {}):
            del windows[maintenance_id]
            if not windows:
                del entry["windows"]
            self._store(customer_id, entry)

    # ------------------------------------------------------------------ timers firing

    def _fire_planned(
        self, customer_id: str, entry: dict[str, Any], maintenance_id: str, deadline: float
    ) -> Decision | None:
        window = entry.get("windows", {}).get(maintenance_id)
        if window is None or window.get("sent", True):
            return None
        window["sent"] = True
        entry["t"] = max(entry.get("t", -math.inf), deadline)
        self._state[customer_id] = entry
        self.reasons[Reason.PLANNED_NOTICE] += 1
        return self.notices.planned(customer_id, maintenance_id, window, deadline)

    def _fire_clock(
        self, customer_id: str, entry: dict[str, Any], service: str, deadline: float
    ) -> Decision | None:
        episode = entry["episodes"].get(service)
        if episode is None or not episode.get("clocks") or episode["clocks"][0][0] > deadline:
            return None
        if not episode["out"]:  # back, resolution pending: a legal notice would be untrue
            legal = {str(r) for r in LEGAL_REASONS}
            kept = [c for c in episode["clocks"] if c[0] > deadline or c[1] not in legal]
            if len(kept) < len(episode["clocks"]):
                self.reasons[Reason.LEGAL_SERVICE_BACK] += len(episode["clocks"]) - len(kept)
                if not kept or kept[0][0] > deadline:
                    self._set_clocks(customer_id, service, episode, kept)
                    self._state[customer_id] = entry
                    return None
                episode["clocks"] = kept
        reason, ahead = self.notices.due(episode["clocks"], deadline)
        self._set_clocks(customer_id, service, episode, ahead)
        entry["t"] = max(entry.get("t", -math.inf), deadline)
        self._state[customer_id] = entry
        self.reasons[reason] += 1
        message = None if reason is Reason.ETA_PASSED else episode.get("message")
        return self.notices.update(customer_id, service, episode, deadline, reason,
                                   message=message)

    # ------------------------------------------------------------------ bookkeeping

    def _set_clocks(
        self, customer_id: str, service: str, episode: dict[str, Any], clocks: list[list[Any]]
    ) -> None:
        if clocks:
            episode["clocks"] = clocks
            self._arm(customer_id, "~" + service, service_rank(service), clocks[0][0], CLOCK)
        else:
            episode.pop("clocks", None)
            self._armed.pop((customer_id, "~" + service), None)

    def _members(self, incident_id: str) -> list[tuple[str, str]]:
        """Open episodes answering to ``incident_id``, in (customer, service) order."""
        members = self._by_incident.get(incident_id, ())
        return sorted(members, key=lambda m: (m[0], service_rank(m[1]), m[1]))
