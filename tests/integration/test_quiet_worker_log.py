"""A worker's log, with stderr a pipe and no --verbose: routine lines are INFO, nothing is a
WARNING or worse during a normal outage story, and no terminal escape code appears.

The ten-minute live run (Faust's fetch-request check that complained about the network
feed's own topic fires only after ``stream_processing_timeout``, 300 s) is
``test_ten_minute_worker_log.py``, on a worker that runs in the background for the whole
session; ``tests/unit/kafka/test_quiet_logs.py`` tests the check itself."""

from __future__ import annotations

import json
import os
import re
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import pytest

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

TOKEN = "quiet-log-token-5e21"
LEVEL = re.compile(r"^\S+ \S+ (DEBUG|INFO|WARNING|ERROR|CRITICAL) ", re.MULTILINE)


def test_worker_log_of_an_outage_story_is_plain_text_with_no_warnings(
        embedded_broker: object, tmp_path: Path) -> None:
    out = tmp_path / "notifications.jsonl"
    config = worker_config(tmp_path, f"quiet{os.getpid()}", out,
                           '[correlation]\nconfirm_after_s = 2\nresolve_after_s = 3\n',
                           partitions=2)
    proc, port = start_worker(config, embedded_broker.url, region=SAMPLE,
                              env={"FOREWARN_API_TOKENS": TOKEN})
    try:
        wait_for(lambda: healthy(port), 120, "the worker")
        body = json.dumps({"alarm_id": "Q1", "element_id": "S0002", "state": "raised",
                           "severity": "critical",
                           "event_time": datetime.now(UTC).isoformat()}).encode()
        request = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/alarms", data=body,
                                         headers={"Authorization": f"Bearer {TOKEN}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 202
        wait_for(lambda: any(r["stage"] == "outage" for r in read_records(out)), 90,
                 "an outage notice")
    finally:
        log = stop_worker(proc)
    assert "\x1b" not in log, "no terminal escape codes in a log that is not a terminal"
    levels = LEVEL.findall(log)
    assert "INFO" in levels and "worker ready on" in log, log
    assert not {"WARNING", "ERROR", "CRITICAL"} & set(levels), log
