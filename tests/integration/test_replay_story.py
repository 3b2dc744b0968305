"""End to end: ``forewarn replay`` on the embedded broker sends exactly what CONTRACT §4 implies.

The story: a power failure (15 min), a 40-second cell flap, two outages of one cell joined by
a 100-second gap, and a fibre node outage; plus a malformed line and an alarm on an unknown
element that must be dead-lettered/counted without stopping anything. The expectation is
computed here independently: who is out comes from ``RegionIndex.impact`` of the single
faulty element, when they are told comes from the rules written out by hand.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from forewarn.geo import RegionIndex, load_region
from forewarn.templates import is_gsm7, septets

pytestmark = pytest.mark.integration

T0 = datetime(2026, 3, 14, 9, 0, tzinfo=UTC)


def at(seconds: float) -> str:
    return (T0 + timedelta(seconds=seconds)).isoformat()


def iso(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def alarm(alarm_id: str, element: str, state: str, seconds: float,
          severity: str = "critical") -> str:
    return json.dumps({"alarm_id": alarm_id, "element_id": element, "state": state,
                       "severity": severity, "event_time": at(seconds),
                       "probable_cause": "test"})


def _out(index: RegionIndex, element: str, service: str) -> set[str]:
    return set(index.impact([element])[service])


def _dependents(index: RegionIndex, element: str) -> set[int]:
    return set(np.asarray(index.dependents([element])).tolist())


def pick_story(index: RegionIndex) -> dict[str, str]:
    """A power element, two lone-cover cells and a fibre node whose customers do not overlap."""
    by_type: dict[str, list[str]] = {}
    for element in index.element_ids:
        by_type.setdefault(index.element_type(element), []).append(element)
    power = max(sorted(by_type["power"]), key=lambda e: len(_out(index, e, "mobile")))
    taken = _dependents(index, power)
    cells = []
    for cell in sorted(by_type["cell"]):
        deps = _dependents(index, cell)
        if _out(index, cell, "mobile") and not deps & taken:
            cells.append(cell)
            taken |= deps
        if len(cells) == 2:
            break
    nodes = [n for t in ("pon", "fibre_node") for n in sorted(by_type.get(t, []))
             if _out(index, n, "fibre") and power not in index.ancestors(n)]
    assert len(cells) == 2 and nodes, "synthetic region lacks story targets"
    return {"power": power, "flap": cells[0], "cell": cells[1], "node": nodes[0]}


@pytest.fixture(scope="module")
def story_region(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from forewarn.geo.commands import run_synth

    path = tmp_path_factory.mktemp("region") / "story"
    run_synth(path, 1500, 11)
    return path


def expected_records(index: RegionIndex, t: dict[str, str]) -> dict[tuple[str, str, str], dict]:
    """(customer, stage, decided_at) -> {services, episode} from the rules, by hand."""
    expected: dict[tuple[str, str, str], dict] = {}

    def episode(name: str, services_out: dict[str, set[str]], outage_at: float,
                resolved_at: float) -> None:
        customers = set().union(*services_out.values())
        for customer in customers:
            services = [s for s in ("mobile", "fibre") if customer in services_out.get(s, set())]
            for stage, when in (("outage", outage_at), ("resolved", resolved_at)):
                expected[(customer, stage, iso(when).isoformat())] = {
                    "services": services, "episode": name}

    episode("power", {s: _out(index, t["power"], s) for s in ("mobile", "fibre")}, 120, 900 + 300)
    # the flap (1000-1040) yields nothing
    episode("cell", {"mobile": _out(index, t["cell"], "mobile")}, 2000 + 120, 3000 + 300)
    episode("node", {"fibre": _out(index, t["node"], "fibre")}, 4000 + 120, 4500 + 300)
    return expected


def story_lines(t: dict[str, str]) -> list[str]:
    return [
        alarm("P1", t["power"], "raised", 0),
        "this is not json",
        alarm("F1", t["flap"], "raised", 1000, "major"),
        alarm("F1", t["flap"], "cleared", 1040, "major"),
        alarm("X1", "no-such-element", "raised", 1100),
        alarm("P1", t["power"], "cleared", 900),  # out of order in the file: replay sorts
        alarm("C1", t["cell"], "raised", 2000),
        alarm("C1", t["cell"], "cleared", 2600),
        alarm("C2", t["cell"], "raised", 2700),
        alarm("C2", t["cell"], "cleared", 3000),
        json.dumps({"alarm_id": "bad", "element_id": t["node"], "state": "raised"}),
        alarm("N1", t["node"], "raised", 4000),
        alarm("N1", t["node"], "cleared", 4500),
    ]


def test_replay_of_story_sends_exactly_the_contract_notifications(
    story_region: Path, tmp_path: Path, run_forewarn: object
) -> None:
    index = RegionIndex.build(load_region(story_region))
    targets = pick_story(index)
    alarms = tmp_path / "story.jsonl"
    alarms.write_text("\n".join(story_lines(targets)) + "\n")
    out = tmp_path / "notifications.jsonl"

    proc = run_forewarn("replay", str(story_region), str(alarms), "--out", str(out), check=True)

    assert "2 lines rejected" in proc.stderr
    records = [json.loads(line) for line in out.read_text().splitlines()]
    expected = expected_records(index, targets)
    reachable = {k: v for k, v in expected.items() if index.customer(k[0]).first_channel()}
    got = {(r["customer_id"], r["stage"], datetime.fromisoformat(r["decided_at"]).isoformat()): r
           for r in records}
    assert len(got) == len(records), "a notification was sent twice"
    assert set(got) == set(reachable)
    assert reachable, "the story must notify somebody"

    for key, record in got.items():
        customer = index.customer(record["customer_id"])
        channel, to = customer.first_channel()
        assert record["services"] == reachable[key]["services"]
        assert (record["channel"], record["to"]) == (channel, to)
        assert record["language"] == (customer.language or "de")
        if record["channel"] == "sms":
            assert is_gsm7(record["text"]) and septets(record["text"]) <= 160
        if record["channel"] == "email":
            assert record["subject"]
        assert record["text"].strip()
        assert record["notification_id"] and record["delivered_at"]

    by_episode: dict[tuple[str, str], set[str]] = {}
    for key, record in got.items():
        by_episode.setdefault((key[0], reachable[key]["episode"]), set()).add(record["incident_id"])
    assert all(len(ids) == 1 for ids in by_episode.values()), (
        "outage and resolved must share the incident")


def test_replay_twice_gives_identical_output(
    story_region: Path, tmp_path: Path, run_forewarn: object
) -> None:
    index = RegionIndex.build(load_region(story_region))
    alarms = tmp_path / "story.jsonl"
    alarms.write_text("\n".join(story_lines(pick_story(index))) + "\n")
    outputs = []
    for n in range(2):
        out = tmp_path / f"run{n}.jsonl"
        run_forewarn("replay", str(story_region), str(alarms), "--out", str(out), check=True)
        outputs.append([{k: v for k, v in json.loads(line).items() if k != "delivered_at"}
                        for line in out.read_text().splitlines()])
    assert outputs[0] == outputs[1]
    assert outputs[0]
