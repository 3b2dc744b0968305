"""A NOC story in every format, replayed end to end: exactly the notices CONTRACT §4 implies.

Built from the real samples in ``../shared/data/alarms`` (element ids, times and severities
replaced, everything else as the ecosystems send it):

* TMF642 ``AlarmCreateEvent`` / ``AlarmClearedEvent``: a power failure (t=0..900) with a
  VES symptom on one of its cells two seconds later (one incident for everyone);
* an Alertmanager webhook: a 40-second cell flap (nothing sent);
* native alarms on a fibre node (2000..2500) and a NOC incident update at 2200 naming the
  node, with an ETA (an ``update`` to every notified customer of that incident);
* a maintenance window on a site, announced at t=100, three days ahead, two hours long, with
  a VES alarm on that site inside it (``planned`` two days before, ``completed`` at its
  end, no ``outage``);
* garbage: a line that is not JSON, a TMF642 acknowledgement, an alarm on an unknown element.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from forewarn.geo import RegionIndex, load_region
from forewarn.templates import is_gsm7, septets

pytestmark = pytest.mark.integration

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "alarms"
T0 = datetime(2026, 3, 16, 9, 0, tzinfo=UTC)
DAY = 86400
WINDOW_START = 3 * DAY
WINDOW_END = 3 * DAY + 7200


def iso(seconds: float) -> str:
    return (T0 + timedelta(seconds=seconds)).isoformat().replace("+00:00", "Z")


def sample(relative: str) -> dict:
    path = SHARED / relative
    if not path.is_file():
        pytest.skip(f"shared sample {relative} not available")
    return json.loads(path.read_text())


def tmf642(event_type: str, alarm_id: str, element: str, seconds: float) -> str:
    alarm = copy.deepcopy(sample("tmf642/Alarm.example.json"))
    for key in ("ackState", "ackTime", "ackUserId", "ackSystemId", "alarmClearedTime"):
        alarm.pop(key, None)
    alarm.update(id=alarm_id, alarmedObject={"id": element}, perceivedSeverity="critical",
                 state="raised", alarmRaisedTime=iso(seconds), alarmChangedTime=iso(seconds),
                 probableCause="powerProblem")
    if event_type == "AlarmClearedEvent":
        alarm.update(state="cleared", alarmClearedTime=iso(seconds))
    return json.dumps({"eventId": f"{alarm_id}-{event_type}", "eventTime": iso(seconds),
                       "eventType": event_type, "event": {"alarm": alarm}})


def ves(element: str, severity: str, seconds: float, condition: str = "linkDown") -> str:
    event = copy.deepcopy(sample("onap_ves/ves7_valid_30_1_1_event.json"))
    header, fault = event["event"]["commonEventHeader"], event["event"]["faultFields"]
    micros = int((T0 + timedelta(seconds=seconds)).timestamp() * 1_000_000)
    header.update(sourceName=element, startEpochMicrosec=micros, lastEpochMicrosec=micros,
                  eventId=f"ves-{element}-{seconds}")
    fault.update(eventSeverity=severity, alarmCondition=condition)
    return json.dumps(event)


def alertmanager(element: str, status: str, seconds: float) -> str:
    hook = copy.deepcopy(sample("alertmanager/alerts2_webhook.json"))
    alert = hook["alerts"][0]
    alert["labels"] = {**alert["labels"], "element_id": element, "severity": "major"}
    alert["status"] = status
    alert["startsAt"] = iso(1000)
    alert["endsAt"] = iso(seconds) if status == "resolved" else "0001-01-01T00:00:00Z"
    alert.pop("fingerprint", None)
    return json.dumps({**hook, "status": status, "alerts": [alert]})


def native(alarm_id: str, element: str, state: str, seconds: float) -> str:
    return json.dumps({"alarm_id": alarm_id, "element_id": element, "state": state,
                       "severity": "critical", "event_time": iso(seconds)})


def _out(index: RegionIndex, element: str) -> dict[str, set[str]]:
    return {s: set(ids) for s, ids in index.impact([element]).items()}


def pick(index: RegionIndex) -> dict[str, str]:
    """Story targets; their faults never overlap in time, so their customers may overlap."""
    by_type: dict[str, list[str]] = {}
    for element in index.element_ids:
        by_type.setdefault(index.element_type(element), []).append(element)
    power = max(sorted(by_type["power"]), key=lambda e: len(_out(index, e)["mobile"]))
    symptom = next(c for c in sorted(by_type["cell"]) if power in index.ancestors(c))
    flap = next(c for c in sorted(by_type["cell"])
                if _out(index, c)["mobile"] and power not in index.ancestors(c))
    site = next(s for s in sorted(by_type["site"]) if _out(index, s)["mobile"])
    node = next(n for n in sorted(by_type.get("pon", [])) if _out(index, n)["fibre"])
    return {"power": power, "symptom": symptom, "flap": flap, "site": site, "node": node}


def story(t: dict[str, str]) -> list[str]:
    window = {"type": "maintenance", "maintenance_id": "MW-7", "elements": [t["site"]],
              "start": iso(WINDOW_START), "end": iso(WINDOW_END), "event_time": iso(100),
              "text": "Modernisierung der Antennen"}
    update = {"type": "incident_update", "element_id": t["node"], "eta": iso(4000),
              "message": "Ein Techniker ist vor Ort.", "event_time": iso(2200)}
    ack = sample("tmf642/AckAlarms.example.json")
    return [
        tmf642("AlarmCreateEvent", "T-1", t["power"], 0),
        ves(t["symptom"], "MAJOR", 2),
        "<not json>",
        json.dumps(window),
        json.dumps(ack),
        tmf642("AlarmClearedEvent", "T-1", t["power"], 900),
        ves(t["symptom"], "NORMAL", 901),
        alertmanager(t["flap"], "firing", 1000),
        alertmanager(t["flap"], "resolved", 1040),
        native("X-1", "no-such-element", "raised", 1100),
        native("N-1", t["node"], "raised", 2000),
        json.dumps(update),
        native("N-1", t["node"], "cleared", 2500),
        ves(t["site"], "CRITICAL", WINDOW_START + 600),
        ves(t["site"], "NORMAL", WINDOW_START + 1800),
    ]


def expected(index: RegionIndex, t: dict[str, str]) -> dict[tuple[str, str, str], list[str]]:
    """(customer, stage, decided_at) -> services, written out from CONTRACT §4 by hand."""
    result: dict[tuple[str, str, str], list[str]] = {}

    def add(out: dict[str, set[str]], stages: list[tuple[str, float]]) -> None:
        for customer in set().union(*out.values()):
            services = [s for s in ("mobile", "fibre") if customer in out.get(s, set())]
            for stage, when in stages:
                result[(customer, stage, iso(when).replace("Z", "+00:00"))] = services

    power = _out(index, t["power"])
    add(power, [("outage", 120)])
    # the symptom cell clears a second after the power: its lone customers are back at 901
    late = _out(index, t["symptom"])["mobile"]
    add({s: ids - late for s, ids in power.items()}, [("resolved", 1200)])
    add({"mobile": power["mobile"] & late}, [("resolved", 1201)])
    add({"fibre": _out(index, t["node"])["fibre"]},
        [("outage", 2120), ("update", 2200), ("resolved", 2800)])
    add(_out(index, t["site"]), [("planned", WINDOW_START - 2 * DAY), ("completed", WINDOW_END)])
    return result


@pytest.fixture(scope="module")
def region(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from forewarn.geo.commands import run_synth

    path = tmp_path_factory.mktemp("mixed") / "region"
    run_synth(path, 1500, 23)
    return path


def test_mixed_format_story_yields_exactly_the_contract_notices(
    region: Path, tmp_path: Path, run_forewarn: object
) -> None:
    index = RegionIndex.build(load_region(region))
    targets = pick(index)
    alarms = tmp_path / "story.jsonl"
    alarms.write_text("\n".join(story(targets)) + "\n")
    out = tmp_path / "out.jsonl"

    proc = run_forewarn("replay", str(region), str(alarms), "--out", str(out), check=True)

    assert "2 lines rejected" in proc.stderr or "rejected" in proc.stderr
    records = [json.loads(line) for line in out.read_text().splitlines()]
    got = {(r["customer_id"], r["stage"], datetime.fromisoformat(r["decided_at"]).isoformat()): r
           for r in records}
    assert len(got) == len(records), "a notification was sent twice"
    want = {k: v for k, v in expected(index, targets).items()
            if index.customer(k[0]).first_channel()}
    assert set(got) == set(want)
    for key, record in got.items():
        assert record["services"] == want[key]
        if record["channel"] == "sms":
            assert is_gsm7(record["text"]) and septets(record["text"]) <= 160

    power_customers = set().union(*_out(index, targets["power"]).values())
    power_times = {iso(x).replace("Z", "+00:00") for x in (120, 1200, 1201)}
    power_incidents = {r["incident_id"] for r in records if r["customer_id"] in power_customers
                       and datetime.fromisoformat(r["decided_at"]).isoformat() in power_times}
    assert len(power_incidents) == 1, "everyone hurt by one power failure shares one incident"
    updates = [r for r in records if r["stage"] == "update"]
    assert updates and all("Techniker" in r["text"] or "technician" in r["text"].lower()
                           or r["channel"] == "sms" for r in updates)
