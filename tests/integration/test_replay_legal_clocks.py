"""End to end: ``forewarn replay`` sends the legal updates of a long outage on the legal days,
at ``notice_hour`` in each customer's own time, and nothing at midnight (CONTRACT §4).

The stories of issue 17: a PON fails on Monday 2026-03-02 at 10:00 Berlin time and is fixed
on Saturday at 11:00 (``country = "DE"``); and a PON fails on Friday 2026-05-22 at 15:00
London time and is fixed the next Friday (``country = "GB"``), with and without the Spring
bank holiday of Monday 2026-05-25 in ``holidays``. The expected instants are written out by
hand from the rules (confirm 120 s, resolve 300 s, notices at 09:00 local).
"""

from __future__ import annotations

import csv
import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from forewarn.geo import RegionIndex, load_region
from forewarn.templates import is_gsm7, septets

pytestmark = pytest.mark.integration

BERLIN, LONDON = ZoneInfo("Europe/Berlin"), ZoneInfo("Europe/London")


def local(zone: ZoneInfo, *fields: int) -> float:
    return datetime(*fields, tzinfo=zone).timestamp()  # type: ignore[misc]


def alarm(state: str, element: str, when: float) -> str:
    return json.dumps({"alarm_id": "PON-1", "element_id": element, "state": state,
                       "severity": "critical", "probable_cause": "los",
                       "event_time": datetime.fromtimestamp(when, tz=BERLIN).isoformat()})


def make_region(root: Path, zones: tuple[str, ...]) -> Path:
    """A synthetic region whose customers live in ``zones`` (row by row, in turn)."""
    from forewarn.geo.commands import run_synth

    run_synth(root, 900, 17)
    path = root / "customers.csv"
    with path.open(newline="", encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    for n, row in enumerate(rows):
        row["timezone"] = zones[n % len(zones)]
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return root


def pick_pon(index: RegionIndex) -> str:
    pons = [e for e in sorted(index.element_ids) if index.element_type(e) == "pon"]
    best = max(pons, key=lambda e: len(index.impact([e])["fibre"]))
    assert index.impact([best])["fibre"], "synthetic region has no PON with customers"
    return best


def replay(run_forewarn: object, region: Path, tmp_path: Path, config: str,
           lines: list[str]) -> list[dict]:
    alarms, out, conf = tmp_path / "alarms.jsonl", tmp_path / "out.jsonl", tmp_path / "f.toml"
    alarms.write_text("\n".join(lines) + "\n", encoding="utf-8")
    conf.write_text(config, encoding="utf-8")
    run_forewarn("replay", str(region), str(alarms), "--out", str(out),  # type: ignore[operator]
                 "--config", str(conf), check=True)
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]


def told(records: list[dict]) -> dict[str, list[tuple[str, float]]]:
    """customer -> [(stage, decided_at)] in decision order."""
    found: dict[str, list[tuple[str, float]]] = {}
    for r in sorted(records, key=lambda r: datetime.fromisoformat(r["decided_at"])):
        found.setdefault(r["customer_id"], []).append(
            (r["stage"], datetime.fromisoformat(r["decided_at"]).timestamp()))
    return found


def check_texts(records: list[dict]) -> None:
    for r in records:
        assert r["text"].strip()
        if r["channel"] == "sms":
            assert is_gsm7(r["text"]) and septets(r["text"]) <= 160, r["text"]


def test_de_monday_outage_gets_news_tuesday_and_compensation_thursday_at_nine_local(
    tmp_path: Path, run_forewarn: object
) -> None:
    region = make_region(tmp_path / "region", ("Europe/Berlin", "Europe/London"))
    index = RegionIndex.build(load_region(region))
    pon = pick_pon(index)
    fails = local(BERLIN, 2026, 3, 2, 10, 0)    # Monday
    fixed = local(BERLIN, 2026, 3, 7, 11, 0)    # Saturday
    records = replay(run_forewarn, region, tmp_path, '[legal]\ncountry = "DE"\n',
                     [alarm("raised", pon, fails), alarm("cleared", pon, fixed)])

    expected = {}
    for customer_id in index.impact([pon])["fibre"]:
        customer = index.customer(customer_id)
        if not customer.first_channel():
            continue
        zone = ZoneInfo(customer.timezone)
        expected[customer_id] = [
            ("outage", fails + 120),                     # Mon 10:02 Berlin
            ("update", local(zone, 2026, 3, 3, 9, 0)),   # Tue 09:00 local: what we do, when
            ("update", local(zone, 2026, 3, 5, 9, 0)),   # Thu 09:00 local: compensation
            ("resolved", fixed + 300),                   # Sat 11:05 Berlin
        ]
    assert {index.customer(c).timezone for c in expected} == {"Europe/Berlin", "Europe/London"}
    assert told(records) == expected
    check_texts(records)
    for r in records:
        zone = ZoneInfo(index.customer(r["customer_id"]).timezone)
        decided = datetime.fromisoformat(r["decided_at"]).astimezone(zone)
        if r["stage"] == "update":
            assert decided.hour == 9 and decided.minute == 0
            owed = decided.day == 5
            word = {"de": "Entschädigung", "en": "compensation"}[r["language"]]
            assert (word in r["text"]) is owed, r["text"]


@pytest.mark.parametrize(
    ("holidays", "notice_day"),
    [("[]", 27),              # Fri fault: Mon 25 and Tue 26 are the two days -> Wed 27
     ("[2026-05-25]", 28)],   # Spring bank holiday: Tue 26 and Wed 27 -> Thu 28
)
def test_gb_friday_outage_gets_compensation_notice_after_two_full_working_days(
    tmp_path: Path, run_forewarn: object, holidays: str, notice_day: int
) -> None:
    region = make_region(tmp_path / "region", ("Europe/London",))
    index = RegionIndex.build(load_region(region))
    pon = pick_pon(index)
    fails = local(LONDON, 2026, 5, 22, 15, 0)   # Friday
    fixed = local(LONDON, 2026, 5, 29, 11, 0)   # the next Friday
    config = f'[legal]\ncountry = "GB"\nholidays = {holidays}\n'
    records = replay(run_forewarn, region, tmp_path, config,
                     [alarm("raised", pon, fails), alarm("cleared", pon, fixed)])

    expected = {
        customer_id: [("outage", fails + 120),
                      ("update", local(LONDON, 2026, 5, notice_day, 9, 0)),
                      ("resolved", fixed + 300)]
        for customer_id in index.impact([pon])["fibre"]
        if index.customer(customer_id).first_channel()
    }
    assert expected
    assert told(records) == expected
    check_texts(records)
