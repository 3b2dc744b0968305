"""What a service-desk agent sees about one caller: episodes, incident, what they were told.

``customer_status`` joins three sources for one customer id: the region index (who they
are, which services they have), the ``episodes`` table (outage episodes per service:
incident, since, notified, ETA) and the ``history`` table (what was delivered, addresses
already masked). Both tables are keyed by customer id on the customer's partition, so the
web layer routes the request to the worker owning that partition before calling this.

``PhoneBook`` maps what an agent types ("0151 1234-5678", "+49 151 12345678",
"004915112345678") to customers (``normalise_phone`` lives in ``input/phones.py``, shared
with the network stage's contact resolution) through the index's phone map
(``geo.phone_map``): the sorted number -> (partition, position) arrays. A sliced index maps
them from its shared part, so a worker holding only some slices still knows which
partition owns a number (and routes the request there) without those customers; an index
built from a region builds the same map on first use (a million customers take about a
second, off the event loop), because most workers never need it.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from forewarn.domain import SERVICES, to_iso
from forewarn.geo.phone_map import PhoneMap
from forewarn.notifiers import mask_address
from forewarn.streams.input.phones import COUNTRY_CODES, normalise_phone

__all__ = ["COUNTRY_CODES", "PhoneBook", "customer_status", "normalise_phone"]


class PhoneBook:
    """Phone number -> customers over a region index's phone map, built on first use."""

    def __init__(self, index: Any, country: str = "", partitions: int = 1) -> None:
        self.index = index
        self.partitions = partitions
        self.country_code = COUNTRY_CODES.get(country.upper())
        self._map: PhoneMap | None = None
        self._lock = threading.Lock()

    @property
    def ready(self) -> bool:
        """Built: ``lookup`` no longer blocks."""
        return self._map is not None

    def looks_like_phone(self, text: str) -> bool:
        return normalise_phone(text, self.country_code) is not None

    def build(self) -> PhoneBook:
        with self._lock:
            if self._map is None:
                self._map = self.index.phone_map(self.partitions)
        return self

    def owners(self, text: str) -> list[tuple[int, int]]:
        """``(partition, position)`` of every customer with this number, in position order,
        whether or not this worker holds their partition."""
        phone_map = self.build()._map
        assert phone_map is not None
        return phone_map.find(text, self.country_code)

    def partition(self, text: str) -> int | None:
        """The partition of the first customer with this number (the one a call is answered
        for: routing and answer agree); None for an unknown number."""
        owners = self.owners(text)
        return owners[0][0] if owners else None

    def lookup(self, text: str) -> list[str]:
        """Ids of the customers with this number that this worker holds (usually one; a
        shared line gives several), in position order."""
        found = []
        for _, position in self.owners(text):
            try:
                found.append(self.index.id_at(position))
            except KeyError:  # a partition this worker does not hold
                continue
        return found

def _iso(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, int | float):
        return to_iso(float(value))
    return str(value)


def _episode(service: str, episode: Mapping[str, Any], planned: str | None) -> dict[str, Any]:
    out = bool(episode.get("out"))
    state = "planned" if planned else "out" if out else "recovering"
    return {
        "service": service,
        "state": state,
        "incident_id": str(episode.get("incident_id") or planned or ""),
        "cause_type": episode.get("cause_type"),
        "since": _iso(episode.get("since")),
        "back_since": _iso(episode.get("back_since")),
        "notified": bool(episode.get("notified")),
        "eta": _iso(episode.get("eta")),
        "message": episode.get("message"),
        "maintenance_id": planned,
    }


def customer_status(index: Any, customer_id: str, episodes: Mapping[str, Any],
                    history: Mapping[str, Any], partition: int) -> dict[str, Any] | None:
    """The ``/api/v1/customers/{id}/status`` body, or None for an unknown customer."""
    try:
        customer = index.customer(customer_id)
    except KeyError:
        return None
    state = episodes.get(customer_id) or {}
    planned = dict(state.get("planned") or {})
    active = [_episode(s, e, planned.get(s)) for s, e in (state.get("episodes") or {}).items()]
    active += [_episode(s, {"incident_id": m, "out": True}, m) for s, m in planned.items()
               if s not in (state.get("episodes") or {})]
    active.sort(key=lambda e: SERVICES.index(e["service"]) if e["service"] in SERVICES else 9)
    sent = [dict(entry) for entry in (history.get(customer_id) or [])]
    for entry in active:
        told = [h for h in sent if h.get("incident_id") == entry["incident_id"]
                and entry["service"] in h.get("services", [])]
        entry["told"] = [{"stage": h.get("stage"), "channel": h.get("channel"),
                          "at": h.get("delivered_at") or h.get("decided_at")} for h in told]
    return {
        "customer_id": customer.customer_id,
        "partition": partition,
        "services": list(customer.services),
        "language": customer.language,
        "channels": list(customer.channels),
        "phone": mask_address(customer.phone) if customer.phone else None,
        "affected": any(e["state"] in ("out", "planned") for e in active),
        "episodes": active,
        "notifications": sent,
    }
