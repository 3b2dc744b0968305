"""End to end (issue 15, CONTRACT §8): ``forewarn replay`` of a silent PON failure on the sample
region. Six of the PON's customers report no service (no alarm); the NOC confirms the suspected
element; later a real alarm arrives on it; then the NOC clears both (the confirmation's alarm by
the suspected incident's id). Every customer of the PON is told exactly once that it is out,
under the suspected incident's id, and once that it is back; the later alarm adds nothing.

The expectation is computed here: the customers from ``RegionIndex.impact`` of the PON, the
incident id from the id rule for the suspected element at the report that tipped it (the
fifth distinct reporter: the threshold for a 36-customer PON at the default settings), the
times from CONTRACT §4 (confirmation + 120 s, last clear + 300 s)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from forewarn.geo import RegionIndex, load_region
from forewarn.streams.network.events import incident_id_for
from tests.forewarn_testing import SAMPLE

pytestmark = pytest.mark.integration

T0 = datetime(2026, 3, 18, 9, 0, tzinfo=UTC)
PON = "PON-0003"
CONFIRM_AT, ALARM_AT, ALARM_CLEAR_AT, CONFIRM_CLEAR_AT = 600, 1200, 3600, 3700


def at(seconds: float) -> str:
    return (T0 + timedelta(seconds=seconds)).isoformat()


def contact(n: int, customer_id: str, seconds: float, reason: str = "no_service") -> str:
    return json.dumps({"type": "contact", "contact_id": f"k-{n}", "customer_id": customer_id,
                       "channel": "app" if n % 2 else "ivr", "reason": reason,
                       "event_time": at(seconds)})


def alarm(alarm_id: str, state: str, seconds: float) -> str:
    return json.dumps({"alarm_id": alarm_id, "element_id": PON, "state": state,
                       "severity": "critical", "event_time": at(seconds),
                       "probable_cause": "los"})


def test_a_confirmed_silent_pon_failure_tells_its_customers_once_under_the_suspected_id(
        tmp_path: Path, run_forewarn: object) -> None:
    index = RegionIndex.build(load_region(SAMPLE))
    customers = sorted(index.impact([PON])["fibre"])
    reporters = customers[:6]
    suspected_id = incident_id_for(PON, (T0 + timedelta(seconds=4 * 60)).timestamp())
    lines = [contact(n, c, n * 60) for n, c in enumerate(reporters)]
    lines += [contact(50, "C0000001", 400, "other"),  # someone else, about something else
              json.dumps({"type": "incident_update", "element_id": PON, "confirm": True,
                          "event_time": at(CONFIRM_AT)}),
              alarm("olt-port-3", "raised", ALARM_AT),
              alarm("olt-port-3", "cleared", ALARM_CLEAR_AT),
              alarm(suspected_id, "cleared", CONFIRM_CLEAR_AT)]
    story = tmp_path / "story.jsonl"
    story.write_text("\n".join(lines) + "\n")
    out = tmp_path / "out.jsonl"

    run_forewarn("replay", str(SAMPLE), str(story), "--out", str(out), check=True)  # type: ignore[operator]

    records = [json.loads(line) for line in out.read_text().splitlines()]
    got = sorted((r["customer_id"], r["stage"], r["incident_id"],
                  datetime.fromisoformat(r["decided_at"])) for r in records)
    told = [c for c in customers if index.customer(c).first_channel()]
    assert len(told) >= 6
    want = sorted([(c, "outage", suspected_id, T0 + timedelta(seconds=CONFIRM_AT + 120))
                   for c in told]
                  + [(c, "resolved", suspected_id, T0 + timedelta(seconds=CONFIRM_CLEAR_AT + 300))
                     for c in told])
    assert got == want
    assert all(r["services"] == ["fibre"] for r in records)
