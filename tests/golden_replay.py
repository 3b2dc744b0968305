"""Golden replay cases: inputs, the one normalisation, and fixture I/O (issue 12's safety net).

Why: issue 12 restructures the pipeline's internals and must leave ``forewarn replay``
output byte-identical. These cases pin today's output: the three replay stories of the
integration tests (their own input builders, imported, not copied) and ``forewarn synth``
regions with seeded random alarm mixes (``alarm_mix``: a pure function of its seed).
``tests/integration/test_replay_golden.py`` compares against the fixtures;
``tests/fixtures/golden/regenerate.py`` rewrites them. Imported by name (keep it unique).

Normalisation: only ``delivered_at`` is replaced. Replay's dry-run delivery stamps it with
the wall clock (``replay._dry_run``), so it differs on every run by definition; every other
byte of ``--out`` is compared as written. The summary line on stderr is pinned with the
``--out`` path (a temporary directory) replaced.
"""

from __future__ import annotations

import gzip
import json
import os
import random
import re
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

TESTS = Path(__file__).resolve().parent
FIXTURES = TESTS / "fixtures" / "golden"

WALL_CLOCK = '"delivered_at": "<wall clock>"'
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_DELIVERED_AT = re.compile(r'"delivered_at": "[^"]*"')
MIX_T0 = datetime(2026, 4, 20, 6, 0, tzinfo=UTC)  # a Monday morning


@dataclass(frozen=True)
class Prepared:
    """What one replay needs: a region folder, the alarm log lines and the config TOML."""

    region: Path
    lines: list[str]
    config: str = ""


@dataclass(frozen=True)
class GoldenCase:
    """``fixture``: the expected output's name; cases that must agree share one (1 and 4
    partitions give the same output: the partition count is not behaviour)."""

    name: str
    prepare: Callable[[Path], Prepared]
    fixture: str = ""

    @property
    def expected(self) -> str:
        return self.fixture or self.name


def normalise(out_text: str) -> str:
    """``--out`` with every wall-clock ``delivered_at`` replaced by one placeholder."""
    return _DELIVERED_AT.sub(WALL_CLOCK, out_text)


def summary_line(stderr: str, out: Path) -> str:
    """The replay's one-line summary from stderr, with the ``--out`` path made constant."""
    plain = _ANSI.sub("", stderr)  # rich may leave a cursor escape before it
    lines = [line[line.index("replayed "):] for line in plain.splitlines()
             if "replayed " in line and " notifications written to " in line]
    if len(lines) != 1:
        raise AssertionError(f"no single summary line on stderr:\n{stderr[-3000:]!r}")
    return lines[0].replace(str(out), "OUT") + "\n"


# ---- the stories of the replay integration tests (their builders, imported) ------------

def _synth(path: Path, customers: int, seed: int) -> Path:
    from forewarn.geo.commands import run_synth

    run_synth(path, customers, seed)
    return path


def _index(region: Path) -> object:
    from forewarn.geo import RegionIndex, load_region

    return RegionIndex.build(load_region(region))


def story(work: Path) -> Prepared:
    """test_replay_story: power, a flap, two joined cell outages, a fibre node, garbage."""
    from tests.integration.test_replay_story import pick_story, story_lines

    region = _synth(work / "region", 1500, 11)  # as its ``story_region`` fixture
    return Prepared(region, story_lines(pick_story(_index(region))))


def mixed_formats(work: Path) -> Prepared:
    """test_replay_mixed_formats: the NOC story in TMF642, VES, Alertmanager and native."""
    from tests.integration.test_replay_mixed_formats import pick
    from tests.integration.test_replay_mixed_formats import story as mixed_story

    region = _synth(work / "region", 1500, 23)  # as its ``region`` fixture
    return Prepared(region, mixed_story(pick(_index(region))))


def _legal(work: Path, zones: tuple[str, ...], config: str, zone_name: str,
           fails: tuple[int, ...], fixed: tuple[int, ...]) -> Prepared:
    from zoneinfo import ZoneInfo

    from tests.integration.test_replay_legal_clocks import alarm, local, make_region, pick_pon

    region = make_region(work / "region", zones)
    pon = pick_pon(_index(region))
    zone = ZoneInfo(zone_name)
    return Prepared(region, [alarm("raised", pon, local(zone, *fails)),
                             alarm("cleared", pon, local(zone, *fixed))], config)


def legal_de(work: Path) -> Prepared:
    """test_replay_legal_clocks, DE: Monday fault, fixed Saturday, customers in two zones."""
    return _legal(work, ("Europe/Berlin", "Europe/London"), '[legal]\ncountry = "DE"\n',
                  "Europe/Berlin", (2026, 3, 2, 10, 0), (2026, 3, 7, 11, 0))


def legal_gb_holiday(work: Path) -> Prepared:
    """test_replay_legal_clocks, GB with the Spring bank holiday."""
    return _legal(work, ("Europe/London",),
                  '[legal]\ncountry = "GB"\nholidays = [2026-05-25]\n',
                  "Europe/London", (2026, 5, 22, 15, 0), (2026, 5, 29, 11, 0))


# ---- synth regions with seeded random alarm mixes ----------------------------------------

def _iso(seconds: float, z: bool = False) -> str:
    text = (MIX_T0 + timedelta(seconds=seconds)).isoformat()
    return text.replace("+00:00", "Z") if z else text


def _native(alarm_id: str, element: str, raised: bool, t: float, severity: str) -> dict:
    return {"alarm_id": alarm_id, "element_id": element,
            "state": "raised" if raised else "cleared", "severity": severity,
            "event_time": _iso(t), "probable_cause": "lossOfSignal"}


def _tmf642(alarm_id: str, element: str, raised: bool, t: float, severity: str) -> dict:
    alarm = {"id": alarm_id, "alarmedObject": {"id": element}, "perceivedSeverity": severity,
             "state": "raised" if raised else "cleared", "alarmType": "equipmentAlarm",
             "probableCause": "powerProblem", "alarmRaisedTime": _iso(t, True),
             "alarmChangedTime": _iso(t, True)}
    if not raised:
        alarm["alarmClearedTime"] = _iso(t, True)
    kind = "AlarmCreateEvent" if raised else "AlarmClearedEvent"
    return {"eventId": f"{alarm_id}-{kind}", "eventTime": _iso(t, True), "eventType": kind,
            "event": {"alarm": alarm}}


def _ves(alarm_id: str, element: str, raised: bool, t: float, severity: str) -> dict:
    micros = int((MIX_T0 + timedelta(seconds=t)).timestamp() * 1_000_000)
    return {"event": {
        "commonEventHeader": {"domain": "fault", "eventId": f"{alarm_id}-{int(t)}",
                              "eventName": "Fault_golden_linkDown", "sourceName": element,
                              "startEpochMicrosec": micros, "lastEpochMicrosec": micros,
                              "priority": "High", "reportingEntityName": "golden",
                              "sequence": 0, "version": "4.1",
                              "vesEventListenerVersion": "7.2.1"},
        "faultFields": {"faultFieldsVersion": "4.0", "alarmCondition": f"linkDown-{alarm_id}",
                        "eventSeverity": severity.upper() if raised else "NORMAL",
                        "eventSourceType": "other", "specificProblem": "link down",
                        "vfStatus": "Active"}}}


def _alertmanager(alarm_id: str, element: str, raised: bool, t: float, severity: str,
                  started: float) -> dict:
    alert = {"status": "firing" if raised else "resolved",
             "labels": {"alertname": f"Down-{alarm_id}", "element_id": element,
                        "severity": severity},
             "annotations": {"summary": "element down"},
             "startsAt": _iso(started, True),
             "endsAt": "0001-01-01T00:00:00Z" if raised else _iso(t, True)}
    return {"version": "4", "groupKey": "{}:{}", "status": alert["status"], "receiver": "noc",
            "groupLabels": {}, "commonLabels": {}, "commonAnnotations": {},
            "externalURL": "http://alertmanager.invalid", "alerts": [alert]}


FORMATS = ("native", "tmf642", "ves", "alertmanager")


def _fault(fmt: str, alarm_id: str, element: str, raised: bool, t: float, severity: str,
           started: float) -> str:
    if fmt == "native":
        record = _native(alarm_id, element, raised, t, severity)
    elif fmt == "tmf642":
        record = _tmf642(alarm_id, element, raised, t, severity)
    elif fmt == "ves":
        record = _ves(alarm_id, element, raised, t, severity)
    else:
        record = _alertmanager(alarm_id, element, raised, t, severity, started)
    return json.dumps(record, sort_keys=True)


INVALID = (
    "not json at all",
    '{"alarm_id": "bad-1", "state": "raised"}',
    ('{"alarm_id": "bad-2", "element_id": "CELL-X", "state": "raised", "severity": "huge", '
     '"event_time": "2026-04-20T07:00:00+00:00"}'),
    '["a", "list"]',
    '{"type": "maintenance", "maintenance_id": "MW-bad", "elements": []}',
)


def alarm_mix(seed: int, elements: Mapping[str, Sequence[str]], episodes: int = 24,
              routes: Sequence[str] = ()) -> list[str]:
    """A seeded, deterministic NOC log: outages and flaps of cells, sites, power, OLTs and
    PONs in all four fault formats, maintenance windows (faults inside, some outlasting the
    window), incident updates with an ETA, cable cuts at the ``routes`` points (``"lon,lat"``),
    alarms on unknown elements and invalid lines, shuffled (replay sorts by event time).
    ``elements`` maps element type -> sorted ids; the same arguments give the same lines."""
    rng = random.Random(seed)
    lines: list[tuple[float, str]] = []
    t = 0.0
    kinds = ["outage"] * 5 + ["flap"] * 3 + ["maintenance", "update", "invalid", "unknown"]
    if routes:
        kinds.append("cut")
    kinds_down = ("cell", "site", "power", "transport", "olt", "pon")
    down_types = [k for k in kinds_down if elements.get(k)]
    for n in range(episodes):
        t += rng.randint(30, 1500)
        kind = rng.choice(kinds)
        fmt = rng.choice(FORMATS)
        alarm_id = f"G{seed}-{n}"
        if kind in ("outage", "flap", "update"):
            element = rng.choice(list(elements[rng.choice(down_types)]))
            severity = rng.choice(("critical", "major"))
            length = rng.randint(10, 110) if kind == "flap" else rng.randint(125, 5400)
            lines.append((t, _fault(fmt, alarm_id, element, True, t, severity, t)))
            lines.append((t + length, _fault(fmt, alarm_id, element, False, t + length,
                                             severity, t)))
            if kind == "update":
                at = t + rng.randint(121, length + 121) if length > 300 else t + 200
                lines.append((at, json.dumps({
                    "type": "incident_update", "element_id": element,
                    "eta": _iso(t + length + rng.randint(0, 3600)),
                    "message": "A technician is on site.", "event_time": _iso(at)})))
        elif kind == "maintenance":
            chosen = sorted(rng.sample(list(elements["site"]), k=min(2, len(elements["site"]))))
            start = t + rng.choice((1800, 3 * 86400))
            end = start + rng.randint(1800, 7200)
            lines.append((t, json.dumps({
                "type": "maintenance", "maintenance_id": f"MW-{seed}-{n}", "elements": chosen,
                "start": _iso(start), "end": _iso(end), "event_time": _iso(t),
                "text": "Planned work"})))
            if rng.random() < 0.5:  # a fault inside the window: no outage notice for it
                lines.append((start + 60, _fault(fmt, alarm_id, chosen[0], True, start + 60,
                                                 "critical", start + 60)))
                stays = rng.random() < 0.5  # still out when the window ends
                clear_at = end + 900 if stays else end - 60
                lines.append((clear_at, _fault(fmt, alarm_id, chosen[0], False, clear_at,
                                               "critical", start + 60)))
        elif kind == "cut":
            lon, lat = (float(v) for v in rng.choice(list(routes)).split(","))
            length = rng.randint(125, 3600)
            for state, when in (("raised", t), ("cleared", t + length)):
                lines.append((when, json.dumps({
                    "type": "cable_cut", "cut_id": f"CUT-{seed}-{n}", "state": state,
                    "event_time": _iso(when),
                    "location": {"lon": lon, "lat": lat, "tolerance_m": 10}})))
        elif kind == "invalid":
            lines.append((t, rng.choice(INVALID)))
        else:
            lines.append((t, _fault(fmt, alarm_id, f"NO-SUCH-{n}", True, t, "critical", t)))
    # the file order is not the time order: replay sorts; keep a fixed shuffle of it
    rng.shuffle(lines)
    return [line for _, line in lines]


def elements_by_type(index: object) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for element in sorted(index.element_ids):  # type: ignore[attr-defined]
        found.setdefault(index.element_type(element), []).append(element)  # type: ignore[attr-defined]
    return found


def add_fibre_routes(region: Path, seed: int, count: int = 3) -> list[str]:
    """Give a synth region (which has no routes layer) ``count`` straight cable routes, each
    between two PON areas' centres feeding both; returns a cut point ``"lon,lat"`` on each."""
    import geopandas as gpd
    import shapely

    areas = gpd.read_file(region / "fibre_areas.geojson").sort_values("node_id")
    rng = random.Random(seed)
    picks = [sorted(rng.sample(range(len(areas)), 2)) for _ in range(count)]
    features, points = [], []
    for n, (a, b) in enumerate(picks):
        ca, cb = (areas.geometry.iloc[i].centroid for i in (a, b))
        line = shapely.LineString([(round(ca.x, 6), round(ca.y, 6)),
                                   (round(cb.x, 6), round(cb.y, 6))])
        features.append({"type": "Feature", "geometry": shapely.geometry.mapping(line),
                         "properties": {"route_id": f"R-{n}", "feeds":
                                        f"{areas.node_id.iloc[a]};{areas.node_id.iloc[b]}"}})
        mid = line.interpolate(0.5, normalized=True)
        points.append(f"{round(mid.x, 6)},{round(mid.y, 6)}")
    (region / "fibre_routes.geojson").write_text(json.dumps(
        {"type": "FeatureCollection", "features": features}, sort_keys=True))
    return points


def _mix(customers: int, seed: int, partitions: int, cuts: bool = False,
         episodes: int = 24) -> Callable[[Path], Prepared]:
    def prepare(work: Path) -> Prepared:
        region = work / "region"
        # the real console script, as a user would make the region
        subprocess.run([*_forewarn(), "synth", str(region), "--customers", str(customers),
                        "--seed", str(seed)], check=True, capture_output=True, text=True)
        routes = add_fibre_routes(region, seed) if cuts else []
        lines = alarm_mix(seed, elements_by_type(_index(region)), episodes, routes)
        return Prepared(region, lines, f"[kafka]\npartitions = {partitions}\n")

    return prepare


def _forewarn() -> list[str]:
    exe = Path(sys.executable).with_name("forewarn")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "forewarn.cli"]


CASES: tuple[GoldenCase, ...] = (
    GoldenCase("story", story),
    GoldenCase("mixed_formats", mixed_formats),
    GoldenCase("legal_de", legal_de),
    GoldenCase("legal_gb_holiday", legal_gb_holiday),
    GoldenCase("mix_300_p1", _mix(300, 101, 1)),
    GoldenCase("mix_600_p4_cuts", _mix(600, 202, 4, cuts=True)),
    GoldenCase("mix_2000_p1", _mix(2000, 303, 1, episodes=30), "mix_2000"),
    GoldenCase("mix_2000_p4", _mix(2000, 303, 4, episodes=30), "mix_2000"),
)


# ---- running a case and the fixture files --------------------------------------------------

@dataclass(frozen=True)
class Output:
    out: str  # normalised --out
    summary: str


def run_case(case: GoldenCase, work: Path, broker_url: str | None) -> Output:
    """Prepare the case in ``work`` and run the real ``forewarn replay`` on it."""
    prepared = case.prepare(work)
    alarms, out, config = work / "alarms.jsonl", work / "out.jsonl", work / "golden.toml"
    alarms.write_text("\n".join(prepared.lines) + "\n", encoding="utf-8")
    config.write_text(prepared.config, encoding="utf-8")
    env = dict(os.environ)
    env.pop("FOREWARN_BROKER", None)
    if broker_url:
        env["FOREWARN_BROKER"] = broker_url
    proc = subprocess.run([*_forewarn(), "replay", str(prepared.region), str(alarms),
                           "--out", str(out), "--config", str(config)],
                          check=False, capture_output=True, text=True, timeout=600, env=env)
    if proc.returncode != 0:
        raise AssertionError(f"forewarn replay ({case.name}) exited {proc.returncode}:\n"
                             f"{proc.stderr[-4000:]}")
    return Output(normalise(out.read_text(encoding="utf-8")), summary_line(proc.stderr, out))


def fixture_paths(name: str) -> tuple[Path, Path]:
    return FIXTURES / f"{name}.jsonl.gz", FIXTURES / f"{name}.summary.txt"


def write_fixture(name: str, output: Output) -> None:
    out_path, summary_path = fixture_paths(name)
    FIXTURES.mkdir(parents=True, exist_ok=True)
    # mtime=0: the same output gives the same .gz bytes, so git sees no spurious change
    out_path.write_bytes(gzip.compress(output.out.encode("utf-8"), compresslevel=9, mtime=0))
    summary_path.write_text(output.summary, encoding="utf-8")


def read_fixture(name: str) -> Output:
    out_path, summary_path = fixture_paths(name)
    return Output(gzip.decompress(out_path.read_bytes()).decode("utf-8"),
                  summary_path.read_text(encoding="utf-8"))


def first_difference(want: str, got: str, context: int = 2) -> str | None:
    """None when equal, else the first differing line (with ``context`` lines before)."""
    if want == got:
        return None
    a, b = want.splitlines(keepends=True), got.splitlines(keepends=True)
    n = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
    shown = [f"first difference at line {n + 1} (fixture {len(a)} lines, now {len(b)}):"]
    shown += [f"  same   : {line.rstrip()[:400]}" for line in a[max(0, n - context):n]]
    shown.append(f"  fixture: {a[n].rstrip()[:1200] if n < len(a) else '<end of file>'}")
    shown.append(f"  now    : {b[n].rstrip()[:1200] if n < len(b) else '<end of file>'}")
    return "\n".join(shown)


__all__ = ["CASES", "FIXTURES", "GoldenCase", "Output", "Prepared", "alarm_mix",
           "first_difference", "normalise", "read_fixture", "run_case", "write_fixture"]
