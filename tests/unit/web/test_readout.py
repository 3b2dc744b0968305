"""The agent's read-out script: the customers' own push text for the incident, per language."""

from __future__ import annotations

import pytest

from forewarn.streams.web.readout import readout_decision, readout_scripts
from forewarn.templates import MessageRenderer

NOW = 1_700_000_000.0  # 2023-11-14T22:13:20Z


def _incident(**fields: object) -> dict[str, object]:
    base: dict[str, object] = {
        "incident_id": "INC-7", "services": ["fibre"], "cause_type": "olt",
        "started_at": "2023-11-14T21:00:00+00:00", "active": True, "planned": False,
        "upcoming": False, "eta": "2023-11-14T23:30:00+00:00", "ended_at": None,
        "window": None}
    return {**base, **fields}


@pytest.fixture(scope="module")
def renderer() -> MessageRenderer:
    return MessageRenderer("https://status.example.net/i/{incident_id}", "de")


def test_script_is_the_customers_push_text_in_each_language(renderer: MessageRenderer) -> None:
    scripts = readout_scripts(renderer, _incident(), ["en", "de"], "Europe/Berlin", NOW)
    assert list(scripts) == ["en", "de"]
    decision = readout_decision(_incident(), NOW)
    assert decision is not None and decision.stage == "outage"
    from forewarn.domain import Customer
    own = renderer.render(decision, Customer("x", ("fibre",), "en", ("push",),
                                             timezone="Europe/Berlin"), "push").text
    assert scripts["en"] == own, "the same words the customers got"
    assert "https://status.example.net/i/INC-7" in scripts["de"]
    assert "00:30" in scripts["en"], "the ETA in the desk's local time"


def test_planned_works_read_out_their_window(renderer: MessageRenderer) -> None:
    planned = _incident(planned=True, upcoming=True, active=False, eta=None,
                        window={"start": "2023-11-15T08:00:00+00:00",
                                "end": "2023-11-15T10:00:00+00:00", "text": None})
    decision = readout_decision(planned, NOW)
    assert decision is not None and decision.stage == "planned"
    assert decision.eta == 1_700_042_400.0  # the window's end
    text = readout_scripts(renderer, planned, ["en"], "Europe/Berlin", NOW)["en"]
    assert "11:00" in text


def test_ended_incident_reads_out_that_service_is_back(renderer: MessageRenderer) -> None:
    ended = _incident(active=False, ended_at="2023-11-14T22:00:00+00:00")
    decision = readout_decision(ended, NOW)
    assert decision is not None and decision.stage == "resolved"


def test_incident_without_services_has_no_script(renderer: MessageRenderer) -> None:
    assert readout_scripts(renderer, _incident(services=[]), ["en"], "Europe/Berlin", NOW) == {}
