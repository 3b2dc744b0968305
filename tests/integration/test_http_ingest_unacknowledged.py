"""A broker that does not acknowledge: HTTP ingest answers 503 with Retry-After and
``accepted: 0`` within ``api.ack_timeout_s`` instead of a 202 for records that may be lost
(issue 16, finding 1; contacts too, issue 15), and accepts again once the broker answers.

The broker is a private embedded one (its own process), frozen with SIGSTOP: its connections
stay open and nothing is acknowledged, as with a hung or partitioned broker."""

from __future__ import annotations

import json
import os
import signal
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from forewarn.streams.kafka.embedded_broker import EmbeddedBroker
from tests.forewarn_testing import healthy, start_worker, stop_worker, wait_for, worker_config

pytestmark = pytest.mark.integration

TOKEN = "unacked-token-2b7c"
ACK_TIMEOUT_S = 2


def post(port: int, alarm_id: str,
         path: str = "/api/v1/alarms") -> tuple[int, dict, dict[str, str]]:
    body = {"alarm_id": alarm_id, "element_id": "S-B", "state": "raised", "severity": "warning",
            "event_time": datetime.now(UTC).isoformat()}
    if path == "/api/v1/contacts":  # a customer contact (issue 15) goes to contacts.raw
        body = {"contact_id": alarm_id, "customer_id": "007", "channel": "call",
                "reason": "no_service", "event_time": body["event_time"]}
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}", data=json.dumps(body).encode(), method="POST",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read()), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read()), dict(error.headers)


@pytest.fixture
def broker() -> Iterator[EmbeddedBroker]:
    broker = EmbeddedBroker()
    broker.start()
    try:
        yield broker
    finally:
        if broker._proc is not None:
            os.kill(broker._proc.pid, signal.SIGCONT)
        broker.stop()


def test_unacknowledged_records_answer_503_with_retry_after(broker: EmbeddedBroker,
                                                            tmp_path: Path) -> None:
    config = worker_config(tmp_path, f"unacked{os.getpid()}", tmp_path / "n.jsonl",
                           f"[api]\nack_timeout_s = {ACK_TIMEOUT_S}\n")
    proc, port = start_worker(config, f"kafka://{broker.bootstrap}",
                              env={"FOREWARN_API_TOKENS": TOKEN}, log=tmp_path / "worker.log")
    assert broker._proc is not None
    try:
        wait_for(lambda: healthy(port), 120, "the worker")
        status, _, _ = post(port, "BEFORE")
        assert status == 202

        os.kill(broker._proc.pid, signal.SIGSTOP)
        try:
            started = time.monotonic()
            status, answer, headers = post(port, "FROZEN")
            waited = time.monotonic() - started
            contact = post(port, "FROZEN-CONTACT", "/api/v1/contacts")
        finally:
            os.kill(broker._proc.pid, signal.SIGCONT)
        assert status == 503 and answer["accepted"] == 0, answer
        assert "acknowledge" in answer["error"] and headers.get("Retry-After")
        assert waited >= ACK_TIMEOUT_S  # it waited for the acknowledgement, then gave up
        assert contact[0] == 503 and contact[1]["accepted"] == 0 and contact[2].get("Retry-After")
        assert "acknowledge" in contact[1]["error"]  # contacts.raw did not acknowledge

        def accepted_again() -> bool:
            return post(port, "AFTER")[0] == 202

        wait_for(accepted_again, 60, "a 202 once the broker answers again")
    finally:
        stop_worker(proc)
