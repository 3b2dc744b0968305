"""Customers' contacts in the network's view (CONTRACT §8): who got in touch, and was it news?

A contact names its customer by ``customer_id`` or by ``phone``. :class:`CustomerFinder`
resolves either to the customer's position in the region index; a contact naming no known
customer is refused *before* it changes anything (``RecordRefused`` naming the field, so the
stage dead-letters it and counts it like every other refusal). Phone numbers are compared
as the service desk compares them (``input/phones.normalise_phone``, national numbers in the
country of ``[legal] country``) through the index's phone map (``geo.phone_map``: mapped
from a sliced index's shared part, built on the first contact by phone for an index built
from a region, once per index version: a million customers take about a second, and most
contacts name the customer id). A shared number resolves to its first customer by position.

"In a known outage at that instant" (:func:`known_outage`) is the same question the
impacts answer, asked for one customer: any of their services out or planned under the
current down elements and active maintenance windows (``service_states``). Only a
``no_service`` contact from a customer who is *not* known to be out tells something new,
so only those are reported to the suspicion detector (:class:`Suspicions`, the port the
correlator talks to; ``network/suspicion.py`` implements it).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

import numpy as np

from forewarn.domain import Contact
from forewarn.streams.input.phones import COUNTRY_CODES
from forewarn.streams.network.events import SuspicionEvent
from forewarn.streams.network.refusals import UNKNOWN_CUSTOMER, RecordRefused
from forewarn.streams.network.service_states import OK, SERVICE_NAMES, OutageIndex, service_states

__all__ = ["NO_SERVICE", "CustomerFinder", "Suspicions", "known_outage"]

NO_SERVICE = "no_service"  # the only contact reason that can raise a suspicion


class OpenSuspicion(Protocol):
    """What the correlator reads of an open suspicion."""

    @property
    def element_id(self) -> str: ...


class Suspicions(Protocol):
    """The suspicion detector as the correlator uses it (``network/suspicion.py``).

    Every method returns the events it decides, at the event time it is given; state lives
    in a JSON-able mapping the caller persists (``rebuild`` re-derives the rest)."""

    zone: str  # the zone whose local time the suspected incidents' ids name

    def report(self, at: float, contact_id: str, customer_id: str,
               serving: Sequence[str]) -> list[SuspicionEvent]:
        """A ``no_service`` contact of a customer in no known outage, served by ``serving``."""
        ...

    def advance(self, now: float) -> list[SuspicionEvent]:
        """Event time moved to ``now``: old reports expire, quiet suspicions are cancelled."""
        ...

    def confirm(self, at: float, *, incident_id: str | None = None,
                element_id: str | None = None) -> SuspicionEvent | None:
        """The NOC confirmed the suspicion so named; None when none is open."""
        ...

    def join(self, element_id: str, at: float) -> SuspicionEvent | None:
        """An alarm took ``element_id`` down: its open suspicion (if any) is confirmed."""
        ...

    def open(self) -> Sequence[OpenSuspicion]:
        """The open suspicions (an alarm above one confirms it: ``join``)."""
        ...

    def rebuild(self) -> None:
        """Re-derive in-memory views from the state mapping (after a journal load)."""
        ...

    def swap(self, served: Mapping[str, int], element_type: Callable[[str], str]) -> None:
        """A new index version: customers served per element, element types."""
        ...


class CustomerFinder:
    """A contact's customer -> position in the region index, or ``RecordRefused``."""

    def __init__(self, index: Any, country: str = "") -> None:
        self.index = index
        self.country_code = COUNTRY_CODES.get(country.upper())

    def swap(self, index: Any) -> None:
        """Use ``index`` from now on (its own phone map)."""
        self.index = index

    def position(self, contact: Contact) -> int:
        """The customer's position; refuses a contact naming no customer of the index."""
        if contact.customer_id is not None:
            try:
                return int(self.index.position(contact.customer_id))
            except KeyError:
                raise RecordRefused(UNKNOWN_CUSTOMER, "customer_id",
                                    "names no customer of this region") from None
        found = self._phone_map().find(contact.phone or "", self.country_code)
        if not found:
            field = "phone" if contact.phone is not None else "customer_id"
            raise RecordRefused(UNKNOWN_CUSTOMER, field, "names no customer of this region")
        return int(found[0][1])  # a shared line: its first customer

    def _phone_map(self) -> Any:
        """The index's ``PhoneMap`` (a sliced index's own partition count; else one)."""
        return self.index.phone_map(int(getattr(self.index, "partitions", 1)))


def known_outage(index: OutageIndex, position: int, down: set[str],
                 maintenance: set[str]) -> bool:
    """True when any service of the customer at ``position`` is out or planned now."""
    states = service_states(index, np.asarray([position]), down, maintenance)
    return any(int(states[service][0]) != OK for service in SERVICE_NAMES)
