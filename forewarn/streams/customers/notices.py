"""Scheduled notices: maintenance windows, NOC news and the clocks of notified outages.

The outage rules (``episodes.py``) confirm and resolve episodes; this module holds the rules
for what is *scheduled* around them, each a small object over the shared
:class:`~forewarn.streams.customers.episode_book.EpisodeBook` that returns decisions with
named reasons, and what each notice says (:class:`NoticeRules`, wording-free):

* **planned** (:class:`WindowRules`) — one per customer and maintenance window, decided at the
  instant the network stage computed (``max(start - notice_before_s, announcement)``);
  services of one window share the record; ``since`` is the window start, ``eta`` its end,
  ``message`` its text. Announced again before that instant: updated; after it: ignored
  (never told twice).
* **completed** (:class:`WindowRules`) — when the window ends, for the services that are back
  then (neither out nor still planned), decided at the window end, only for customers who got
  (or were due) the planned notice. A service still out gets no ``completed``: its outage
  episode starts at the window end (``episodes.py``). A done window leaves a tombstone for
  ``WINDOW_MEMORY_S`` so an announcement re-sent by a recovering upstream is not told again.
* **update** from the NOC (:class:`UpdateRules`) — to each customer with a notified,
  unresolved outage of the incident, with the new ETA (else the last one known) and the NOC's
  message. The book's index ``incident -> {(customer, service)}`` of open episodes makes that,
  and merges, touch only the incident's customers (O(k log k) for k of them; no scan).
* **merge** (:class:`UpdateRules`) — a root cause found for a symptom incident: its episodes
  not yet notified take the new incident id and cause; notified ones keep theirs; both answer
  to both ids since.
* **clock** updates (:class:`UpdateRules`) — a notified, unresolved outage reaching an instant
  its clocks name: the legal clocks (``legal_clocks.py``, computed once when the outage notice
  is decided) and the ETA the NOC gave (``ETA_PASSED``, "still working on it"; on by
  default). Several on one instant make one notice, with the strongest reason
  (``reasons.CLOCK_REASONS``). A legal instant not after the outage notice is dropped
  (``LEGAL_COVERED``): that notice told the customer then. A legal instant while the service
  is back (its ``resolved`` notice still pending) is dropped too (``LEGAL_SERVICE_BACK``):
  "not fixed yet" would be untrue; the later clocks stay armed in case it fails again within
  ``resolve_after_s`` and the episode rejoins. Legal instants are ``notice_hour`` local on the
  legal days (``legal_clocks.py``).

Clocks live in the episode record as ``"clocks": [[instant, reason], ...]`` (ascending), so a
rebuilt tracker re-arms exactly what a crashed one had pending. None of these rules moves
time: the tracker advances its clock (firing due timers) before it applies them.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from forewarn.domain import Decision, Stage
from forewarn.streams.customers.episode_book import (
    FORGET,
    PLANNED,
    WINDOW_RANK,
    Clocks,
    EpisodeBook,
    incident_names,
    service_rank,
)
from forewarn.streams.customers.legal_clocks import (
    DEFAULT_TIMEZONE,
    LEGAL_REASONS,
    LegalPolicy,
    NoLegalClocks,
    clock_origin,
)
from forewarn.streams.reasons import CLOCK_REASONS, Reason

__all__ = [
    "MAINTENANCE_CAUSE",
    "WINDOW_MEMORY_S",
    "NoticeRules",
    "UpdateRules",
    "WindowRules",
    "merge_decisions",
    "ordered_services",
    "services_by_customer",
]

#: ``cause_type`` of planned and completed notices (the templates word it as planned works).
MAINTENANCE_CAUSE = "maintenance"

#: How long a customer's done window is remembered after its end, so an announcement re-sent
#: by a recovering upstream is not told again. Reschedule under a new id instead.
WINDOW_MEMORY_S = 7 * 86400.0

_STRENGTH = {str(reason): rank for rank, reason in enumerate(CLOCK_REASONS)}
_CACHED_CLOCKS = 4096  # (since, zone, notified) keys kept: one incident's customers share a few
_LEGAL = frozenset(str(r) for r in LEGAL_REASONS)


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
    unknown customer, which falls back to Europe/Berlin; ``timezones(ids)`` answers it for
    many at once (None for one it does not know, which ``timezone`` is then asked).
    ``clock_start`` says where a legal clock starts (``legal_clocks.clock_origin``: the
    outage, or the customer's first report);
    ``report_lead_s`` how long before an episode a report still counts (``reports.py``).
    """

    def __init__(
        self,
        legal: LegalPolicy | None = None,
        *,
        eta_passed: bool = True,
        timezone: Callable[[str], str] | None = None,
        timezones: Callable[[Sequence[str]], Sequence[str | None]] | None = None,
        clock_start: str = "outage",
        report_lead_s: float = 3600.0,
    ) -> None:
        self.legal: LegalPolicy = legal if legal is not None else NoLegalClocks()
        self.eta_passed = eta_passed
        clock_origin(clock_start, 0.0, None)  # raises ValueError naming the choices
        if report_lead_s < 0:
            raise ValueError(f"report_lead_s must not be negative, got {report_lead_s}")
        self.clock_start = clock_start
        self.report_lead_s = float(report_lead_s)
        self._timezone = timezone
        self._timezones = timezones
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

    def zones_of(self, customer_ids: Sequence[str]) -> dict[str, str]:
        """``zone_of`` of each of ``customer_ids``, in one lookup when ``timezones`` is
        given. Why: an incident confirms its customers at one instant, and finding each one
        in the index by id on its own was ~15-50 µs a customer (~6 s of a worker's CPU in a
        1M-customer fan-out); one vectorised search over a slice's ids costs a fraction."""
        if self._timezone is None:
            return dict.fromkeys(customer_ids, DEFAULT_TIMEZONE)
        if self._timezones is None:
            return {c: self.zone_of(c) for c in customer_ids}
        found = self._timezones(customer_ids)
        return {c: zone or self.zone_of(c) for c, zone in zip(customer_ids, found, strict=True)}

    # ------------------------------------------------------------------ clocks

    def legal_clocks(
        self, customer_id: str, service: str, since: float, notified_at: float,
        zone: str | None = None,
    ) -> tuple[Clocks, int]:
        """Legal clocks of an outage notified at ``notified_at``, and how many were covered.

        ``zone``: the customer's ``zone_of``, when the caller already looked it up."""
        if service not in self.legal.services:
            return [], 0
        if zone is None:
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

    def clock_origin(self, episode: dict[str, Any]) -> float | None:
        """Where the episode's legal clock starts; None: not (yet: no report)."""
        return clock_origin(self.clock_start, episode["since"], episode.get("report"))

    @staticmethod
    def with_legal(clocks: Clocks, legal: Clocks) -> Clocks:
        """``clocks`` (e.g. an ETA-passed one) joined by the legal clocks ``legal``."""
        return sorted([*clocks, *legal], key=lambda c: (c[0], _STRENGTH[c[1]]))

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




class WindowRules:
    """Announce maintenance windows: one ``planned`` notice per customer and window before
    it starts, one ``completed`` when it ends with service back (``WORKS_COMPLETED``)."""

    def __init__(self, book: EpisodeBook, notices: NoticeRules) -> None:
        self.book = book
        self.notices = notices

    def announce(
        self,
        maintenance_id: str,
        at: float,
        start: float,
        end: float,
        text: str | None,
        customers: Mapping[str, Iterable[str]],
    ) -> None:
        """Schedule one ``planned`` notice per customer at ``at``.

        Services of one window merge into the customer's one notice; announcing a window
        again before its notice updates it, after its notice is ignored (never told twice).
        A window whose notice instant is not before its end is over already: ignored.
        """
        book = self.book
        if at >= end:  # announced once it was over (also: again after its end)
            book.reasons[Reason.WINDOW_MISSED] += 1
            return
        for customer_id, services in services_by_customer(customers).items():
            entry = book.state.get(customer_id) or {"episodes": {}}
            windows = entry.setdefault("windows", {})
            window = windows.get(maintenance_id)
            if window is not None and (window.get("sent") or "ended" in window
                                       or "forget_at" in window):
                book.reasons[Reason.DUPLICATE_ANNOUNCEMENT] += 1
                continue
            known = window["services"] if window is not None else []
            windows[maintenance_id] = {
                "at": float(at), "start": float(start), "end": float(end), "text": text,
                "services": sorted(set(known) | set(services), key=lambda s: (service_rank(s), s)),
                "sent": False,
            }
            book.arm(customer_id, "@" + maintenance_id, WINDOW_RANK, float(at), PLANNED)
            book.state[customer_id] = entry

    def send_planned(
        self, customer_id: str, entry: dict[str, Any], maintenance_id: str, deadline: float
    ) -> Decision | None:
        """The window's notice instant came: its ``planned`` notice (``PLANNED_NOTICE``)."""
        window = entry.get("windows", {}).get(maintenance_id)
        if window is None or window.get("sent", True):
            return None
        window["sent"] = True
        entry["t"] = max(entry.get("t", -math.inf), deadline)
        self.book.state[customer_id] = entry
        self.book.reasons[Reason.PLANNED_NOTICE] += 1
        return self.notices.planned(customer_id, maintenance_id, window, deadline)

    def end(
        self, maintenance_id: str, at: float, customers: Mapping[str, Iterable[str]]
    ) -> list[Decision]:
        """End the window for ``customers``: one ``completed`` notice for the services back
        (not planned, not out), none for those still out (``WINDOW_OVERRUN``).

        A service still planned by this window waits for its next change (:meth:`left`).
        """
        book = self.book
        direct: list[Decision] = []
        for customer_id, services in services_by_customer(customers).items():
            entry = book.state.get(customer_id)
            window = entry.get("windows", {}).get(maintenance_id) if entry else None
            if entry is None or window is None or "forget_at" in window:
                continue
            if not window["sent"]:
                book.reasons[Reason.WINDOW_MISSED] += 1
                self._close(customer_id, entry, maintenance_id)
                book.store(customer_id, entry)
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
                if _is_out(entry, service):
                    book.reasons[Reason.WINDOW_OVERRUN] += 1
                else:
                    back.append(service)
            if back:
                book.reasons[Reason.WORKS_COMPLETED] += 1
                direct.append(self.notices.completed(customer_id, maintenance_id, window, back,
                                                     window["ended"]))
            self._settle(customer_id, entry, maintenance_id)
            book.store(customer_id, entry)
        return merge_decisions(direct)

    def left(
        self, customer_id: str, entry: dict[str, Any], maintenance_id: str, service: str,
        out: bool,
    ) -> list[Decision]:
        """A service left ``planned`` after its window's end was seen (see :meth:`end`):
        ``completed`` if it is back, nothing if it is out."""
        window = entry.get("windows", {}).get(maintenance_id)
        if window is None or service not in window.get("waiting", ()):
            return []  # (also: a forgotten window has no "waiting")
        window["waiting"].remove(service)
        window["done"].append(service)
        self._settle(customer_id, entry, maintenance_id)
        if out:
            self.book.reasons[Reason.WINDOW_OVERRUN] += 1
            return []
        self.book.reasons[Reason.WORKS_COMPLETED] += 1
        return [self.notices.completed(customer_id, maintenance_id, window, [service],
                                       window["ended"])]

    def forget(
        self, customer_id: str, entry: dict[str, Any], maintenance_id: str, _deadline: float
    ) -> None:
        """A done window's tombstone expired: drop it (whenever that was)."""
        windows = entry.get("windows", {})
        if "forget_at" in windows.get(maintenance_id, {}):
            del windows[maintenance_id]
            if not windows:
                del entry["windows"]
            self.book.store(customer_id, entry)

    def _settle(self, customer_id: str, entry: dict[str, Any], maintenance_id: str) -> None:
        """Close an ended window once every announced service has been dealt with."""
        window = entry["windows"][maintenance_id]
        if not window["waiting"] and set(window["services"]) <= set(window["done"]):
            self._close(customer_id, entry, maintenance_id)

    def _close(self, customer_id: str, entry: dict[str, Any], maintenance_id: str) -> None:
        """Done with a window: keep only a tombstone until ``WINDOW_MEMORY_S`` after its end."""
        window = entry["windows"][maintenance_id]
        forget_at = max(window["end"], window.get("ended", window["end"])) + WINDOW_MEMORY_S
        entry["windows"][maintenance_id] = {"end": window["end"], "forget_at": forget_at}
        self.book.arm(customer_id, "@" + maintenance_id, WINDOW_RANK, forget_at, FORGET)


def _is_out(entry: dict[str, Any], service: str) -> bool:
    episode = entry["episodes"].get(service)
    return service in entry.get("planned", {}) or (episode is not None and episode["out"])


class UpdateRules:
    """Update customers with a notified, unresolved outage: NOC news (``NOC_UPDATE``), the
    ETA passing (``ETA_PASSED``) and the legal clocks; and file merged incidents."""

    def __init__(self, book: EpisodeBook, notices: NoticeRules) -> None:
        self.book = book
        self.notices = notices

    def noc_update(
        self, incident_id: str, at: float, eta: float | None, message: str | None
    ) -> list[Decision]:
        """One ``update`` to each customer with a notified, unresolved outage of
        ``incident_id`` (or of an incident merged with it); a new ETA re-arms its clock."""
        book = self.book
        direct: list[Decision] = []
        for customer_id, service in book.members(incident_id):
            entry = book.state[customer_id]
            episode = entry["episodes"][service]
            if not episode["notified"]:
                continue
            t = max(float(at), entry.get("t", -math.inf))
            if eta is not None:
                episode["eta"] = float(eta)
                clocks = self.notices.with_eta(episode.get("clocks", []), float(eta), t)
                book.set_clocks(customer_id, service, episode, clocks)
            if message:
                episode["message"] = message
            entry["t"] = t
            book.state[customer_id] = entry
            book.reasons[Reason.NOC_UPDATE] += 1
            direct.append(self.notices.update(customer_id, service, episode, t, Reason.NOC_UPDATE,
                                              message=message or None))
        return merge_decisions(direct)

    def merge(self, from_incident: str, into_incident: str, cause_type: str | None) -> None:
        """File ``from_incident`` under the root cause ``into_incident``: its episodes not yet
        notified take the new id and cause (``INCIDENT_MERGED``); notified ones keep theirs
        (the customer knows them by it). Both answer to both ids from now on."""
        if from_incident == into_incident:
            return
        book = self.book
        for customer_id, service in book.members(from_incident):
            entry = book.state[customer_id]
            episode = entry["episodes"][service]
            names = set(incident_names(episode)) | {from_incident, into_incident}
            if not episode["notified"] and episode["incident_id"] != into_incident:
                episode["incident_id"] = into_incident
                if cause_type:
                    episode["cause_type"] = cause_type
                book.reasons[Reason.INCIDENT_MERGED] += 1
            episode["aliases"] = sorted(names - {episode["incident_id"]})
            book.index(customer_id, service, episode)
            book.state[customer_id] = entry

    def send_clock(
        self, customer_id: str, entry: dict[str, Any], service: str, deadline: float
    ) -> Decision | None:
        """The episode reached a clock instant: one ``update`` with the strongest reason due,
        unless the service is back (legal clocks dropped, ``LEGAL_SERVICE_BACK``)."""
        book = self.book
        episode = entry["episodes"].get(service)
        if episode is None or not episode.get("clocks") or episode["clocks"][0][0] > deadline:
            return None
        if not episode["out"]:  # back, resolution pending: a legal notice would be untrue
            kept = [c for c in episode["clocks"] if c[0] > deadline or c[1] not in _LEGAL]
            if len(kept) < len(episode["clocks"]):
                book.reasons[Reason.LEGAL_SERVICE_BACK] += len(episode["clocks"]) - len(kept)
                if not kept or kept[0][0] > deadline:
                    book.set_clocks(customer_id, service, episode, kept)
                    book.state[customer_id] = entry
                    return None
                episode["clocks"] = kept
        reason, ahead = self.notices.due(episode["clocks"], deadline)
        book.set_clocks(customer_id, service, episode, ahead)
        entry["t"] = max(entry.get("t", -math.inf), deadline)
        book.state[customer_id] = entry
        book.reasons[reason] += 1
        message = None if reason is Reason.ETA_PASSED else episode.get("message")
        return self.notices.update(customer_id, service, episode, deadline, reason,
                                   message=message)
