"""Ingest over HTTP on a live worker: tokens, 202/400 naming the field, records flow on."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta

import pytest

from tests.forewarn_testing import (
    get_json,
    healthy,
    start_worker,
    stop_worker,
    wait_for,
    worker_config,
)

pytestmark = pytest.mark.integration

TOKEN = "test-token-3f9a"


def post(port: int, path: str, body: object, token: str | None = TOKEN) -> tuple[int, dict]:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method="POST",
                                     headers={"Content-Type": "application/json"})
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.fixture(scope="module")
def worker(embedded_broker: object, tmp_path_factory: pytest.TempPathFactory) -> object:
    tmp = tmp_path_factory.mktemp("http")
    config = worker_config(tmp, f"http{os.getpid()}", tmp / "n.jsonl")
    proc, port = start_worker(config, embedded_broker.url, env={"FOREWARN_API_TOKENS": TOKEN})
    try:
        wait_for(lambda: healthy(port), 90, "the worker")
        yield port
    finally:
        stderr = stop_worker(proc)
        assert TOKEN not in stderr, "tokens must never be logged"


def now_iso(delta_s: float = 0) -> str:
    return (datetime.now(UTC) + timedelta(seconds=delta_s)).isoformat()


def alarm(state: str = "raised", **extra: object) -> dict:
    return {"alarm_id": "H1", "element_id": "S-A", "state": state, "severity": "critical",
            "event_time": now_iso(), **extra}


def test_write_without_token_is_refused(worker: int) -> None:
    status, body = post(worker, "/api/v1/alarms", alarm(), token=None)
    assert status == 401 and "token" in body["error"]
    status, _ = post(worker, "/api/v1/alarms", alarm(), token="wrong")
    assert status == 401


def test_malformed_alarm_is_rejected_naming_the_field(worker: int) -> None:
    bad = alarm()
    del bad["severity"]
    status, body = post(worker, "/api/v1/alarms", bad)
    assert status == 400 and body["errors"][0]["field"] == "severity"
    status, body = post(worker, "/api/v1/alarms", b"{not json")
    assert status == 400 and body["accepted"] == 0


def test_valid_alarm_is_accepted_and_correlated(worker: int) -> None:
    status, body = post(worker, "/api/v1/alarms", alarm())
    assert status == 202 and body["accepted"] == 1

    def incident() -> dict | None:
        data = get_json(f"http://127.0.0.1:{worker}/api/v1/incidents") or {"incidents": []}
        return next((i for i in data["incidents"] if i["cause_element"] == "S-A"), None)

    wait_for(incident, 30, "the incident")
    found = incident()
    one = get_json(f"http://127.0.0.1:{worker}/api/v1/incidents/{found['incident_id']}")
    assert one["incident_id"] == found["incident_id"]
    status, body = post(worker, f"/api/v1/incidents/{found['incident_id']}/updates",
                        {"eta": now_iso(3600), "message": "Ein Techniker ist unterwegs."})
    assert status == 202 and body["accepted"] == 1


def test_maintenance_endpoint_takes_windows_only(worker: int) -> None:
    window = {"maintenance_id": "MW-1", "elements": ["S-B"], "start": now_iso(7200),
              "end": now_iso(10800), "text": "Modernisierung"}
    status, body = post(worker, "/api/v1/maintenance", window)
    assert status == 202 and body["accepted"] == 1
    status, body = post(worker, "/api/v1/maintenance", alarm())
    assert status == 400
