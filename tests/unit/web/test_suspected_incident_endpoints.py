"""An open suspected incident (customers' reports, no alarm) on the incident endpoints:
``GET /api/v1/incidents/{id}`` answers with the suspicion marked ``"suspected": true`` and no
customer data, and the public page ``/i/{id}`` says plainly that reports are being checked,
in de and en, naming places, never the element, the report count or a customer."""

from __future__ import annotations

import html
import json
import re
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from forewarn.config import Settings
from forewarn.geo import RegionIndex
from forewarn.streams.network.incident_board import IncidentBoard
from forewarn.streams.web.api import WebApi
from forewarn.streams.web.metrics import StreamMetrics
from forewarn.streams.web.openapi import openapi_document
from tests.unit.web.web_helpers import T0

SUSPECTED = "INC-20231114-2313-abcdef"


@pytest.fixture
def api(board: IncidentBoard, index: RegionIndex) -> WebApi:
    settings = Settings.model_validate({"notify": {"default_language": "de"}})
    return WebApi(board=board, index=index, settings=settings, tables={}, partitions=1,
                  metrics=StreamMetrics(board=board, index=index), clock=lambda: T0 + 600)


@pytest.fixture
def suspected(board: IncidentBoard) -> IncidentBoard:
    """PON-1 (serving customer 007 in Mitte West) suspected from 7 customers' reports."""
    board.record_suspicion({"incident_id": SUSPECTED, "element_id": "PON-1", "cause_type": "pon",
                            "event": "suspected", "at": T0, "reports": 7, "customers": 1})
    board.record_suspicion({"incident_id": SUSPECTED, "element_id": "PON-1", "cause_type": "pon",
                            "event": "updated", "at": T0 + 120, "reports": 8, "customers": 1})
    return board


def text(body: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def test_an_open_suspicions_id_answers_with_the_suspicion_marked_suspected(
        api: WebApi, suspected: IncidentBoard) -> None:
    reply = api.incident(SUSPECTED)
    assert reply.status == 200
    body = reply.body
    assert body["suspected"] is True and body["incident_id"] == SUSPECTED
    assert (body["element_id"], body["cause_type"], body["reports"]) == ("PON-1", "pon", 8)
    assert body["since"] == "2023-11-14T22:13:20+00:00"  # the first event's time, kept
    assert body == next(s for s in api.incidents().body["suspected"]
                    if s["incident_id"] == SUSPECTED), "one shape in both places"
    assert not {"affected_now", "told", "customer_ids", "contacts"} & set(body)


def test_a_cancelled_or_confirmed_suspicions_id_is_no_suspected_incident_any_more(
        api: WebApi, suspected: IncidentBoard) -> None:
    suspected.record_suspicion({"incident_id": SUSPECTED, "element_id": "PON-1",
                                "cause_type": "pon", "event": "cancelled", "at": T0 + 900,
                                "reports": 8, "customers": 1})
    assert api.incident(SUSPECTED).status == 404
    assert api.incident_page(SUSPECTED, {"lang": "en"}).status == 404


def test_an_unknown_id_is_still_404(api: WebApi, suspected: IncidentBoard) -> None:
    assert api.incident("INC-nobody").status == 404


@pytest.mark.parametrize(("lang", "says"), [
    ("en", "We are checking whether there is a disruption"),
    ("de", "Wir prüfen, ob eine Störung vorliegt"),
])
def test_the_public_page_of_a_suspicion_says_reports_are_being_checked(
        api: WebApi, suspected: IncidentBoard, lang: str, says: str) -> None:
    reply = api.incident_page(SUSPECTED, {"lang": lang})
    assert reply.status == 200
    shown = text(reply.payload().decode())
    assert says in shown
    assert "Mitte West" in shown, "where, by place name"
    assert SUSPECTED in shown
    for private in ("PON-1", "007", "+49", "@example", " 8 ", " 7 "):
        assert private not in f" {shown} ", f"{private!r} is not for the public"


def validate(body: Any, path: str) -> None:
    """``body`` against the OpenAPI document's 200 schema of ``GET path``."""
    document = openapi_document()
    registry = Registry().with_resource(
        "urn:forewarn", Resource.from_contents(
            {"components": {"schemas": document["components"]["schemas"]}},
            default_specification=DRAFT202012))
    schema = document["paths"][path]["get"]["responses"]["200"]["content"][
        "application/json"]["schema"]
    text = json.dumps(schema).replace('"#/components', '"urn:forewarn#/components')
    Draft202012Validator(json.loads(text), registry=registry).validate(body)


def test_the_suspicion_answer_and_the_suspicions_feed_match_their_openapi_schemas(
        api: WebApi, suspected: IncidentBoard) -> None:
    validate(json.loads(api.incident(SUSPECTED).payload()), "/api/v1/incidents/{incident_id}")
    feed = json.loads(api.suspicions().payload())
    validate(feed, "/api/v1/suspicions")
    assert feed["suspicions"] == api.incidents().body["suspected"], "one shape, one derivation"
