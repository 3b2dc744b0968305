"""Hostile input against a live worker's HTTP API (issue 16, item 7).

* schemathesis in *negative* mode over every documented operation: invalid path parameters,
  queries and bodies are answered with 4xx, never a server error;
* hypothesis posts fuzzed alarms (every format, parts replaced by arbitrary JSON) to
  ``POST /api/v1/alarms``: no server error, and a 400 names a field for each rejection;
* the limits and TMF642 ``id`` rule of the parsers hold over HTTP as well.

Bounded for CI: a few dozen requests per operation, no deadlines (the machine is shared).
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode

from forewarn.streams.input.formats.limits import MAX_ID_LENGTH
from tests.forewarn_testing import (
    SAMPLE,
    healthy,
    start_worker,
    stop_worker,
    wait_for,
    worker_config,
)
from tests.fuzz_payloads import TMF642, mutated_payloads

pytestmark = pytest.mark.integration

TOKEN = "fuzz-token-51d0"


def post(port: int, path: str, body: bytes) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=body, method="POST",
                                     headers={"Authorization": f"Bearer {TOKEN}",
                                              "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.fixture(scope="module")
def port(embedded_broker: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    tmp = tmp_path_factory.mktemp("fuzz")
    config = worker_config(tmp, f"fuzz{os.getpid()}", tmp / "notifications.jsonl",
                           partitions=2)
    proc, web_port = start_worker(config, embedded_broker.url, region=SAMPLE,
                                  env={"FOREWARN_API_TOKENS": TOKEN})
    try:
        wait_for(lambda: healthy(web_port), 90, "the worker")
        # Writes answer 503 until the worker has joined its group: wait for a real answer.
        wait_for(lambda: post(web_port, "/api/v1/alarms", b"{}")[0] == 400, 90,
                 "the ingest endpoint")
        yield web_port
    finally:
        stop_worker(proc)


def test_negative_cases_of_every_operation_get_no_server_error(port: int) -> None:
    schema = schemathesis.openapi.from_url(f"http://127.0.0.1:{port}/api/v1/openapi.json")
    failures: list[str] = []
    calls: list[int] = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy(generation_mode=GenerationMode.NEGATIVE))
        @settings(max_examples=15, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        def exercise(case: schemathesis.Case) -> None:
            response = case.call_and_validate(headers={"Authorization": f"Bearer {TOKEN}"},
                                              timeout=30, checks=[not_a_server_error])
            calls.append(response.status_code)

        try:
            exercise()
        except Unsatisfiable:
            continue  # nothing of this operation can be made invalid (no parameters, any body)
        except Exception as exc:
            failures.append(f"{operation.label}: {str(exc)[:1500]}")
    assert not failures, "\n\n".join(failures)
    assert calls, "schemathesis made requests"
    assert all(code < 500 for code in calls)


@settings(max_examples=60, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
@given(payload=mutated_payloads())
def test_fuzzed_alarms_are_answered_and_every_rejection_names_a_field(
    port: int, payload: Any
) -> None:
    try:
        body = json.dumps(payload).encode()
    except ValueError:  # an integer json.dumps will not write; the parsers' own tests cover it
        return
    status, answer = post(port, "/api/v1/alarms", body)
    assert status in (202, 400), (status, answer)
    if status == 400:
        assert answer["errors"] and all(error["field"] for error in answer["errors"])


def test_an_id_past_the_limit_is_refused_naming_field_and_limit(port: int) -> None:
    alarm = {"alarm_id": "a" * (MAX_ID_LENGTH + 1), "element_id": "S0002", "state": "raised",
             "severity": "warning", "event_time": "2024-05-01T10:00:00Z"}
    status, answer = post(port, "/api/v1/alarms", json.dumps(alarm).encode())
    assert status == 400
    [error] = answer["errors"]
    assert error["field"] == "alarm_id" and str(MAX_ID_LENGTH) in error["problem"]


def test_a_tmf642_alarm_without_id_is_accepted_over_http(port: int) -> None:
    alarm = {k: v for k, v in TMF642.items() if k != "id"} | {
        "alarmedObject": {"id": "S0002"}, "perceivedSeverity": "warning"}
    status, answer = post(port, "/api/v1/alarms", json.dumps(alarm).encode())
    assert status == 202, answer


def test_a_400_names_every_offending_field(port: int) -> None:
    alarm = {"alarm_id": "a-1", "state": "up", "severity": "warning",
             "event_time": "2024-05-01T10:00:00Z"}
    status, answer = post(port, "/api/v1/alarms", json.dumps(alarm).encode())
    assert status == 400
    assert "element_id" in answer["error"] and "state" in answer["error"]
