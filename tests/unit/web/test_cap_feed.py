"""CAP 1.2 feed: one alert per incident, Alert -> Update -> Cancel with references."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from forewarn.geo import RegionIndex
from forewarn.streams.network.incident_board import IncidentBoard
from forewarn.streams.web.cap import ATOM_NS, CAP_NS, KEEP_CANCELLED_S, CapFeed
from forewarn.streams.web.status import AreaStatus
from tests.unit.web.web_helpers import T0, change

A = {"atom": ATOM_NS, "cap": CAP_NS}
REQUIRED_ALERT = ("identifier", "sender", "sent", "status", "msgType", "scope")
REQUIRED_INFO = ("category", "event", "urgency", "severity", "certainty")


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def feed(board: IncidentBoard, index: RegionIndex, clock: Clock) -> CapFeed:
    status = AreaStatus(board, index, clock=lambda: clock.now * 10)  # never throttled
    return CapFeed(status, status_url="https://status.example.net/i/{incident_id}",
                   language="de", clock=clock)


def alerts(feed: CapFeed) -> list[ET.Element]:
    root = ET.fromstring(feed.document())
    assert root.tag == f"{{{ATOM_NS}}}feed"
    return root.findall("atom:entry/atom:content/cap:alert", A)


def check_structure(alert: ET.Element) -> None:
    for tag in REQUIRED_ALERT:
        assert alert.findtext(f"cap:{tag}", namespaces=A), tag
    assert alert.findtext("cap:sent", namespaces=A).endswith("+00:00")
    infos = alert.findall("cap:info", A)
    assert {i.findtext("cap:language", namespaces=A) for i in infos} == {"de", "en"}
    for info in infos:
        for tag in REQUIRED_INFO:
            assert info.findtext(f"cap:{tag}", namespaces=A), tag
        for area in info.findall("cap:area", A):
            assert area.findtext("cap:areaDesc", namespaces=A)
            for polygon in area.findall("cap:polygon", A):
                pairs = [tuple(map(float, p.split(","))) for p in polygon.text.split()]
                assert len(pairs) >= 4 and pairs[0] == pairs[-1]
                assert all(-90 <= lat <= 90 and -180 <= lon <= 180 for lat, lon in pairs)


def test_new_incident_is_an_alert_with_its_footprint_polygon(board: IncidentBoard,
                                                            feed: CapFeed) -> None:
    board.record_changes([change("007", cause="A1", cause_type="cell")])
    (alert,) = alerts(feed)
    check_structure(alert)
    assert alert.findtext("cap:msgType", namespaces=A) == "Alert"
    assert alert.find("cap:references", A) is None
    area = alert.find("cap:info/cap:area", A)
    assert area.findtext("cap:areaDesc", namespaces=A) == "Mitte West"
    ring = area.findtext("cap:polygon", namespaces=A).split()
    lats = {float(p.split(",")[0]) for p in ring}
    assert lats == {52.5, 52.52}, "lat,lon order (the cell spans 52.50..52.52 north)"


def test_eta_change_is_an_update_and_the_end_a_cancel_referencing_all_before(
        board: IncidentBoard, feed: CapFeed, clock: Clock) -> None:
    board.record_changes([change("007")])
    first = alerts(feed)[0]
    board.record_news("INC-1", T0 + 60, eta=T0 + 3600, message="Techniker vor Ort")
    clock.now += 60
    second = alerts(feed)[0]
    check_structure(second)
    assert second.findtext("cap:msgType", namespaces=A) == "Update"
    assert second.find("cap:info/cap:expires", A) is not None
    first_ref = ",".join(first.findtext(f"cap:{t}", namespaces=A)
                         for t in ("sender", "identifier", "sent"))
    assert second.findtext("cap:references", namespaces=A) == first_ref
    board.record_changes([change("007", out=False, at=T0 + 120)])
    clock.now += 60
    third = alerts(feed)[0]
    check_structure(third)
    assert third.findtext("cap:msgType", namespaces=A) == "Cancel"
    assert len(third.findtext("cap:references", namespaces=A).split()) == 2
    assert alerts(feed)[0].findtext("cap:identifier", namespaces=A) == \
        third.findtext("cap:identifier", namespaces=A), "no news: same message"
    clock.now += KEEP_CANCELLED_S + 1
    assert alerts(feed) == []


def test_unchanged_incident_keeps_its_message(board: IncidentBoard, feed: CapFeed) -> None:
    board.record_changes([change("007")])
    one = alerts(feed)[0].findtext("cap:identifier", namespaces=A)
    board.record_changes([change("c-east")])  # more customers, same services: no news
    assert alerts(feed)[0].findtext("cap:identifier", namespaces=A) == one
