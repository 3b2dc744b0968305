"""Contact lines in a replay file (issue 15 item 1): read like alarms, in the same file and
the same event-time order, so a replay with contacts runs, exits 0 and is deterministic; a
bad contact line is dead-lettered naming its field and the replay goes on.

With the default ``[legal] clock_start = "outage"`` contacts must not change a single
notification (they reach the customer stage, where only ``clock_start = "report"`` uses
them: test_replay_report_clock): the replay with contacts interleaved writes exactly what
the same alarms alone write."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.forewarn_testing import TINY, read_records

pytestmark = pytest.mark.integration

T0 = datetime(2026, 5, 4, 8, 0, tzinfo=UTC)


def iso(seconds: float) -> str:
    return (T0 + timedelta(seconds=seconds)).isoformat()


def alarm(state: str, seconds: float) -> str:
    return json.dumps({"alarm_id": "R-1", "element_id": "S-A", "state": state,
                       "severity": "critical", "event_time": iso(seconds)})


def contact(contact_id: str, seconds: float, **fields: Any) -> str:
    body = {"type": "contact", "contact_id": contact_id, "customer_id": "007",
            "channel": "call", "reason": "no_service", "event_time": iso(seconds), **fields}
    return json.dumps({k: v for k, v in body.items() if v is not None})


ALARMS = [alarm("raised", 0), alarm("cleared", 600)]
WITH_CONTACTS = [
    contact("k-late", 1000, channel="app"),  # out of order: sorted in by event time
    ALARMS[0],
    contact("k-1", 30),
    contact("k-2", 200, customer_id=None, phone="+49 151 12345678", channel="ivr"),
    contact("k-bad", 250, reason="broken"),
    ALARMS[1],
    contact("k-3", 700, reason="degraded", lon=13.405, lat=52.51),
]


def replay(tmp_path: Path, name: str, lines: list[str], run_forewarn: Any,
           broker_url: str) -> tuple[list[dict[str, Any]], str]:
    log = tmp_path / f"{name}.jsonl"
    log.write_text("\n".join(lines) + "\n")
    out = tmp_path / f"{name}.out.jsonl"
    proc = run_forewarn("replay", str(TINY), str(log), "--out", str(out),
                        env={"FOREWARN_BROKER": broker_url})
    assert proc.returncode == 0, proc.stderr[-3000:]
    records = [{k: v for k, v in r.items() if k != "delivered_at"} for r in read_records(out)]
    return records, proc.stderr


def test_replay_with_contact_lines_exits_0_and_writes_what_the_alarms_alone_write(
    tmp_path: Path, run_forewarn: Any, embedded_broker: Any
) -> None:
    alone, _ = replay(tmp_path, "alarms", ALARMS, run_forewarn, embedded_broker.url)
    mixed, stderr = replay(tmp_path, "mixed", WITH_CONTACTS, run_forewarn, embedded_broker.url)

    assert {r["stage"] for r in alone} == {"outage", "resolved"}  # the story did happen
    assert mixed == alone
    assert f"replayed {len(WITH_CONTACTS)} lines" in stderr
    assert "1 lines rejected" in stderr
    # the dead letter's reason, as logged: the field and what is allowed
    assert "reason: unknown value 'broken' (allowed: no_service, degraded, other)" in stderr
    assert "12345678" not in stderr, "phone numbers must never be logged"
