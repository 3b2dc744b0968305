"""What an agent reads out to a caller about one incident, from the customers' own templates.

Why the message templates and not desk wording: app, SMS, status page and agent must tell
one story. The script is the push text a customer of this incident got (or would get) in
that language: the same facts (services, since, ETA, planned window, what to do meanwhile,
no need to call), rendered by ``MessageRenderer`` for an anonymous customer with the
incident's services in the desk's time zone. No personal data goes in or comes out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from forewarn.domain import Customer, Decision, Stage, from_iso
from forewarn.templates import MessageRenderer

__all__ = ["READOUT_CHANNEL", "readout_decision", "readout_scripts"]

READOUT_CHANNEL = "push"  # one paragraph, no SMS abbreviations: the text to say aloud


def readout_decision(incident: Mapping[str, Any], now: float) -> Decision | None:
    """The decision a customer of ``incident`` is told about now: outage, planned works
    (its window) or resolved; None when it took no service from anyone."""
    services = tuple(incident.get("services") or ())
    since = from_iso(incident.get("started_at"))
    if not services or since is None:
        return None
    window = incident.get("window") or None
    cause = str(incident.get("cause_type") or "unknown")
    if incident.get("planned") and window and (incident.get("active") or incident.get("upcoming")):
        return Decision("desk", incident["incident_id"], Stage.PLANNED, services, now,
                        from_iso(window["start"]) or since, "desk_readout", cause,
                        eta=from_iso(window["end"]), message=window.get("text"))
    if not incident.get("active") and incident.get("ended_at"):
        return Decision("desk", incident["incident_id"], Stage.RESOLVED, services, now, since,
                        "desk_readout", cause, ended_at=from_iso(incident["ended_at"]))
    return Decision("desk", incident["incident_id"], Stage.OUTAGE, services, now, since,
                    "desk_readout", cause, eta=from_iso(incident.get("eta")))


def readout_scripts(renderer: MessageRenderer, incident: Mapping[str, Any],
                    languages: Sequence[str], zone: str, now: float) -> dict[str, str]:
    """Language -> the text to read out, for each of ``languages`` the templates have."""
    decision = readout_decision(incident, now)
    if decision is None:
        return {}
    out: dict[str, str] = {}
    for language in languages:
        if language in renderer.languages and language not in out:
            caller = Customer("desk", decision.services, language, (READOUT_CHANNEL,),
                              timezone=zone)
            out[language] = renderer.render(decision, caller, READOUT_CHANNEL).text or ""
    return out
