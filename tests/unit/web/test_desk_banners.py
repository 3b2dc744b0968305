"""The desk's banners by place and priority: biggest outage first, planned works apart,
totals on top, places named, told counts exact although deliveries arrive early."""

from __future__ import annotations

import json

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from forewarn.config import Settings
from forewarn.domain import to_iso
from forewarn.geo import RegionIndex
from forewarn.streams.network.incident_board import MAX_PENDING, IncidentBoard
from forewarn.streams.web.api import WebApi
from forewarn.streams.web.desk_banners import MAX_PLACES, banner_places, desk_banners
from forewarn.streams.web.metrics import StreamMetrics
from forewarn.streams.web.openapi import openapi_document
from tests.unit.web.web_helpers import T0, change, delivered


def _incident(incident_id: str, now: int, *, started: str = "2023-11-14T22:00:00+00:00",
              active: bool = True, planned: bool = False, ended: str | None = None,
              upcoming: bool = False) -> dict[str, object]:
    return {"incident_id": incident_id, "active": active, "planned": planned,
            "upcoming": upcoming, "started_at": started, "ended_at": ended,
            "affected_now": {"mobile": now, "fibre": 0}, "services": ["mobile"]}


def test_the_outage_with_most_customers_out_now_comes_first() -> None:
    view = desk_banners([_incident("small-new", 12, started="2023-11-14T23:00:00+00:00"),
                         _incident("big-old", 222, started="2023-11-14T21:00:00+00:00"),
                         _incident("ended", 0, active=False, ended="2023-11-14T23:30:00+00:00"),
                         _incident("mid", 132)], [], {})
    assert [b["incident_id"] for b in view.unplanned] == ["big-old", "mid", "small-new", "ended"]


def test_planned_works_have_their_own_section_and_stay_out_of_the_totals() -> None:
    view = desk_banners([_incident("INC-1", 10), _incident("MW-run", 40, planned=True)],
                        [_incident("MW-later", 0, planned=True, upcoming=True, active=False)], {})
    assert [b["incident_id"] for b in view.unplanned] == ["INC-1"]
    assert [b["incident_id"] for b in view.planned] == ["MW-run", "MW-later"]
    assert view.totals == {"mobile": 10, "fibre": 0} and view.active == 1


def test_totals_add_customers_out_now_per_service_over_active_incidents() -> None:
    a = _incident("A", 5)
    a["affected_now"] = {"mobile": 5, "fibre": 7}
    view = desk_banners([a, _incident("B", 3), _incident("C", 0, active=False,
                                                           ended="2023-11-14T23:00:00+00:00")],
                        [], {})
    assert view.totals == {"mobile": 8, "fibre": 7} and view.active == 2


def test_places_are_named_sorted_with_postcode_and_the_rest_counted() -> None:
    areas = [{"area_id": f"A{i}", "name": f"Place {i}", "postcode": f"1000{i}"}
             for i in range(MAX_PLACES + 2)]
    places = banner_places(list(reversed(areas)))
    assert places["names"][0] == "Place 0 (10000)"
    assert len(places["names"]) == MAX_PLACES and places["more"] == 2


def test_planned_deliveries_before_the_window_reaches_the_board_are_counted() -> None:
    board = IncidentBoard()
    for customer in ("007", "0012", "c-east"):
        board.record_delivery(delivered(customer, stage="planned", incident="MW-1"))
    board.record_window({"kind": "planned", "at": T0, "maintenance_id": "MW-1",
                         "elements": ["S-A"], "start": T0 + 3600,
                         "end": T0 + 7200, "announced": T0,
                         "customers": {"mobile": ["007", "0012", "c-east"]}})
    (window,) = board.upcoming()
    assert window["told"]["planned"]["count"] == 3
    board.record_delivery(delivered("c-west", stage="planned", incident="MW-1"))
    assert board.upcoming()[0]["told"]["planned"]["count"] == 4
    board.record_changes([change("007", incident="MW-1", cause_type="maintenance",
                                 at=T0 + 3600)])
    assert board.incident("MW-1")["told"]["planned"] == {
        "count": 4, "channels": {"sms": 4}, "first_at": "2023-11-14T22:15:21+00:00"}


def test_outage_deliveries_before_the_incident_reaches_the_board_are_counted() -> None:
    board = IncidentBoard()
    board.record_delivery(delivered("007", incident="INC-9"))
    board.record_changes([change("007", incident="INC-9")])
    assert board.incident("INC-9")["told"]["outage"]["count"] == 1


def test_held_deliveries_are_bounded_oldest_dropped() -> None:
    board = IncidentBoard()
    for n in range(MAX_PENDING + 1):
        board.record_delivery(delivered("007", incident=f"INC-{n}"))
    board.record_changes([change("007", incident="INC-0"), change("0012", incident="INC-1")])
    assert board.incident("INC-0")["told"] == {}
    assert board.incident("INC-1")["told"]["outage"]["count"] == 1


@pytest.fixture
def api(board: IncidentBoard, index: RegionIndex) -> WebApi:
    settings = Settings.model_validate({"notify": {"default_language": "de"}})
    return WebApi(board=board, index=index, settings=settings, tables={}, partitions=1,
                  metrics=StreamMetrics(board=board, index=index), clock=lambda: T0 + 60)


def test_banner_names_the_place_and_services_and_links_the_incident(
        api: WebApi, board: IncidentBoard) -> None:
    board.record_changes([change("007", incident="INC-1")])
    page = api.banners({"lang": "en"}).payload().decode()
    assert "in Mitte West (10115)" in page
    assert 'href="/i/INC-1?lang=en">Mobile cell failure' not in page  # cause_type site
    assert 'href="/i/INC-1?lang=en">Mobile mast failure: Mobile</a>' in page


def test_ended_incident_keeps_its_places(api: WebApi, board: IncidentBoard) -> None:
    board.record_changes([change("007", incident="INC-1")])
    api.banners({"lang": "en"})
    board.record_changes([change("007", incident="INC-1", out=False, at=T0 + 30)])
    assert "in Mitte West (10115)" in api.banners({"lang": "en"}).payload().decode()


def test_announced_window_names_the_places_of_its_customers(
        api: WebApi, board: IncidentBoard) -> None:
    board.record_window({"kind": "planned", "at": T0, "maintenance_id": "MW-1",
                         "elements": ["S-A"], "start": T0 + 3600,
                         "end": T0 + 7200, "announced": T0, "customers": {"mobile": ["007"]}})
    page = api.banners({"lang": "de"}).payload().decode()
    planned = page[page.index('id="planned-works"'):]
    assert 'data-incident="MW-1"' in planned and "in Mitte West (10115)" in planned
    # the window in local time (T0 = 23:13 in Berlin; start + 1 h, end + 2 h)
    assert "Arbeiten von 15.11. 00:13 bis 15.11. 01:13." in planned


def _suspect(board: IncidentBoard, incident_id: str, element: str, reports: int,
             at: float = T0) -> None:
    board.record_suspicion({"incident_id": incident_id, "element_id": element,
                            "cause_type": "pon", "event": "suspected", "at": at,
                            "reports": reports, "customers": 3})


def test_a_suspected_incident_has_its_own_section_naming_element_places_and_reports(
        api: WebApi, board: IncidentBoard) -> None:
    board.record_changes([change("007", incident="INC-1")])
    _suspect(board, "INC-S", "PON-1", 7)
    page = api.banners({"lang": "en"}).payload().decode()
    section = page[page.index('id="suspected"'):page.index('id="h-planned"')]
    assert 'data-incident="INC-S"' in section and 'data-incident="INC-1"' not in section
    assert ("7 customers served by PON-1 (Mitte West (10115)) reported no service within "
            "15 min; no alarm") in section
    assert 'data-incident="INC-S"' not in page[:page.index('id="suspected"')]
    german = api.banners({"lang": "de"}).payload().decode()
    assert "7 Kunden, versorgt über PON-1 (Mitte West (10115))" in german


def test_no_suspicion_no_section_and_a_confirmed_one_leaves_it(
        api: WebApi, board: IncidentBoard) -> None:
    assert 'id="suspected"' not in api.banners({"lang": "en"}).payload().decode()
    _suspect(board, "INC-S", "PON-1", 5)
    board.record_suspicion({"incident_id": "INC-S", "event": "confirmed", "at": T0 + 60})
    assert 'id="suspected"' not in api.banners({"lang": "en"}).payload().decode()


def test_suspicions_are_listed_beside_the_incidents_since_their_first_event_desk_by_reports(
        api: WebApi, board: IncidentBoard) -> None:
    _suspect(board, "INC-A", "PON-1", 5)
    _suspect(board, "INC-B", "PON-3", 6, at=T0 + 10)
    board.record_suspicion({"incident_id": "INC-A", "element_id": "PON-1", "cause_type": "pon",
                            "event": "updated", "at": T0 + 120, "reports": 8, "customers": 3})
    body = api.incidents().body
    assert body["incidents"] == []
    listed = {s["incident_id"]: s for s in body["suspected"]}
    assert {i: s["reports"] for i, s in listed.items()} == {"INC-A": 8, "INC-B": 6}
    first = listed["INC-A"]
    assert (first["since"], first["updated_at"]) == (to_iso(T0), to_iso(T0 + 120))
    assert [b["incident_id"] for b in api.desk_model("en").suspected] == ["INC-A", "INC-B"]


def test_the_incident_list_with_suspicions_matches_its_openapi_schema(
        api: WebApi, board: IncidentBoard) -> None:
    board.record_changes([change("007", incident="INC-1")])
    _suspect(board, "INC-S", "PON-1", 5)
    document = openapi_document()
    schemas = document["components"]["schemas"]
    registry = Registry().with_resource(
        "urn:forewarn", Resource.from_contents({"components": {"schemas": schemas}},
                                               default_specification=DRAFT202012))
    validator = Draft202012Validator(
        {"$ref": "urn:forewarn#/components/schemas/IncidentList"}, registry=registry)
    body = json.loads(api.incidents().payload())
    assert body["suspected"]
    validator.validate(body)
