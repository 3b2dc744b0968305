"""What a service-desk agent sees about one caller: episodes, incident, what they were told.

``customer_status`` joins three sources for one customer id: the region index (who they
are, which services they have), the ``episodes`` table (outage episodes per service:
incident, since, notified, ETA) and the ``history`` table (what was delivered, addresses
already masked). Both tables are keyed by customer id on the customer's partition, so the
web layer routes the request to the worker owning that partition before calling this.

``PhoneBook`` maps what an agent types ("0151 1234-5678", "+49 151 12345678",
"004915112345678") to customer ids (``normalise_phone`` lives in ``input/phones.py``, shared
with the network stage's contact resolution). It is built lazily, once, from the index (a million
customers take about a second, off the event loop) because most workers never need it.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from forewarn.domain import SERVICES, to_iso
from forewarn.notifiers import mask_address
from forewarn.streams.input.phones import COUNTRY_CODES, normalise_phone

__all__ = ["COUNTRY_CODES", "PhoneBook", "customer_status", "normalise_phone"]


class PhoneBook:
    """Phone number -> customer ids over a region index, built on first use."""

    def __init__(self, index: Any, country: str = "") -> None:
        self.index = index
        self.country_code = COUNTRY_CODES.get(country.upper())
        self._numbers: dict[str, list[str]] | None = None
        self._lock = threading.Lock()

    def looks_like_phone(self, text: str) -> bool:
        return normalise_phone(text, self.country_code) is not None

    def build(self) -> PhoneBook:
        with self._lock:
            if self._numbers is None:
                self._numbers = self._collect()
        return self

    def _collect(self) -> dict[str, list[str]]:
        numbers: dict[str, list[str]] = {}
        for customer_id, phone in self._phones():
            key = normalise_phone(str(phone), self.country_code) if phone else None
            if key:
                numbers.setdefault(key, []).append(customer_id)
        return numbers

    def _phones(self) -> list[tuple[str, Any]]:
        region = getattr(self.index, "region", None)
        if region is not None and "phone" in region.customers:
            return list(zip(self.index.customer_ids, region.customers["phone"].tolist()))
        return [(c, self.index.customer(c).phone) for c in self.index.customer_ids]

    def lookup(self, text: str) -> list[str]:
        """Customer ids with this number (usually one; a shared line gives several)."""
        key = normalise_phone(text, self.country_code)
        if key is None:
            return []
        return list(self.build()._numbers.get(key, ()))  # type: ignore[union-attr]


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
