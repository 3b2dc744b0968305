"""kill -9 the only worker in the middle of an alarm storm, start a fresh one in the same group:
the exact set of customers the storm took out is told once per lost service, the noise and
the flaps tell no one, the gateway sees repeats only of what was in flight at the kill, and
``notifications.delivered`` holds exactly one receipt per notification (CONTRACT §4, §6).

The storm (seeded) on a synthetic region: sites with all their cells, single cells, OLTs and
PONs go down for good, each through several critical/major alarms (some cleared while another
keeps the element down); other cells and PONs flap (a major raise cleared at once, far
shorter than the confirm window); minor/warning alarms are raised and cleared everywhere.
It comes in two waves: the first while the worker runs, the second starts once the worker is
telling customers, and the worker is killed halfway through it, so the rest of the storm
arrives while no worker is alive. Expectations come from the final set of down elements
through ``RegionIndex.impact`` (which customers are out, per service), not from the worker.

Black-box: real worker processes, the real embedded broker, a real HTTP gateway; the receipts
are read back from the broker up to a fence record of our own (the embedded broker's
ListOffsets(latest) is not to be trusted).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import signal
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer

from forewarn.geo import RegionIndex, load_region
from forewarn.streams.kafka.fence import FenceReader
from tests.forewarn_testing import (
    HttpGateway,
    healthy,
    start_worker,
    stop_worker,
    wait_for,
    worker_config,
)

pytestmark = pytest.mark.integration

SEED = 20240607
CUSTOMERS = 3000
PARTITIONS = 4
IN_FLIGHT = 4  # deliveries the worker may have open at once ([delivery] concurrency)
CHANNEL_CONCURRENCY = {"sms": 2, "email": 1, "push": 1}  # adds up to IN_FLIGHT as well
GATEWAY_DELAY_S = 0.03
CONFIRM_S, RESOLVE_S = 1, 3
KILL_AFTER_POSTS = 60  # the worker is telling customers: start the second wave
WAVE2_CHUNKS, WAVE2_PAUSE_S = 20, 0.1  # the second wave trickles in over ~2 s ...
KILL_AT_CHUNK = WAVE2_CHUNKS // 2  # ... and the worker dies halfway through it
DOWN_SEVERITIES = ("critical", "major")
NOISE_SEVERITIES = ("minor", "warning")
CAUSES = ("lossOfSignal", "powerProblem", "equipmentMalfunction", "linkDown", "lossOfFrame")


# -- the storm ----------------------------------------------------------------------------------

@dataclass
class Storm:
    """Two waves of alarm units (a unit's records go out back to back) and what they mean."""

    waves: tuple[list[list[dict[str, Any]]], list[list[dict[str, Any]]]]
    down: set[str]  # down for good at the end of the storm
    flapping: set[str]  # down for an instant only
    noisy: set[str]  # got minor/warning alarms

    def records(self) -> int:
        return sum(len(unit) for wave in self.waves for unit in wave)


def alarm(alarm_id: str, element: str, state: str, severity: str, cause: str) -> dict[str, Any]:
    """A native alarm without its event time (stamped when it is sent: live mode)."""
    return {"alarm_id": alarm_id, "element_id": element, "state": state, "severity": severity,
            "probable_cause": cause}


def _down_sequence(rng: random.Random, element: str) -> list[dict[str, Any]]:
    """Several down-severity alarms; some cleared, but only while a later one is active."""
    raised = [alarm(f"{element}/D{i}", element, "raised", rng.choice(DOWN_SEVERITIES),
                    CAUSES[i % len(CAUSES)]) for i in range(rng.randint(2, 5))]
    sequence = []
    for i, record in enumerate(raised):
        sequence.append(record)
        if i and rng.random() < 0.5:  # the previous one clears: this one keeps it down
            sequence.append({**raised[i - 1], "state": "cleared"})
    return sequence


def _noise(rng: random.Random, elements: list[str], count: int, wave: int,
           ) -> list[list[list[dict[str, Any]]]]:
    """Minor/warning alarms, each a sequence: raised, then (mostly) cleared later."""
    sequences = []
    for i in range(count):
        element = rng.choice(elements)
        raise_ = alarm(f"{element}/N{wave}.{i}", element, "raised",
                       rng.choice(NOISE_SEVERITIES), rng.choice(CAUSES))
        clear = [[{**raise_, "state": "cleared"}]] if rng.random() < 0.85 else []
        sequences.append([[raise_], *clear])
    return sequences


def _interleave(rng: random.Random, sequences: list[list[list[dict[str, Any]]]],
                ) -> list[list[dict[str, Any]]]:
    """Shuffle units of many sequences together, keeping each sequence's own order."""
    keyed = []
    for sequence in sequences:
        keys = sorted(rng.random() for _ in sequence)
        keyed += zip(keys, range(len(keyed), len(keyed) + len(sequence)), sequence, strict=True)
    return [unit for _, _, unit in sorted(keyed, key=lambda k: (k[0], k[1]))]


def make_storm(index: RegionIndex, seed: int) -> Storm:
    rng = random.Random(seed)
    by_type: dict[str, list[str]] = {}
    for element in sorted(index.element_ids):
        by_type.setdefault(index.element_type(element), []).append(element)
    sites = rng.sample(by_type["site"], 2)
    site_cells = [c for c in by_type["cell"] if set(index.ancestors(c)) & set(sites)]
    cells = rng.sample([c for c in by_type["cell"] if c not in site_cells], 24)
    olts = rng.sample(by_type["olt"], 2)
    free_pons = [p for p in by_type["pon"] if not set(index.ancestors(p)) & set(olts)]
    pons = rng.sample(free_pons, 4)
    # Each wave takes down one site (with all its cells: they alarm too), cells, an OLT, PONs.
    wave_down = [
        [sites[0], *[c for c in site_cells if sites[0] in index.ancestors(c)], *cells[:12],
         olts[0], *pons[:2]],
        [sites[1], *[c for c in site_cells if sites[1] in index.ancestors(c)], *cells[12:],
         olts[1], *pons[2:]],
    ]
    down = {e for wave in wave_down for e in wave}
    # Flaps: elements with no down element above or below them.
    related = down | {a for e in down for a in index.ancestors(e)}
    flap_candidates = [e for e in by_type["cell"] + by_type["pon"]
                       if e not in related and not set(index.ancestors(e)) & down]
    flapping = rng.sample(flap_candidates, 12)
    everything = sorted(index.element_ids)
    waves: list[list[list[dict[str, Any]]]] = []
    for w, elements in enumerate(wave_down):
        downs = [[[r] for r in _down_sequence(rng, e)] for e in elements]
        flaps = [[[alarm(f"{e}/F{w}.{i}.{k}", e, "raised", "major", "lossOfSignal"),
                   alarm(f"{e}/F{w}.{i}.{k}", e, "cleared", "major", "lossOfSignal")]]
                 for i, e in enumerate(flapping[w * 6:(w + 1) * 6]) for k in range(2)]
        noise = _noise(rng, everything, 450 if w == 0 else 350, w)
        waves.append(_interleave(rng, downs + flaps + noise))
    noisy = {unit[0]["element_id"] for wave in waves for unit in wave
             if unit[0]["severity"] in NOISE_SEVERITIES}
    return Storm((waves[0], waves[1]), down, set(flapping), noisy)


def stamped(record: dict[str, Any]) -> bytes:
    return json.dumps({**record, "event_time": datetime.now(UTC).isoformat()}).encode()


async def _send_units(bootstrap: str, topic: str, chunks: list[list[list[dict[str, Any]]]],
                      pause_s: float, after_chunk: threading.Event | None = None,
                      at_chunk: int = -1, sent: list[tuple[float, int]] | None = None) -> None:
    """Send each chunk's units in order (stamped as they go), flushing and pausing between
    chunks; ``after_chunk`` is set once chunk ``at_chunk`` is on the broker; ``sent`` gets
    (monotonic time a chunk started, its record count) per chunk."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=5, acks="all")
    await producer.start()
    try:
        for position, chunk in enumerate(chunks):
            if sent is not None:
                sent.append((time.monotonic(), sum(len(unit) for unit in chunk)))
            for unit in chunk:
                for record in unit:
                    await producer.send(topic, stamped(record), partition=0)
            await producer.flush()
            if after_chunk is not None and position == at_chunk:
                after_chunk.set()
            if pause_s:
                await asyncio.sleep(pause_s)
    finally:
        await producer.stop()


def chunked(units: list[list[dict[str, Any]]], count: int) -> list[list[list[dict[str, Any]]]]:
    size = -(-len(units) // count)
    return [units[i:i + size] for i in range(0, len(units), size)]


# -- reading notifications.delivered -----------------------------------------------------------

async def _read_to_fence(bootstrap: str, topic: str, partitions: int,
                         timeout_s: float = 60) -> list[dict[str, Any]]:
    """Every record on ``topic``, read up to a fence record of our own per partition (no
    end offsets asked: the embedded broker's ListOffsets(latest) can be wrong)."""
    reader = FenceReader(bootstrap, client_id="test-receipts", timeout_s=timeout_s)
    values: list[dict[str, Any]] = []
    try:
        for partition in range(partitions):
            await reader.read(topic, partition, lambda m: values.append(json.loads(m.value)))
    finally:
        await reader.close()
    return values


def receipts_of(values: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The notification records; the worker's own control records (fences) are skipped."""
    return [v for v in values if "control" not in v]


# -- the scenario, run once for the module -----------------------------------------------------

@dataclass
class Outcome:
    expected: set[tuple[str, str]]  # (customer, service) the storm leaves out for good
    flap_victims: set[str]  # customers out only for an instant (flaps)
    storm_records: int
    posts: list[str] = field(default_factory=list)  # notification ids, in gateway order
    customer_of: dict[str, str] = field(default_factory=dict)  # as the gateway saw them
    at_kill: int = 0  # gateway posts when the first worker was killed
    boundary: int = 0  # gateway posts before the second worker started
    sent_after_kill: int = 0  # storm records produced while no worker was alive
    max_in_flight: int = 0
    values: list[dict[str, Any]] = field(default_factory=list)  # notifications.delivered
    logs: Path = Path()

    @property
    def receipts(self) -> list[dict[str, Any]]:
        return receipts_of(self.values)


@dataclass
class Scenario:
    base: Path
    region: Path
    index: RegionIndex
    storm: Storm


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    from forewarn.geo.commands import run_synth

    base = tmp_path_factory.mktemp("storm")
    region = base / "region"
    run_synth(region, CUSTOMERS, SEED % 1000)
    index = RegionIndex.build(load_region(region))
    return Scenario(base, region, index, make_storm(index, SEED))


@pytest.fixture(scope="module")
def outcome(embedded_broker: Any, scenario: Scenario) -> Outcome:
    base, region, index, storm = scenario.base, scenario.region, scenario.index, scenario.storm

    def reachable(ids: list[str]) -> set[str]:
        return {c for c in ids if index.customer(c).first_channel()}

    out = index.impact(sorted(storm.down))
    expected = {(c, service) for service, ids in out.items() for c in reachable(ids)}
    hit_by_flaps = set().union(*map(reachable, index.impact(sorted(storm.flapping)).values()))
    result = Outcome(expected, hit_by_flaps - {c for c, _ in expected}, storm.records(),
                     logs=base)
    expected_customers = {c for c, _ in expected}

    tag = f"storm{os.getpid()}"
    topic = f"{tag}.alarms.raw"
    bootstrap = embedded_broker.bootstrap
    with HttpGateway(GATEWAY_DELAY_S) as gateway:
        url = gateway.url(customer="{customer_id}")
        config = worker_config(
            base, tag, base / "unused.jsonl",
            f"[correlation]\nconfirm_after_s = {CONFIRM_S}\nresolve_after_s = {RESOLVE_S}\n"
            f"[delivery]\nconcurrency = {IN_FLIGHT}\n", partitions=PARTITIONS)
        config.write_text(config.read_text().split("[channels.sms]")[0] + "".join(
            f'[channels.{c}]\nurl = "{url}"\nconcurrency = {n}\nrate_per_s = 0\n'
            for c, n in CHANNEL_CONCURRENCY.items()))

        first, port = start_worker(config, embedded_broker.url, region=region,
                                   log=base / "first.log")
        halfway = threading.Event()
        wave2_sent: list[tuple[float, int]] = []
        wave2 = threading.Thread(target=lambda: asyncio.run(_send_units(
            bootstrap, topic, chunked(storm.waves[1], WAVE2_CHUNKS), WAVE2_PAUSE_S,
            halfway, KILL_AT_CHUNK, wave2_sent)), daemon=True)
        try:
            wait_for(lambda: healthy(port), 120, "the first worker")
            asyncio.run(_send_units(bootstrap, topic, [storm.waves[0]], 0))
            wait_for(lambda: len(gateway.posts) >= KILL_AFTER_POSTS, 60,
                     "the first outage notices of the storm")
            wave2.start()
            assert halfway.wait(30), "the second wave did not get halfway"
        finally:
            stop_worker(first, signal.SIGKILL)  # returns once the process is gone
        killed_at = time.monotonic()
        result.at_kill = len(gateway.posts)
        wave2.join(30)
        assert not wave2.is_alive(), "the second wave did not finish"
        result.sent_after_kill = sum(n for started, n in wave2_sent if started > killed_at)
        time.sleep(0.5)  # requests the dead worker left open are answered (or not) by now
        result.boundary = len(gateway.posts)

        second, port = start_worker(config, embedded_broker.url, region=region,
                                    log=base / "second.log")
        try:
            wait_for(lambda: healthy(port), 120, "the second worker")
            last = {"n": -1, "at": time.monotonic()}

            def settled() -> bool:
                """Everyone expected told, then nothing new for a while (late repeats or
                notices that should not exist would come within the confirm window)."""
                posts = list(gateway.posts)
                if len(posts) != last["n"]:
                    last.update(n=len(posts), at=time.monotonic())
                told = {body.get("customer") for body in list(gateway.bodies)}
                quiet = time.monotonic() - last["at"]
                return expected_customers <= told and (
                    (len(set(posts)) >= len(expected) and quiet > CONFIRM_S + 2) or quiet > 8)

            # What is missing is reported by the tests, with the ids.
            with contextlib.suppress(AssertionError):
                wait_for(settled, 60, "every expected notice after the restart")
        finally:
            stop_worker(second)
        result.posts = list(gateway.posts)
        result.customer_of = {b.get("id", ""): b.get("customer", "") for b in gateway.bodies}
        result.max_in_flight = gateway.max_in_flight
    result.values = asyncio.run(_read_to_fence(bootstrap, f"{tag}.notifications.delivered",
                                               PARTITIONS))
    (base / "outcome.json").write_text(json.dumps({  # for a post-mortem beside the logs
        "expected": sorted(expected), "flap_victims": sorted(result.flap_victims),
        "posts": result.posts, "customer_of": result.customer_of, "at_kill": result.at_kill,
        "boundary": result.boundary, "delivered": result.values}))
    return result


# -- what the crash must not break -------------------------------------------------------------

def test_the_storm_leaves_exactly_its_chosen_elements_down(scenario: Scenario) -> None:
    """The expectations rest on this: replayed by alarm id, every chosen element goes down
    and stays down, flapping ones are back at once, and no clear comes before its raise."""
    active: dict[str, set[str]] = {}
    went_down: set[str] = set()
    for wave in scenario.storm.waves:
        for unit in wave:
            for record in unit:
                if record["severity"] not in DOWN_SEVERITIES:
                    continue
                ids = active.setdefault(record["element_id"], set())
                if record["state"] == "raised":
                    ids.add(record["alarm_id"])
                    went_down.add(record["element_id"])
                else:
                    assert record["alarm_id"] in ids, f"clear before raise: {record}"
                    ids.discard(record["alarm_id"])
                    stays = record["element_id"] in scenario.storm.flapping or ids
                    assert stays, f"{record['element_id']} came back: {record}"
    assert {e for e, ids in active.items() if ids} == scenario.storm.down
    assert went_down == scenario.storm.down | scenario.storm.flapping
    noise = [r for wave in scenario.storm.waves for unit in wave for r in unit
             if r["severity"] in NOISE_SEVERITIES]
    assert len(noise) > 1000 and len({r["alarm_id"] for r in noise}) * 2 >= len(noise)


def test_the_worker_was_killed_mid_storm(outcome: Outcome) -> None:
    told_before_kill = len(set(outcome.posts[:outcome.at_kill]))
    assert 0 < told_before_kill < len(outcome.expected), \
        f"{told_before_kill} notices before the kill: the kill must fall inside the fan-out"
    assert outcome.sent_after_kill > 0, "part of the storm must arrive while no worker runs"
    assert len(outcome.expected) > 300 and outcome.storm_records > 1000


def test_every_lost_service_gets_exactly_one_outage_notice(outcome: Outcome) -> None:
    covered = Counter((r["customer_id"], s) for r in outcome.receipts for s in r["services"])
    missing = outcome.expected - set(covered)
    extra = set(covered) - outcome.expected
    twice = {pair: n for pair, n in covered.items() if n > 1}
    at_gateway = set(outcome.customer_of.values())
    unsent = sorted(pair for pair in missing if pair[0] not in at_gateway)
    assert not missing, (
        f"{len(missing)} lost services have no outage receipt: {len(unsent)} of them belong to "
        f"customers the gateway never heard of (lost), e.g. {unsent[:5]}, the others to "
        f"customers sent a notice without a receipt, e.g. "
        f"{sorted(set(missing) - set(unsent))[:5]} (logs and outcome.json in {outcome.logs})")
    assert not extra, f"{len(extra)} told but not out, e.g. {sorted(extra)[:5]}"
    assert not twice, f"{len(twice)} services told twice, e.g. {sorted(twice.items())[:5]}"
    assert {r["stage"] for r in outcome.receipts} == {"outage"}


def test_delivered_topic_holds_one_receipt_per_notification(outcome: Outcome) -> None:
    ids = Counter(r.get("notification_id") for r in outcome.receipts)
    repeated = {nid: n for nid, n in ids.items() if n > 1}
    assert not repeated, f"receipts repeated: {sorted(repeated.items())[:5]}"
    gateway = set(outcome.posts)
    unreceipted = gateway - set(ids)
    assert not unreceipted, (
        f"{len(unreceipted)} notifications reached the gateway without a receipt on "
        f"notifications.delivered, e.g. "
        f"{[(n, outcome.customer_of.get(n)) for n in sorted(unreceipted)[:5]]}")
    assert set(ids) <= gateway, f"receipts for notices never sent: {sorted(set(ids) - gateway)[:5]}"


def test_every_notice_reaches_the_gateway_and_nothing_else_does(outcome: Outcome) -> None:
    receipts = {r["notification_id"]: r["customer_id"] for r in outcome.receipts}
    sent = set(outcome.posts)
    assert sent >= set(receipts), f"never reached the gateway: {sorted(set(receipts) - sent)[:5]}"
    expected_customers = {c for c, _ in outcome.expected}
    told = set(outcome.customer_of.values())
    assert told == expected_customers, (
        f"missing {sorted(expected_customers - told)[:5]}, "
        f"unexpected {sorted(told - expected_customers)[:5]}")
    assert all(outcome.customer_of[n] == c for n, c in receipts.items() if n in outcome.customer_of)


def test_noise_and_flaps_notify_no_one(outcome: Outcome) -> None:
    assert outcome.flap_victims, "the flaps must have customers to (not) notify"
    told = set(outcome.customer_of.values()) | {r["customer_id"] for r in outcome.receipts}
    assert not told & outcome.flap_victims, \
        f"told about a flap: {sorted(told & outcome.flap_victims)[:5]}"


def test_gateway_repeats_only_what_was_in_flight_at_the_kill(outcome: Outcome) -> None:
    assert outcome.max_in_flight <= IN_FLIGHT, "the configured concurrency bounds what is open"
    before, after = outcome.posts[:outcome.boundary], outcome.posts[outcome.boundary:]
    for name, posts in (("first", before), ("second", after)):
        again = {n: k for n, k in Counter(posts).items() if k > 1}
        assert not again, f"the {name} worker sent {len(again)} notices twice: {sorted(again)[:5]}"
    repeats = set(before) & set(after)
    assert len(repeats) <= IN_FLIGHT, (
        f"{len(repeats)} notices repeated after the restart, more than the {IN_FLIGHT} that "
        "can be in flight at a kill: "
        f"{[(n, before.index(n), outcome.at_kill) for n in sorted(repeats)[:8]]}")
