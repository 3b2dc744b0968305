"""What the IVR / CTI hears about a caller (CONTRACT §8, ``GET /api/v1/callers/{phone}``).

Why a pure function: the answer joins the same sources as the desk's customer status (the
customer's ``episodes`` entry and delivery ``history``, both on the customer's partition,
so the web layer routes the request to the worker owning it) with the open suspected
incidents, and decides which of five situations the caller is in, most specific first:

* ``outage``: an open outage episode (not planned works): the incident, since, ETA;
* ``planned``: a started maintenance window takes a service: until when;
* ``suspected``: an open suspicion's element serves the caller (no known outage);
* ``back``: service came back and the episode is not resolved yet: since when;
* ``none``: nothing known.

``known_outage`` is true for ``outage`` and ``planned``; ``suspected`` is reported on its own
(a caller may be out of fibre and suspected on mobile). ``told`` lists what was delivered
for the current incident (merged incidents' ids included), oldest first; the spoken text
names the latest notice. The text comes from the ``ivr`` templates (``MessageRenderer.
render_ivr``), so its wording follows the tone rules; no personal data goes into it.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

from forewarn.domain import SERVICES, Customer, epoch_or_none
from forewarn.notifiers import mask_address
from forewarn.streams.network.serving import serving_elements
from forewarn.templates import RenderedMessage
from forewarn.templates.ivr import SITUATIONS, IvrFacts

__all__ = ["KNOWN", "MAX_PHONE", "SITUATIONS", "CallerSituation", "IvrRenderer",
           "caller_answer", "caller_situation", "serving_elements_of"]

KNOWN = ("outage", "planned")  # situations in which the caller is in a known outage
MAX_PHONE = 40  # characters of a phone number as typed (E.164 has 15 digits, plus layout)


class IvrRenderer(Protocol):
    """Renders what the IVR says (``MessageRenderer`` is one)."""

    def render_ivr(self, facts: IvrFacts, customer: Customer) -> RenderedMessage: ...


def _times(episodes: Mapping[str, Any], services: Iterable[str], key: str) -> list[float]:
    """The instants ``key`` holds in these services' episodes (unreadable ones left out)."""
    found = (epoch_or_none(episodes[s].get(key)) for s in services)
    return [t for t in found if t is not None]


def serving_elements_of(index: Any, customer_id: str) -> set[str]:
    """Elements whose failure takes service from the customer: covering cells, serving fibre
    nodes, and all their ancestors (the suspicion detector's ``serving_elements``, by id)."""
    return set(serving_elements(index, index.position(customer_id)))


def _ordered(services: Collection[str]) -> tuple[str, ...]:
    return tuple(s for s in SERVICES if s in services)


@dataclass(frozen=True, slots=True)
class CallerSituation:
    """Where the caller stands: the facts to speak, the current incident (``incident_ids``:
    it and the ids merged into it, whose notices count as told) and the suspected one."""

    facts: IvrFacts
    incident_id: str | None = None
    incident_ids: frozenset[str] = frozenset()
    suspected: str | None = None


def caller_situation(customer: Customer, state: Mapping[str, Any] | None,
                     suspicions: Sequence[Mapping[str, Any]], serving: Collection[str],
                     now: float) -> CallerSituation:
    """The caller's situation, most specific first (see the module docstring)."""
    state = state or {}
    episodes: Mapping[str, Mapping[str, Any]] = state.get("episodes") or {}
    planned: Mapping[str, str] = state.get("planned") or {}
    windows: Mapping[str, Mapping[str, Any]] = state.get("windows") or {}
    suspected = next((str(s["incident_id"]) for s in suspicions
                      if s.get("element_id") in serving), None)
    zone = customer.timezone

    def ids_of(services: Collection[str]) -> frozenset[str]:
        ids: set[str] = set()
        for service in services:
            episode = episodes.get(service) or {}
            ids.update(str(i) for i in [episode.get("incident_id"), *episode.get("aliases", ())]
                       if i)
        return frozenset(ids)

    out = [s for s in SERVICES if (episodes.get(s) or {}).get("out") and s not in planned]
    if out:
        incident = str(episodes[out[0]].get("incident_id") or "") or None
        services = [s for s in out if episodes[s].get("incident_id") == incident]
        starts = _times(episodes, services, "since")
        etas = _times(episodes, services, "eta")
        facts = IvrFacts("outage", _ordered(services), now, zone, since=min(starts, default=None),
                         eta=max(etas, default=None))
        return CallerSituation(facts, incident, ids_of(services), suspected)
    if planned:
        first = next(s for s in (*SERVICES, *sorted(planned)) if s in planned)
        window_id = str(planned[first])
        window = windows.get(window_id) or {}
        services = [s for s, w in planned.items() if w == window_id]
        facts = IvrFacts("planned", _ordered(services), now, zone,
                         since=epoch_or_none(window.get("start")),
                         until=epoch_or_none(window.get("end")))
        return CallerSituation(facts, window_id, frozenset({window_id}), suspected)
    if suspected is not None:
        facts = IvrFacts("suspected", _ordered(customer.services), now, zone)
        return CallerSituation(facts, suspected, suspected=suspected)
    back = [s for s in SERVICES if s in episodes]
    if back:
        times = _times(episodes, back, "back_since")
        incident = str(episodes[back[0]].get("incident_id") or "") or None
        facts = IvrFacts("back", _ordered(back), now, zone, back=max(times, default=None))
        return CallerSituation(facts, incident, ids_of(back))
    return CallerSituation(IvrFacts("none", _ordered(customer.services), now, zone))


def caller_answer(customer: Customer, phone: str, state: Mapping[str, Any] | None,
                  history: Sequence[Mapping[str, Any]] | None,
                  suspicions: Sequence[Mapping[str, Any]], serving: Collection[str], *,
                  now: float, renderer: IvrRenderer) -> dict[str, Any]:
    """The answer for a caller from ``phone`` (masked in the answer) who is ``customer``,
    from their ``episodes`` entry, delivery ``history`` and the open suspected incidents
    (``serving``: the elements that serve them)."""
    situation = caller_situation(customer, state, suspicions, serving, now)
    facts = situation.facts
    told = [{"stage": h.get("stage"), "channel": h.get("channel"),
             "at": h.get("delivered_at") or h.get("decided_at")}
            for h in (history or []) if h.get("incident_id") in situation.incident_ids]
    if told and facts.situation in KNOWN:
        facts = replace(facts, told_channel=str(told[-1]["channel"]),
                        told_at=epoch_or_none(told[-1]["at"]))
    spoken = renderer.render_ivr(facts, customer)
    answer: dict[str, Any] = {
        "phone": mask_address(phone),
        "customer_id": customer.customer_id,
        "known_outage": facts.situation in KNOWN,
        "suspected": situation.suspected is not None,
    }
    if situation.incident_id:
        answer["incident_id"] = situation.incident_id
    answer.update({"language": spoken.language, "text": spoken.text, "told": told,
                   "situation": facts.situation, "services": list(facts.services)})
    return answer
