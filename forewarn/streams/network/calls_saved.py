"""Calls saved: an incident's contacts split by whether the caller had been told first.

Why: a told customer who still calls is a notice that failed; a customer who calls before the
notice reached them is a notice that came too late; one never told is one forewarn missed.
CONTRACT §8 puts the three counts on an incident's ``resolved`` / ``cancelled`` event.

"Told" is known only downstream (the customer stage decides, delivery delivers), so the split
is one pure function, :func:`split_contacts`, fed by two paths with the same inputs:

* replay: after the drain, from the notifications written (:func:`told_at_from`), so the
  output is deterministic (``decided_at`` is event time);
* live: from what the incident board has seen delivered so far (:class:`ToldLedger`, fed by
  ``IncidentBoard.record_delivery``), at the instant the event is sent.

A contact counts **after notice** when the customer's first notice about the incident
(stage ``outage`` or ``update``) was decided at or before the contact's time, **before
notice** when that notice came later, and **never told** when there was none. Contacts are
counted once per ``contact_id``, and only inside the incident's ``[start, end]``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from forewarn.domain import from_iso

__all__ = ["MAX_TOLD_ENTRIES", "TOLD_STAGES", "CallsSaved", "ContactNote", "ToldLedger",
           "split_contacts", "told_at_from"]

#: The stages that tell a customer about an incident they are in.
TOLD_STAGES = frozenset({"outage", "update"})
#: Customers' told-at instants the live ledger keeps, over all incidents (oldest incidents
#: forgotten first): ~100 bytes each, so ~200 MB at most for the network worker.
MAX_TOLD_ENTRIES = 2_000_000


@dataclass(frozen=True, slots=True)
class ContactNote:
    """One contact of an affected customer, as the lifecycle keeps it."""

    contact_id: str
    customer_id: str
    at: float


@dataclass(frozen=True, slots=True)
class CallsSaved:
    """The three counts of CONTRACT §8."""

    before_notice: int = 0
    after_notice: int = 0
    never_told: int = 0

    def fields(self) -> dict[str, int]:
        """The incident event's fields."""
        return {"contacts_before_notice": self.before_notice,
                "contacts_after_notice": self.after_notice,
                "contacts_never_told": self.never_told}


def split_contacts(contacts: Iterable[ContactNote], told_at: Mapping[str, float],
                   start: float, end: float = math.inf) -> CallsSaved:
    """Split ``contacts`` by ``told_at`` (customer id -> when their first notice about this
    incident was decided). Contacts outside ``[start, end]`` and repeated contact ids do not
    count."""
    seen: set[str] = set()
    before = after = never = 0
    for contact in contacts:
        if contact.contact_id in seen or not start <= contact.at <= end:
            continue
        seen.add(contact.contact_id)
        told = told_at.get(contact.customer_id)
        if told is None:
            never += 1
        elif told <= contact.at:
            after += 1
        else:
            before += 1
    return CallsSaved(before, after, never)


def told_at_from(notifications: Iterable[Mapping[str, object]]) -> dict[str, dict[str, float]]:
    """Incident id -> customer id -> earliest ``decided_at`` of a notice that told them
    (CONTRACT §6 records, e.g. what a replay wrote)."""
    told: dict[str, dict[str, float]] = {}
    for record in notifications:
        if record.get("stage") not in TOLD_STAGES:
            continue
        at = from_iso(str(record.get("decided_at") or ""))
        if at is None:
            continue
        per = told.setdefault(str(record["incident_id"]), {})
        customer = str(record["customer_id"])
        if at < per.get(customer, math.inf):
            per[customer] = at
    return told


class ToldLedger:
    """Live: incident id -> customer id -> earliest told instant, bounded.

    At most ``max_entries`` customers over all incidents; past that, the incidents noted
    first are forgotten whole (their later contacts then count as never told), and
    :meth:`forget` drops an incident once its final counts were taken."""

    def __init__(self, max_entries: int = MAX_TOLD_ENTRIES) -> None:
        self.max_entries = max_entries
        self._told: dict[str, dict[str, float]] = {}
        self._entries = 0
        self.forgotten = 0  # incidents dropped to stay within the bound

    def note(self, incident_id: str, customer_id: str, stage: str, decided_at: float) -> None:
        """A notification was delivered: remember when this customer was told, if it tells."""
        if stage not in TOLD_STAGES:
            return
        per = self._told.get(incident_id)
        if per is None:
            per = self._told[incident_id] = {}
        known = per.get(customer_id)
        if known is None:
            self._entries += 1
            per[customer_id] = decided_at
        elif decided_at < known:
            per[customer_id] = decided_at
        while self._entries > self.max_entries and len(self._told) > 1:
            oldest = next(iter(self._told))
            self._entries -= len(self._told.pop(oldest))
            self.forgotten += 1

    def told_at(self, *incident_ids: str,
                customers: Iterable[str] | None = None) -> dict[str, float]:
        """Customer id -> earliest told instant over ``incident_ids`` (an incident and the
        ids merged into it); only for ``customers`` when given (the callers, not the
        200,000 customers of a storm)."""
        merged: dict[str, float] = {}
        wanted = None if customers is None else set(customers)
        for incident_id in incident_ids:
            told = self._told.get(incident_id, {})
            pairs = (told.items() if wanted is None else
                     ((c, told[c]) for c in wanted if c in told))
            for customer, at in pairs:
                if at < merged.get(customer, math.inf):
                    merged[customer] = at
        return merged

    def forget(self, *incident_ids: str) -> None:
        for incident_id in incident_ids:
            self._entries -= len(self._told.pop(incident_id, {}))
