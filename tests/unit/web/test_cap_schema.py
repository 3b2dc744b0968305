"""The CAP feed as consumers check it: every alert valid against the OASIS CAP 1.2 schema,
the Atom wrapper valid for a strict reader (feedparser, no bozo flag), and the content right:
planned works, advice per service, severity by share, ``sent`` = publication time."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import feedparser
import pytest
import xmlschema

from forewarn.geo import RegionIndex
from forewarn.streams.network.incident_board import IncidentBoard
from forewarn.streams.web.cap import (
    ATOM_NS,
    CAP_NS,
    MODERATE_SHARE,
    SEVERE_SHARE,
    CapFeed,
    cap_time,
    severity,
)
from forewarn.streams.web.status import AreaStatus
from tests.unit.web.web_helpers import T0, change

XSD = Path(__file__).resolve().parents[2] / "fixtures" / "cap" / "CAP-v1.2.xsd"
A = {"atom": ATOM_NS, "cap": CAP_NS}


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(XSD)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def feed(board: IncidentBoard, index: RegionIndex, clock: Clock) -> CapFeed:
    status = AreaStatus(board, index, clock=lambda: clock.now * 10)  # never throttled
    return CapFeed(status, status_url="https://status.example.net/i/{incident_id}",
                   language="en", clock=clock)


def alerts(feed: CapFeed, schema: xmlschema.XMLSchema) -> list[ET.Element]:
    """The feed's alerts, each validated against the CAP 1.2 schema."""
    found = ET.fromstring(feed.document()).findall("atom:entry/atom:content/cap:alert", A)
    for alert in found:
        schema.validate(ET.tostring(alert, encoding="unicode"))
    return found


def info(alert: ET.Element, language: str = "en") -> dict[str, str]:
    element = alert.find(f"cap:info[cap:language='{language}']", A)
    assert element is not None
    return {child.tag.split("}")[1]: child.text or "" for child in element}


def window(board: IncidentBoard, start: float, end: float, services: dict[str, list[str]]) -> None:
    board.record({"kind": "planned", "at": T0, "maintenance_id": "MW-1", "start": start,
                  "end": end, "text": None, "customers": services, "elements": ["A1"],
                  "announced": T0})


def test_outage_alert_update_and_cancel_are_valid_cap_1_2(
        board: IncidentBoard, feed: CapFeed, clock: Clock, schema: xmlschema.XMLSchema) -> None:
    board.record_changes([change("007", cause="A1", cause_type="cell")])
    assert [a.findtext("cap:msgType", namespaces=A) for a in alerts(feed, schema)] == ["Alert"]
    board.record_news("INC-1", T0 + 60, eta=T0 + 3600, message="Technician on site")
    clock.now += 60
    assert alerts(feed, schema)[0].findtext("cap:msgType", namespaces=A) == "Update"
    board.record_changes([change("007", out=False, at=T0 + 120, cause="A1")])
    clock.now += 60
    assert alerts(feed, schema)[0].findtext("cap:msgType", namespaces=A) == "Cancel"


def test_schema_rejects_what_cap_forbids(schema: xmlschema.XMLSchema) -> None:
    """The check above can fail: a ``Z`` time and an unknown urgency are not CAP 1.2."""
    alert = (f'<alert xmlns="{CAP_NS}"><identifier>x</identifier><sender>s@x</sender>'
             "<sent>2023-11-14T22:13:20Z</sent><status>Actual</status><msgType>Alert</msgType>"
             "<scope>Public</scope></alert>")
    assert not schema.is_valid(alert)
    assert schema.is_valid(alert.replace("22:13:20Z", "22:13:20+00:00"))


def test_sent_is_publication_time_and_onset_the_incident_start(
        board: IncidentBoard, feed: CapFeed, clock: Clock, schema: xmlschema.XMLSchema) -> None:
    board.record_changes([change("007", at=T0)])
    clock.now = T0 + 500
    (alert,) = alerts(feed, schema)
    assert alert.findtext("cap:sent", namespaces=A) == cap_time(T0 + 500)
    assert info(alert)["onset"] == info(alert)["effective"] == cap_time(T0)


def test_planned_works_before_the_window_are_a_future_likely_alert_expiring_at_its_end(
        board: IncidentBoard, feed: CapFeed, clock: Clock, schema: xmlschema.XMLSchema) -> None:
    start, end = T0 + 86400, T0 + 86400 + 7200
    window(board, start, end, {"fibre": ["f-geo"]})
    (alert,) = alerts(feed, schema)
    fields = info(alert)
    assert alert.findtext("cap:msgType", namespaces=A) == "Alert"
    assert (fields["urgency"], fields["certainty"]) == ("Future", "Likely")
    assert fields["effective"] == fields["onset"] == cap_time(start)
    assert fields["expires"] == cap_time(end)
    assert fields["headline"] == "Planned works: Fibre broadband"
    assert fields["web"] == "https://status.example.net/i/MW-1"
    assert "Planned maintenance from" in fields["description"]
    assert info(alert, "de")["headline"] == "Geplante Arbeiten: Glasfaser-Internet"
    board.record_changes([change("f-geo", service="fibre", incident="MW-1", at=start,
                                 cause="A1", cause_type="maintenance")])
    clock.now = start + 1
    (alert,) = alerts(feed, schema)
    fields = info(alert)
    assert alert.findtext("cap:msgType", namespaces=A) == "Update"
    assert (fields["urgency"], fields["certainty"]) == ("Immediate", "Observed")
    assert fields["expires"] == cap_time(end)


def test_ended_announced_window_that_never_started_leaves_the_feed(
        board: IncidentBoard, feed: CapFeed, clock: Clock, schema: xmlschema.XMLSchema) -> None:
    window(board, T0 + 60, T0 + 120, {"mobile": ["007"]})
    assert len(alerts(feed, schema)) == 1
    clock.now = T0 + 121
    assert alerts(feed, schema) == []


@pytest.mark.parametrize(("customer", "service", "advice"), [
    ("f-geo", "fibre", "mobile hotspot"),
    ("0012", "mobile", "Wi-Fi Calling"),
])
def test_instruction_advises_what_still_works(
        board: IncidentBoard, feed: CapFeed, schema: xmlschema.XMLSchema,
        customer: str, service: str, advice: str) -> None:
    board.record_changes([change(customer, service=service)])
    instruction = info(alerts(feed, schema)[0])["instruction"]
    assert advice in instruction and "No need to call" in instruction
    other = "Wi-Fi Calling" if service == "fibre" else "hotspot"
    assert other not in instruction


def test_instruction_for_both_services_names_emergency_calls(
        board: IncidentBoard, feed: CapFeed, schema: xmlschema.XMLSchema) -> None:
    board.record_changes([change("007", service="mobile"), change("007", service="fibre")])
    alert = alerts(feed, schema)[0]
    assert "112" in info(alert)["instruction"]
    assert "Notrufe" in info(alert, "de")["instruction"]
    assert "hotspot" not in info(alert)["instruction"]


@pytest.mark.parametrize(("affected", "customers", "expected"), [
    (int(SEVERE_SHARE * 1000), 1000, "Severe"),
    (int(SEVERE_SHARE * 1000) - 1, 1000, "Moderate"),
    (int(MODERATE_SHARE * 1000), 1000, "Moderate"),
    (int(MODERATE_SHARE * 1000) - 1, 1000, "Minor"),
    (0, 0, "Minor"),
])
def test_severity_follows_the_share_of_customers_affected(
        affected: int, customers: int, expected: str) -> None:
    assert severity(affected, customers) == expected


def test_feed_severity_uses_the_regions_customer_count(
        board: IncidentBoard, feed: CapFeed, schema: xmlschema.XMLSchema,
        index: RegionIndex) -> None:
    assert len(index.customer_ids) == 10  # tiny: one customer is 10 %
    board.record_changes([change("007")])
    assert info(alerts(feed, schema)[0])["severity"] == "Severe"


def test_atom_wrapper_parses_without_bozo_and_has_what_rfc_4287_requires(
        board: IncidentBoard, feed: CapFeed, schema: xmlschema.XMLSchema) -> None:
    board.record_changes([change("007", cause="A1", cause_type="cell")])
    window(board, T0 + 86400, T0 + 90000, {"mobile": ["0012"]})
    parsed = feedparser.parse(feed.document())
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.feed.id and parsed.feed.title and parsed.feed.updated
    assert parsed.feed.author
    assert any(link.rel == "self" and link.href == "https://status.example.net/api/v1/cap"
               for link in parsed.feed.links)
    assert len(parsed.entries) == 2
    for entry in parsed.entries:
        assert entry.id and entry.title and entry.updated
        assert entry.link.startswith("https://status.example.net/i/")
    assert {e.link for e in parsed.entries} == {"https://status.example.net/i/INC-1",
                                                "https://status.example.net/i/MW-1"}
