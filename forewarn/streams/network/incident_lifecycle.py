"""Incident lifecycle: the network's events, in its order -> CONTRACT §8 incident events.

Fed with everything the correlator reports (``Impact``, ``IncidentNews``, ``IncidentMerge``,
``SuspicionEvent``, ``ContactSeen``; ``PlannedNotice`` / ``WindowEnd`` are ignored), one
record's events per :meth:`IncidentLifecycle.feed`, it returns :class:`IncidentEvent` values.
Each event's instant (``at``, event time):

* ``opened``: the first customer service goes out under an incident id not open here (a
  customer whose service a window's end leaves out opens the incident that id names);
* ``suspected`` / ``confirmed`` / ``cancelled``: the ``SuspicionEvent`` of that kind; a
  confirmed incident goes on as an ordinary one under the same id (its customers' outages
  then count), a cancelled one ends with its contact counts;
* ``updated``: at most one per incident and record, when its affected counts changed
  (``reason`` ``customers``), a NOC update named it (``news``), an incident was merged into
  it (``merge``) or a suspicion's reports changed (``reports``);
* ``resolved``: the last affected customer service of the incident is back (or planned: a
  window that starts over an outage takes its customers out of the incident). A suspected,
  unconfirmed incident never resolves: it is cancelled;
* merges: when a root cause is found above an earlier incident, the earlier id's customers
  and contacts move to the root's incident (one ``updated``, reason ``merge``; it then counts
  contacts from the earlier ``opened_at`` of the two), and the
  earlier id ends with ``resolved`` carrying ``merged_into`` and no contact counts (they
  are counted once, on the surviving incident, whose told-at lookups include the merged id).

``customers`` is ``{"mobile": n, "fibre": n}`` out under the incident just after the event
(zero on ``resolved``); ``peak`` the most at once. Planned works produce no incident events:
a customer in a started window is *planned*, not out (CONTRACT §4), and their notices are
``planned`` / ``completed``, not an incident's.

Contacts (``ContactSeen``) count for every open incident the customer is out under at the
contact's time (either service), and for a suspected incident from every customer its element
serves (``served``; at most ``MAX_WATCHED``), from its ``suspected`` instant on (the last
``MAX_RECENT`` contacts are kept, so the report that tipped it counts even when the detector
reports the suspicion with a later record). At most ``MAX_CONTACTS`` distinct contact ids
per incident (more are counted in ``contacts_unrecorded``). The split into before / after
notice / never told is ``calls_saved.split_contacts``, done when the event is written
(:meth:`IncidentEvent.record`), by replay from its notifications and live from the board.

Cost: a 200,000-customer ``Impact`` is a few numpy gathers and ``bincount``s; who is out
under which incident is an ``int32`` code per customer and service (8 bytes per customer),
aligned with the region index's id array, not a Python object per customer. Index versions:
a row whose ids are another array is mapped by id once per array (cached).

State: in memory. After a takeover it is rebuilt (:meth:`IncidentLifecycle.rebuild`, called
by ``NetworkStage.rebuild_lifecycle`` once the journal is loaded) from the journalled open
incidents and who is out under each now, so their ``updated`` / ``resolved`` events go on and
no ``opened`` repeats; records after the journal's offset are processed again and may repeat
their events. Contacts and suspicions seen before the takeover are not journalled: their
counts restart at zero (a suspected incident reappears when the detector reports it again).
Bounded: one code per customer and service (the region's size), the open incidents, and
``MAX_CONTACTS`` contacts per incident.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from forewarn.domain import to_iso
from forewarn.geo import IdArray
from forewarn.streams.network.calls_saved import ContactNote, split_contacts
from forewarn.streams.network.events import (
    ContactSeen,
    Impact,
    IncidentMerge,
    IncidentNews,
    SuspicionEvent,
)
from forewarn.streams.network.service_states import OUT, SERVICE_NAMES

__all__ = ["EVENTS", "MAX_CONTACTS", "IncidentEvent", "IncidentLifecycle"]

EVENTS = ("opened", "suspected", "confirmed", "updated", "resolved", "cancelled")
MAX_CONTACTS = 100_000  # distinct contacts kept per incident (contact id, customer, time)
MAX_WATCHED = 100_000  # customers of a suspected element whose contacts count for it
MAX_RECENT = 10_000  # latest contacts kept for a suspicion reported after its instant
_NONE = -1


@dataclass(frozen=True)
class IncidentEvent:
    """One CONTRACT §8 incident event; ``record`` is its JSON form.

    Final events (``resolved``, ``cancelled``) carry the incident's contacts, split only
    when written, because who was told is known downstream."""

    incident_id: str
    event: str
    element_id: str
    cause_type: str
    at: float
    customers: dict[str, int]
    peak: dict[str, int]
    opened_at: float
    reports: int | None = None
    reason: str | None = None
    merged_into: str | None = None
    aliases: tuple[str, ...] = ()  # ids merged into this one (their notices tell too)
    contacts: tuple[ContactNote, ...] | None = None  # final events only
    contacts_unrecorded: int = 0

    @property
    def final(self) -> bool:
        return self.event in ("resolved", "cancelled")

    @property
    def told_ids(self) -> tuple[str, ...]:
        """The incident ids whose notices told this incident's customers."""
        return (self.incident_id, *self.aliases)

    def sort_key(self) -> tuple[float, str, str]:
        return self.at, self.incident_id, self.event

    def record(self, told_at: Mapping[str, float] | None = None) -> dict[str, Any]:
        """The JSON object; on final events the contact split by ``told_at`` (customer id ->
        first told instant for this incident)."""
        out: dict[str, Any] = {
            "incident_id": self.incident_id, "event": self.event,
            "element_id": self.element_id, "cause_type": self.cause_type,
            "at": to_iso(self.at), "customers": dict(self.customers),
        }
        if self.reports is not None:
            out["reports"] = self.reports
        if self.reason is not None:
            out["reason"] = self.reason
        if self.final:
            out["opened_at"] = to_iso(self.opened_at)
            out["peak"] = dict(self.peak)
        if self.merged_into is not None:
            out["merged_into"] = self.merged_into
        elif self.contacts is not None:
            out.update(split_contacts(self.contacts, told_at or {}, self.opened_at,
                                      self.at).fields())
            if self.contacts_unrecorded:
                out["contacts_unrecorded"] = self.contacts_unrecorded
        return out


@dataclass
class _Open:
    incident_id: str
    code: int
    element_id: str
    cause_type: str
    opened_at: float
    suspected: bool = False
    reports: int | None = None
    peak: list[int] = field(default_factory=lambda: [0] * len(SERVICE_NAMES))
    aliases: list[str] = field(default_factory=list)
    contacts: dict[str, ContactNote] = field(default_factory=dict)
    unrecorded: int = 0
    watch: frozenset[str] = frozenset()  # a suspected element's customers


class IncidentLifecycle:
    """Incident events from the network's events; see the module docstring."""

    def __init__(self, max_contacts: int = MAX_CONTACTS,
                 served: Callable[[str], Iterable[str]] | None = None) -> None:
        self.max_contacts = max_contacts
        self.served = served  # element -> ids of the customers it serves (suspicions)
        self._reset()

    def _reset(self) -> None:
        self._ids: IdArray | None = None  # customer ids the codes are aligned with
        self._codes = np.full((len(SERVICE_NAMES), 0), _NONE, dtype=np.int32)
        self._counts = np.zeros((0, len(SERVICE_NAMES)), dtype=np.int64)  # per code
        self._open: dict[str, _Open] = {}
        self._by_code: dict[int, _Open] = {}
        self._free: list[int] = []
        self._lookup: pd.Index | None = None  # customer id -> position in _ids, built on use
        self._mapped: tuple[IdArray, np.ndarray] | None = None  # foreign ids -> positions
        self.contacted: set[str] = set()  # open incidents with new contacts (for the desk)
        self._recent: deque[ContactNote] = deque(maxlen=MAX_RECENT)

    # -- reads -----------------------------------------------------------------------

    def open_incidents(self) -> list[str]:
        """Ids of the incidents open now (suspected ones included)."""
        return sorted(self._open)

    def customers(self, incident_id: str) -> dict[str, int]:
        """Customers out under ``incident_id`` now, per service (zero when not open)."""
        found = self._open.get(incident_id)
        return self._customers(found.code) if found is not None else dict.fromkeys(
            SERVICE_NAMES, 0)

    def contacts(self, incident_id: str
                 ) -> tuple[tuple[str, ...], float, list[ContactNote]] | None:
        """An open incident's told ids (itself and merged ids), ``opened_at`` and contacts
        so far; None when it is not open."""
        found = self._open.get(incident_id)
        if found is None:
            return None
        return (incident_id, *found.aliases), found.opened_at, list(found.contacts.values())

    def take_contacted(self) -> list[str]:
        """Open incidents that got contacts since the last call (their counts so far changed)."""
        taken, self.contacted = sorted(self.contacted), set()
        return [i for i in taken if i in self._open]

    # -- the one entry point -------------------------------------------------------------

    def feed(self, events: Iterable[object]) -> list[IncidentEvent]:
        """The incident events that one record's network events cause, in order."""
        out: list[IncidentEvent] = []
        changed: dict[str, float] = {}  # open incident -> latest instant its counts changed
        contacts: list[ContactSeen] = []  # last: the suspicion a contact tipped counts it
        for event in events:
            if isinstance(event, Impact):
                self._impact(event, out, changed)
            elif isinstance(event, IncidentNews):
                found = self._open.get(event.incident_id)
                if found is not None:
                    changed.pop(found.incident_id, None)
                    out.append(self._event(found, "updated", event.at, reason="news"))
            elif isinstance(event, IncidentMerge):
                self._merge(event, out, changed)
            elif isinstance(event, SuspicionEvent):
                self._suspicion(event, out, changed)
            elif isinstance(event, ContactSeen):
                contacts.append(event)
        for contact in contacts:
            self._contact(contact)
        for incident_id, at in changed.items():
            found = self._open.get(incident_id)
            if found is not None:
                out.append(self._event(found, "updated", at, reason="customers"))
        return out

    # -- impacts -----------------------------------------------------------------------

    def _impact(self, impact: Impact, out: list[IncidentEvent],
                changed: dict[str, float]) -> None:
        if len(impact) == 0:
            return
        rows = self._positions(impact)
        services = impact.services
        out_rows = impact.states == OUT
        cause_codes = np.full(len(impact.causes), _NONE, dtype=np.int64)
        opened: list[_Open] = []
        used = np.bincount(impact.cause_of[out_rows], minlength=len(impact.causes))
        for c in np.flatnonzero(used).tolist():
            at, incident_id, element, cause_type, _ = impact.causes[c]
            found = self._open.get(incident_id)
            if found is None:
                found = self._start(incident_id, element, cause_type, at)
                opened.append(found)
            cause_codes[c] = found.code
        old = self._codes[services, rows]
        new = np.where(out_rows, cause_codes[impact.cause_of], _NONE).astype(np.int32)
        self._codes[services, rows] = new
        moved = old != new
        if not moved.any():
            return
        old, new, services = old[moved], new[moved], services[moved]
        self._add(old, services, -1)
        self._add(new, services, 1)
        at = impact.causes[int(impact.cause_of[0])][0]
        for found in opened:
            self._note_peak(found)
            out.append(self._event(found, "opened", at))
        touched = np.flatnonzero(np.bincount(old[old >= 0], minlength=len(self._counts))
                                 + np.bincount(new[new >= 0], minlength=len(self._counts)))
        for code in touched.tolist():
            found = self._by_code[code]
            if found in opened:
                continue
            self._note_peak(found)
            if not self._counts[code].any() and not found.suspected:
                changed.pop(found.incident_id, None)
                out.append(self._close(found, "resolved", at))
            else:
                changed[found.incident_id] = at

    def _positions(self, impact: Impact) -> np.ndarray:
        """Rows of ``impact`` as positions in the ids the codes are aligned with."""
        ids = impact.customer_ids
        if self._ids is None:  # usually the index's id array: no copy, no hashing
            self._align(ids)
        if ids is self._ids or _same_positions(ids, self._ids):
            self._ids = ids  # (another set of slices of the same index version)
            positions: np.ndarray = impact.positions
            return positions
        if self._mapped is None or self._mapped[0] is not ids:
            self._mapped = (ids, self._map(ids))
        mapped: np.ndarray = self._mapped[1][impact.positions]
        return mapped

    def _align(self, ids: IdArray) -> None:
        self._ids = ids
        self._codes = np.full((len(SERVICE_NAMES), len(ids)), _NONE, dtype=np.int32)
        self._lookup = None
        self._mapped = None

    def _map(self, ids: IdArray) -> np.ndarray:
        """Positions of ``ids`` in the aligned ids; unknown ids are appended to them."""
        assert self._ids is not None
        positions = self._index().get_indexer(pd.Index(ids, dtype=object))
        unknown = positions < 0
        if unknown.any():
            extra = pd.unique(ids[unknown])
            base = len(self._ids)
            self._ids = np.concatenate([np.asarray(self._ids, dtype=object),
                                        np.asarray(extra, dtype=object)])
            self._codes = np.concatenate(
                [self._codes, np.full((len(SERVICE_NAMES), len(extra)), _NONE, np.int32)], 1)
            self._lookup = None
            positions[unknown] = base + pd.Index(extra, dtype=object).get_indexer(
                pd.Index(ids[unknown], dtype=object))
        return np.asarray(positions, dtype=np.int64)

    def _index(self) -> pd.Index:
        """Customer id -> position, hashed on first use (a contact, another id array)."""
        if self._lookup is None:
            assert self._ids is not None
            lookup = pd.Index(self._ids, dtype=object)
            if not lookup.is_unique:  # rows of ``Impact.of`` repeat a customer per service
                lookup = self._dedupe(lookup)
            self._lookup = lookup
        return self._lookup

    def _dedupe(self, lookup: pd.Index) -> pd.Index:
        """Re-align the codes to the distinct ids (each customer once)."""
        unique: pd.Index = pd.Index(pd.unique(np.asarray(self._ids, dtype=object)),
                                    dtype=object)
        moved = unique.get_indexer(lookup)
        codes = np.full((len(SERVICE_NAMES), len(unique)), _NONE, dtype=np.int32)
        for s in range(len(SERVICE_NAMES)):
            held = self._codes[s] >= 0
            codes[s, moved[held]] = self._codes[s, held]
        self._ids, self._codes, self._mapped = np.asarray(unique, dtype=object), codes, None
        return unique

    def _add(self, codes: np.ndarray, services: np.ndarray, sign: int) -> None:
        keep = codes >= 0
        if keep.any():  # one bincount over (code, service) cells, not a slow np.add.at
            cells = codes[keep].astype(np.int64) * len(SERVICE_NAMES) + services[keep]
            added = np.bincount(cells, minlength=self._counts.size)
            self._counts += sign * added.reshape(self._counts.shape)

    def _customers(self, code: int) -> dict[str, int]:
        return dict(zip(SERVICE_NAMES, self._counts[code].tolist(), strict=True))

    def _note_peak(self, found: _Open) -> None:
        found.peak = np.maximum(found.peak, self._counts[found.code]).tolist()

    # -- incidents ---------------------------------------------------------------------

    def _start(self, incident_id: str, element: str, cause_type: str, at: float,
               *, suspected: bool = False) -> _Open:
        if not self._free:  # grow by doubling; the lowest free code is used first
            size = len(self._counts)
            grow = max(8, size)
            self._counts = np.concatenate(
                [self._counts, np.zeros((grow, len(SERVICE_NAMES)), np.int64)])
            self._free.extend(range(size + grow - 1, size - 1, -1))
        code = self._free.pop()
        self._counts[code] = 0
        found = _Open(incident_id, code, element, cause_type, at, suspected=suspected)
        self._open[incident_id] = found
        self._by_code[code] = found
        return found

    def _close(self, found: _Open, event: str, at: float, *,
               merged_into: str | None = None) -> IncidentEvent:
        final = self._event(found, event, at, merged_into=merged_into,
                            contacts=tuple(found.contacts.values()))
        del self._open[found.incident_id]
        del self._by_code[found.code]
        if self._counts[found.code].any():  # ended with customers still out (a cancellation)
            self._codes[self._codes == found.code] = _NONE
        self._counts[found.code] = 0
        self._free.append(found.code)
        return final

    def _event(self, found: _Open, event: str, at: float, *, reason: str | None = None,
               merged_into: str | None = None,
               contacts: tuple[ContactNote, ...] | None = None) -> IncidentEvent:
        return IncidentEvent(
            found.incident_id, event, found.element_id, found.cause_type, at,
            self._customers(found.code), dict(zip(SERVICE_NAMES, found.peak, strict=True)),
            found.opened_at, reports=found.reports, reason=reason, merged_into=merged_into,
            aliases=tuple(found.aliases), contacts=contacts,
            contacts_unrecorded=found.unrecorded if contacts is not None else 0)

    def _merge(self, merge: IncidentMerge, out: list[IncidentEvent],
               changed: dict[str, float]) -> None:
        source = self._open.get(merge.from_incident)
        if source is None or merge.from_incident == merge.into_incident:
            return
        target = self._open.get(merge.into_incident)
        if target is None:
            target = self._start(merge.into_incident, merge.cause_element, merge.cause_type,
                                 merge.at)
            out.append(self._event(target, "opened", merge.at))
        self._codes[self._codes == source.code] = target.code
        self._counts[target.code] += self._counts[source.code]
        self._counts[source.code] = 0
        self._note_peak(target)
        target.aliases.extend([source.incident_id, *source.aliases])
        target.opened_at = min(target.opened_at, source.opened_at)  # contacts since then count
        for contact in source.contacts.values():
            self._keep_contact(target, contact)
        target.unrecorded += source.unrecorded
        source.contacts.clear()
        changed.pop(source.incident_id, None)
        changed.pop(target.incident_id, None)
        out.append(self._close(source, "resolved", merge.at, merged_into=target.incident_id))
        out.append(self._event(target, "updated", merge.at, reason="merge"))

    def _suspicion(self, news: SuspicionEvent, out: list[IncidentEvent],
                   changed: dict[str, float]) -> None:
        found = self._open.get(news.incident_id)
        if news.event == "suspected" and found is None:
            found = self._start(news.incident_id, news.element_id, news.cause_type, news.at,
                                suspected=True)
            found.reports = news.reports
            if self.served is not None:
                served = list(self.served(news.element_id))
                found.watch = frozenset(served[:MAX_WATCHED])
                for note in self._recent:  # the detector may report after the tipping report
                    if note.at >= news.at and note.customer_id in found.watch:
                        self._keep_contact(found, note)
            out.append(self._event(found, "suspected", news.at))
            return
        if found is None:
            return
        found.reports = news.reports
        changed.pop(found.incident_id, None)
        if news.event == "cancelled":
            out.append(self._close(found, "cancelled", news.at))
        elif news.event == "confirmed":
            found.suspected = False
            out.append(self._event(found, "confirmed", news.at))
        else:
            out.append(self._event(found, "updated", news.at, reason="reports"))

    # -- contacts ----------------------------------------------------------------------

    def _contact(self, contact: ContactSeen) -> None:
        note = ContactNote(contact.contact_id, contact.customer_id, contact.at)
        self._recent.append(note)
        if not self._open:
            return
        for found in [f for f in self._open.values() if contact.customer_id in f.watch]:
            self._keep_contact(found, note)
        if self._ids is None:
            return
        find = getattr(self._ids, "find", None)  # a sliced index's ids: no hash of all ids
        position = (find(contact.customer_id) if find is not None else int(
            self._index().get_indexer(pd.Index([contact.customer_id], dtype=object))[0]))
        if position is None or position < 0:
            return
        for code in dict.fromkeys(self._codes[:, position].tolist()):
            if code >= 0:
                self._keep_contact(self._by_code[code], note)

    def _keep_contact(self, found: _Open, note: ContactNote) -> None:
        if note.contact_id in found.contacts:
            return
        if len(found.contacts) >= self.max_contacts:
            found.unrecorded += 1
            return
        found.contacts[note.contact_id] = note
        self.contacted.add(found.incident_id)

    # -- after a takeover --------------------------------------------------------------

    def rebuild(self, ids: IdArray, incidents: Sequence[tuple[str, str, str, float]],
                out: Mapping[str, Mapping[str, np.ndarray]]) -> None:
        """Start again from the network's state: ``incidents`` open now as ``(incident_id,
        element_id, cause_type, since)``, and per incident id and service the positions in
        ``ids`` out under it (a position named by two incidents goes to the first). Emits
        nothing: those incidents were opened before."""
        self._reset()
        self._align(ids)
        for incident_id, element, cause_type, since in incidents:
            if incident_id in self._open:
                continue
            found = self._start(incident_id, element, cause_type, since)
            for s, service in enumerate(SERVICE_NAMES):
                positions = np.asarray(out.get(incident_id, {}).get(service, []), np.int64)
                positions = positions[self._codes[s, positions] == _NONE]
                self._codes[s, positions] = found.code
                self._counts[found.code, s] = len(positions)
            self._note_peak(found)
        for found in list(self._open.values()):
            if not self._counts[found.code].any():
                self._close(found, "resolved", found.opened_at)  # nobody out: nothing to follow


def _same_positions(ids: IdArray, aligned: IdArray | None) -> bool:
    """Whether ``ids`` number customers as ``aligned`` does (a sliced index's ids after its
    slices changed: same version, same positions; nothing to map)."""
    same = getattr(aligned, "same_positions", None)
    return bool(same is not None and same(ids))
