"""The HTTP API of a live worker on the sample region: tokens, an outage told through the
API (incidents, customer status, phone lookup, area status, CAP, metrics), and schemathesis
against the OpenAPI document (no server error, nothing outside the documented schema)."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import geopandas as gpd
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from prometheus_client.parser import text_string_to_metric_families
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from forewarn.geo import RegionIndex, load_region
from tests.forewarn_testing import (
    SAMPLE,
    healthy,
    read_records,
    start_worker,
    stop_worker,
    wait_for,
    worker_config,
)

pytestmark = pytest.mark.integration

TOKEN = "web-token-7c1e"
ELEMENT = "S0002"  # a site: 9 mobile customers (sample_region/README.md)
CAP = {"cap": "urn:oasis:names:tc:emergency:cap:1.2", "atom": "http://www.w3.org/2005/Atom"}


def get(port: int, path: str, token: str | None = None) -> tuple[int, str, bytes]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers["Content-Type"], response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], error.read()


def post(port: int, path: str, body: object) -> tuple[int, dict]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}",
                                     data=json.dumps(body).encode(), method="POST",
                                     headers={"Authorization": f"Bearer {TOKEN}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def get_json(port: int, path: str, token: str | None = None) -> tuple[int, dict]:
    status, _, body = get(port, path, token)
    return status, json.loads(body)


@pytest.fixture(scope="module")
def story() -> dict[str, object]:
    """What the outage of ``ELEMENT`` does, computed independently of the worker."""
    region = load_region(SAMPLE)
    index = RegionIndex.build(region)
    hit = index.impact([ELEMENT])
    customers = region.customers.set_index("customer_id")
    points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(customers.loc[hit["mobile"], "lon"],
                                                          customers.loc[hit["mobile"], "lat"]),
                              crs="EPSG:4326")
    areas = region.areas.to_crs("EPSG:4326")
    inside = gpd.sjoin(points, areas, predicate="intersects")
    affected = sorted(set(inside["area_id"]))
    reachable = [c for c in hit["mobile"] if index.customer(c).first_channel()]
    return {"mobile": hit["mobile"], "reachable": reachable,
            "affected_area": min(affected),
            "unaffected_area": min(set(areas["area_id"]) - set(affected)),
            "phones": {c: index.customer(c).phone for c in hit["mobile"]}}


@pytest.fixture(scope="module")
def worker(embedded_broker: object, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[tuple[int, Path]]:
    tmp = tmp_path_factory.mktemp("web")
    tag = f"web{os.getpid()}"
    out = tmp / "notifications.jsonl"
    config = worker_config(tmp, tag, out, "[correlation]\nconfirm_after_s = 2\n"
                           "resolve_after_s = 3\n", partitions=3)
    proc, port = start_worker(config, embedded_broker.url, region=SAMPLE,
                              env={"FOREWARN_API_TOKENS": TOKEN})
    try:
        wait_for(lambda: healthy(port), 90, "the worker")
        yield port, out
    finally:
        stderr = stop_worker(proc)
        assert TOKEN not in stderr, "tokens must never be logged"
        assert "+4915" not in stderr, "phone numbers must be masked in logs"


@pytest.fixture(scope="module")
def outage(worker: tuple[int, Path], story: dict) -> dict:
    """``ELEMENT`` down, confirmed, and every reachable customer told."""
    port, out = worker
    status, _ = post(port, "/api/v1/alarms", {
        "alarm_id": "W1", "element_id": ELEMENT, "state": "raised", "severity": "critical",
        "event_time": datetime.now(UTC).isoformat()})
    assert status == 202
    wait_for(lambda: {r["customer_id"] for r in read_records(out) if r["stage"] == "outage"}
             == set(story["reachable"]), 60, "outage notices")

    def incident() -> dict:
        _, body = get_json(port, "/api/v1/incidents")
        (found,) = [i for i in body["incidents"] if i["cause_element"] == ELEMENT]
        return found

    # The board counts receipts as it reads them back from notifications.delivered: moments
    # after the file has them. An overcount never matches, so the wait cannot hide one.
    wait_for(lambda: incident()["notifications"].get("outage") == len(story["reachable"]), 30,
             "the board to count every receipt")
    return incident()


def test_customer_data_and_writes_need_a_token(worker: tuple[int, Path]) -> None:
    port, _ = worker
    for token in (None, "wrong"):
        status, body = get_json(port, "/api/v1/customers/C0000001/status", token)
        assert status == 401 and "token" in body["error"]
        status, body = get_json(port, "/api/v1/customers?phone=%2B4915112345678", token)
        assert status == 401
    status, body = get_json(port, "/api/v1/customers/C0000001/status", TOKEN)
    assert status == 200 and body["customer_id"] == "C0000001"
    status, body = get_json(port, "/api/v1/customers/nobody/status", TOKEN)
    assert status == 404 and body == {"error": "no customer 'nobody'"}


def test_public_endpoints_need_no_token(worker: tuple[int, Path]) -> None:
    port, _ = worker
    for path in ("/", "/status", "/metrics", "/api/v1/incidents", "/api/v1/cap",
                 "/api/v1/areas", "/api/v1/openapi.json", "/static/leaflet/leaflet.js"):
        status, _, _ = get(port, path)
        assert status == 200, path


def test_incident_counts_match_an_independent_computation(outage: dict, story: dict) -> None:
    assert outage["active"] and outage["services"] == ["mobile"]
    assert outage["affected_now"] == {"mobile": len(story["mobile"]), "fibre": 0}
    assert outage["notifications"] == {"outage": len(story["reachable"])}


def test_customer_status_shows_incident_since_and_what_they_were_told(
        worker: tuple[int, Path], outage: dict, story: dict) -> None:
    port, out = worker
    customer = story["reachable"][0]
    status, body = get_json(port, f"/api/v1/customers/{customer}/status", TOKEN)
    assert status == 200 and body["affected"]
    (episode,) = body["episodes"]
    assert episode["incident_id"] == outage["incident_id"] and episode["state"] == "out"
    assert episode["notified"] and episode["since"] == outage["started_at"]
    sent = [r for r in read_records(out) if r["customer_id"] == customer]
    assert [(t["stage"], t["channel"]) for t in episode["told"]] == \
        [(r["stage"], r["channel"]) for r in sent]
    assert body["notifications"][0]["notification_id"] == sent[0]["notification_id"]
    assert body["notifications"][0]["to"] != sent[0]["to"], "addresses are masked"


def test_phone_lookup_accepts_national_and_international_forms(
        worker: tuple[int, Path], outage: dict, story: dict) -> None:
    port, _ = worker
    customer, phone = next((c, p) for c, p in story["phones"].items() if p)
    national = "0" + phone.removeprefix("+49")
    for typed in (phone, national, "00" + phone[1:]):
        status, body = get_json(port, "/api/v1/customers?phone="
                                + urllib.request.quote(typed), TOKEN)
        assert status == 200 and {"customer_id": customer} in body["customers"], typed


def test_status_answers_for_affected_and_unaffected_areas(
        worker: tuple[int, Path], outage: dict, story: dict) -> None:
    port, _ = worker
    _, hit = get_json(port, f"/api/v1/status?q={story['affected_area']}")
    assert hit["areas"][0]["disrupted"] and hit["areas"][0]["since"] == outage["started_at"]
    _, calm = get_json(port, f"/api/v1/status?q={story['unaffected_area']}")
    assert not calm["areas"][0]["disrupted"]
    assert hit["areas"][0]["partly"], "one mast of a district: only part of it is out"
    status, _, html = get(port, f"/status?lang=en&q={story['affected_area']}")
    assert status == 200 and b"is partly disrupted (" in html
    status, body = get_json(port, "/api/v1/status?lat=91&lon=13")
    assert status == 400 and "lat" in body["error"]


def test_cap_feed_has_an_alert_for_the_incident(worker: tuple[int, Path], outage: dict) -> None:
    port, _ = worker
    status, content_type, body = get(port, "/api/v1/cap")
    assert status == 200 and content_type.startswith("application/atom+xml")
    alerts = ET.fromstring(body).findall("atom:entry/atom:content/cap:alert", CAP)
    (alert,) = [a for a in alerts
                if a.findtext("cap:incidents", namespaces=CAP) == outage["incident_id"]]
    assert alert.findtext("cap:msgType", namespaces=CAP) == "Alert"
    assert alert.find("cap:info/cap:area/cap:polygon", CAP) is not None


def test_metrics_count_what_happened(worker: tuple[int, Path], outage: dict,
                                     story: dict) -> None:
    port, _ = worker
    _, content_type, body = get(port, "/metrics")
    assert content_type.startswith("text/plain")
    families = list(text_string_to_metric_families(body.decode()))
    assert len({f.name for f in families}) == len(families)
    values = {(s.name, tuple(sorted(s.labels.items()))): s.value
              for f in families for s in f.samples}
    assert values[("forewarn_customers_affected", (("service", "mobile"),))] == \
        len(story["mobile"])
    assert values[("forewarn_alarms_in_total", (("format", "native"), ("outcome", "accepted"),
                                                ("source", "http")))] >= 1
    delivered = sum(v for (name, labels), v in values.items()
                    if name == "forewarn_notifications_total"
                    and ("outcome", "delivered") in labels)
    assert delivered == len(story["reachable"])


def test_unknown_paths_answer_json(worker: tuple[int, Path]) -> None:
    port, _ = worker
    status, content_type, body = get(port, "/no/such/page")
    assert status == 404 and content_type.startswith("application/json")
    assert json.loads(body) == {"error": "Not Found"}


def test_api_conforms_to_its_openapi_document(worker: tuple[int, Path], outage: dict) -> None:
    """schemathesis over every documented operation (positive data, bearer token): no 5xx,
    only documented status codes, content types and response schemas."""
    port, _ = worker
    schema = schemathesis.openapi.from_url(f"http://127.0.0.1:{port}/api/v1/openapi.json")
    checks = [not_a_server_error, status_code_conformance, content_type_conformance,
              response_schema_conformance]
    failures: list[str] = []
    calls: list[int] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20

    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=10, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        def exercise(case: schemathesis.Case) -> None:
            response = case.call_and_validate(headers={"Authorization": f"Bearer {TOKEN}"},
                                              timeout=20, checks=checks)
            calls.append(response.status_code)

        try:
            exercise()
        except Exception as exc:
            failures.append(f"{operation.label}: {str(exc)[:1500]}")
    assert not failures, "\n\n".join(failures)
    assert len(calls) >= 3 * len(operations), "schemathesis made the requests"
    assert 202 in calls and 200 in calls
