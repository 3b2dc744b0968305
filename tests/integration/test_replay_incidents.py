"""End to end: ``forewarn replay ... --incidents`` writes every incident's lifecycle with the
exact calls-saved counts (CONTRACT §8, issue 15 "done when").

The story, on the tiny region: site S-A fails for 15 minutes (its lone-cover customers are
out; the outage notice is decided at +120 s). Its customers get in touch before the notice,
after it (twice with one contact id: counted once), and once after service is back (not the
incident's); a customer outside the outage calls too (not the incident's). A 60-second
outage of cell C1 is never notified, so its caller counts as never told. The expected counts
are written out by hand from the rules.
"""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from forewarn.geo import RegionIndex, load_region
from tests.forewarn_testing import TINY, forewarn_exe, read_records

pytestmark = pytest.mark.integration

T0 = datetime(2026, 3, 14, 9, 0, tzinfo=UTC)


def at(seconds: float) -> str:
    return (T0 + timedelta(seconds=seconds)).isoformat()


def alarm(alarm_id: str, element: str, state: str, seconds: float) -> str:
    return json.dumps({"alarm_id": alarm_id, "element_id": element, "state": state,
                       "severity": "critical", "event_time": at(seconds),
                       "probable_cause": "test"})


def contact(contact_id: str, customer_id: str, seconds: float) -> str:
    return json.dumps({"type": "contact", "contact_id": contact_id, "customer_id": customer_id,
                       "channel": "call", "reason": "no_service", "event_time": at(seconds)})


def story(site_out: list[str]) -> list[str]:
    first, second = site_out[0], site_out[1]
    return [
        alarm("site", "S-A", "raised", 0),
        contact("k-before", first, 60),  # before its notice (+120 s): before notice
        contact("k-stranger", "c-diag", 70),  # not out at all: no incident's
        contact("k-after", first, 200),  # after its notice
        contact("k-after-2", second, 300),  # after its notice
        contact("k-after-2", second, 300),  # the same contact sent twice: counted once
        alarm("cell", "C1", "raised", 400),
        contact("k-never", "c-diag", 430),  # C1 back after 60 s: never notified
        alarm("cell", "C1", "cleared", 460),
        alarm("site", "S-A", "cleared", 900),
        contact("k-late", first, 950),  # service back: after the incident
    ]


def test_incidents_output_gives_the_exact_before_and_after_notice_counts(
        tmp_path: Path) -> None:
    index = RegionIndex.build(load_region(TINY))
    site_out = sorted(index.impact(["S-A"])["mobile"])
    assert "c-diag" not in site_out and len(site_out) >= 2
    alarms = tmp_path / "story.jsonl"
    alarms.write_text("\n".join(story(site_out)) + "\n")
    notifications, incidents = tmp_path / "notifs.jsonl", tmp_path / "incidents.jsonl"
    proc = subprocess.run([*forewarn_exe(), "replay", str(TINY), str(alarms), "--out",
                           str(notifications), "--incidents", str(incidents)],
                          check=False, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]

    events = read_records(incidents)
    assert events == sorted(events, key=lambda e: (e["at"], e["incident_id"], e["event"]))
    by_element = {(e["element_id"], e["event"]): e for e in events}
    site_opened = by_element[("S-A", "opened")]
    assert site_opened["at"] == at(0)
    assert site_opened["customers"] == {"mobile": len(site_out), "fibre": 0}
    site = by_element[("S-A", "resolved")]
    assert site["at"] == at(900) and site["incident_id"] == site_opened["incident_id"]
    assert (site["contacts_before_notice"], site["contacts_after_notice"],
            site["contacts_never_told"]) == (1, 2, 0)
    cell = by_element[("C1", "resolved")]
    assert (cell["at"], cell["contacts_before_notice"], cell["contacts_after_notice"],
            cell["contacts_never_told"]) == (at(460), 0, 0, 1)
    assert [e["event"] for e in events] == ["opened", "opened", "resolved", "resolved"]

    told = {(n["customer_id"], n["stage"]) for n in read_records(notifications)}
    assert (site_out[0], "outage") in told and (site_out[1], "outage") in told
    assert not any(c == "c-diag" for c, _ in told)


def test_a_suspected_incident_writes_its_lifecycle_and_counts_its_reporters(
        tmp_path: Path) -> None:
    """The silent PON story of ``test_replay_suspicion`` (six reports, the fifth tips it; the
    NOC confirms at +600 s, the notice follows at +720 s, the confirmation is cleared at
    +3700 s): the reports from the tipping one on count as contacts before notice."""
    from forewarn.streams.network.events import incident_id_for
    from tests.forewarn_testing import SAMPLE

    pon = "PON-0003"
    index = RegionIndex.build(load_region(SAMPLE))
    reporters = sorted(index.impact([pon])["fibre"])[:6]
    suspected_id = incident_id_for(pon, (T0 + timedelta(seconds=240)).timestamp())
    lines = [contact(f"k-{n}", c, n * 60) for n, c in enumerate(reporters)]
    lines += [json.dumps({"type": "incident_update", "element_id": pon, "confirm": True,
                          "event_time": at(600)}),
              json.dumps({"alarm_id": suspected_id, "element_id": pon, "state": "cleared",
                          "severity": "critical", "event_time": at(3700)})]
    story_file = tmp_path / "story.jsonl"
    story_file.write_text("\n".join(lines) + "\n")
    incidents = tmp_path / "incidents.jsonl"
    proc = subprocess.run([*forewarn_exe(), "replay", str(SAMPLE), str(story_file), "--out",
                           str(tmp_path / "out.jsonl"), "--incidents", str(incidents)],
                          check=False, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    events = [e for e in read_records(incidents) if e["incident_id"] == suspected_id]
    lifecycle = [(e["event"], e["at"]) for e in events if e["event"] != "updated"]
    assert lifecycle == [("suspected", at(240)), ("confirmed", at(600)), ("resolved", at(3700))]
    assert events[0]["element_id"] == pon and events[0]["reports"] == 5
    resolved = events[-1]
    assert (resolved["contacts_before_notice"], resolved["contacts_after_notice"],
            resolved["contacts_never_told"]) == (2, 0, 0)
