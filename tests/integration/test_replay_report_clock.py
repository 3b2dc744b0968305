"""End to end: with ``[legal] clock_start = "report"`` the legal notices of a long outage count
from the day each customer reported it, and a customer who never reported gets none.

The story (tiny region, Berlin time): PON-2 serves f-explicit, f-geo and f-overlap. It fails on
Monday 2026-03-02 at 10:00 and is fixed on Saturday 2026-03-07 at 11:00. f-explicit called at
09:30 on Monday, before the alarm (within the default hour of lead): D is Monday, news on
Tuesday, compensation from Thursday. f-geo reported in the app on Tuesday at 11:00, after its
outage notice: D is Tuesday, news on Wednesday, compensation from Friday. f-overlap only
asked a question (reason ``other``, no report): outage and resolved notices, no legal notice.
The contacts travel from the replay file through the network stage to each customer's
partition as ``contact`` messages on ``impacts``.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.forewarn_testing import TINY, read_records

pytestmark = pytest.mark.integration

BERLIN = ZoneInfo("Europe/Berlin")
CONFIG = '[legal]\ncountry = "DE"\nclock_start = "report"\n'


def berlin(day: int, hour: int, minute: int = 0) -> float:
    return datetime(2026, 3, day, hour, minute, tzinfo=BERLIN).timestamp()


def iso(when: float) -> str:
    return datetime.fromtimestamp(when, tz=BERLIN).isoformat()


def alarm(state: str, when: float) -> str:
    return json.dumps({"alarm_id": "PON-2-los", "element_id": "PON-2", "state": state,
                       "severity": "critical", "probable_cause": "los", "event_time": iso(when)})


def contact(contact_id: str, customer_id: str, when: float, channel: str,
            reason: str = "no_service") -> str:
    return json.dumps({"type": "contact", "contact_id": contact_id, "customer_id": customer_id,
                       "channel": channel, "reason": reason, "event_time": iso(when)})


LINES = [
    contact("k-1", "f-explicit", berlin(2, 9, 30), "call"),
    alarm("raised", berlin(2, 10)),
    contact("k-2", "f-geo", berlin(3, 11), "app"),
    contact("k-3", "f-overlap", berlin(3, 12), "chat", reason="other"),
    alarm("cleared", berlin(7, 11)),
]


NOTIFIED, RESOLVED = ("outage", berlin(2, 10, 2)), ("resolved", berlin(7, 11, 5))


def replay(tmp_path: Path, run_forewarn: Any, broker_url: str,
           config_text: str) -> dict[str, list[tuple[str, float]]]:
    """customer -> [(stage, decided_at)] of the story replayed with ``config_text``."""
    log, out, config = tmp_path / "story.jsonl", tmp_path / "out.jsonl", tmp_path / "f.toml"
    log.write_text("\n".join(LINES) + "\n", encoding="utf-8")
    config.write_text(config_text, encoding="utf-8")
    proc = run_forewarn("replay", str(TINY), str(log), "--out", str(out), "--config",
                        str(config), env={"FOREWARN_BROKER": broker_url})
    assert proc.returncode == 0, proc.stderr[-3000:]
    told: dict[str, list[tuple[str, float]]] = {}
    for r in sorted(read_records(out), key=lambda r: (r["decided_at"], r["customer_id"])):
        told.setdefault(r["customer_id"], []).append(
            (r["stage"], datetime.fromisoformat(r["decided_at"]).timestamp()))
    return told


def test_legal_notices_count_from_each_customers_report_and_skip_who_never_reported(
    tmp_path: Path, run_forewarn: Any, embedded_broker: Any
) -> None:
    told = replay(tmp_path, run_forewarn, embedded_broker.url, CONFIG)
    notified, resolved = NOTIFIED, RESOLVED
    assert told == {
        "f-explicit": [notified, ("update", berlin(3, 9)), ("update", berlin(5, 9)), resolved],
        "f-geo": [notified, ("update", berlin(4, 9)), ("update", berlin(6, 9)), resolved],
        "f-overlap": [notified, resolved],
    }


def test_with_the_default_clock_start_every_customer_counts_from_the_outage(
    tmp_path: Path, run_forewarn: Any, embedded_broker: Any
) -> None:
    told = replay(tmp_path, run_forewarn, embedded_broker.url, '[legal]\ncountry = "DE"\n')
    legal = [("update", berlin(3, 9)), ("update", berlin(5, 9))]
    assert told == {c: [NOTIFIED, *legal, RESOLVED] for c in ("f-explicit", "f-geo", "f-overlap")}
