"""Two workers started from a sliced index (``forewarn index build --partitions 4``) in one
group: the worker that does not own ``alarms.raw`` maps exactly the slices of its customer
partitions (its log line and ``forewarn_index_slices_mapped``), the owner maps all of them
(its network stage still reads every customer). The owner is then killed (SIGKILL) right
after an outage alarm reached the broker: the survivor takes the network and the orphaned
partitions over, maps their slices, and every affected customer is told exactly once (one
distinct ``notification_id`` each on ``notifications.delivered``).

No sleep stands in for a state: every step waits for what the logs, the API or the topic
show."""

from __future__ import annotations

import os
import re
import urllib.request
from pathlib import Path

import pytest

from forewarn.streams.partitioning import partition_of
from tests.forewarn_testing import (
    BiggestPowerOutage,
    build_sliced_index,
    healthy,
    latest_assignment,
    native,
    produce,
    receipts_on,
    settled_network_owner,
    start_worker,
    stop_worker,
    synth_region,
    wait_for,
    worker_config,
)

pytestmark = pytest.mark.integration

P = 4
MAPPED = re.compile(r"index slices mapped: \[([\d, ]*)\] \(added \[([\d, ]*)\], "
                    r"dropped \[([\d, ]*)\]\)")


def _ints(text: str) -> list[int]:
    return [int(x) for x in text.split(",") if x.strip()]


def slice_lines(log: Path) -> list[tuple[list[int], list[int], list[int]]]:
    """(mapped, added, dropped) of every slice-mapping line the worker logged, in order."""
    if not log.exists():
        return []
    return [(_ints(m[1]), _ints(m[2]), _ints(m[3]))
            for m in MAPPED.finditer(log.read_text(errors="replace"))]


def slices_gauge(port: int) -> float | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
            text = response.read().decode()
    except OSError:
        return None
    found = re.search(r"^forewarn_index_slices_mapped (\S+)$", text, re.MULTILINE)
    return float(found[1]) if found else None


@pytest.fixture(scope="module")
def region(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return synth_region(tmp_path_factory, "slicemap", 41)


def test_a_worker_maps_its_slices_and_the_survivor_of_a_kill_maps_the_orphans_and_tells_once(
        embedded_broker: object, region: Path, tmp_path: Path) -> None:
    outage = BiggestPowerOutage(region)
    power = outage.power
    reachable = outage.reachable
    assert len({partition_of(c, P) for c in reachable}) == P, "customers on every partition"

    folder = tmp_path / "index"
    build_sliced_index(region, folder, P)

    tag = f"smap{os.getpid()}"
    config = worker_config(tmp_path, tag, tmp_path / "notifications.jsonl",
                           "[correlation]\nconfirm_after_s = 2\nresolve_after_s = 3\n",
                           partitions=P)
    logs = [tmp_path / "a.log", tmp_path / "b.log"]
    workers = [start_worker(config, embedded_broker.url, index=folder, log=log)
               for log in logs]
    raw, impacts = f"{tag}.alarms.raw", f"{tag}.impacts"
    try:
        def settled() -> int | None:
            return settled_network_owner(logs, [port for _, port in workers], raw, impacts)

        wait_for(lambda: settled() is not None, 120,
                 "both workers ready with a share of impacts, one owning alarms.raw")
        owner = settled()
        assert owner is not None
        other = 1 - owner
        share = latest_assignment(logs[other], impacts)
        assert share and share != set(range(P))

        def maps(i: int, expected: set[int]) -> bool:
            lines = slice_lines(logs[i])
            return (bool(lines) and set(lines[-1][0]) == expected
                    and slices_gauge(workers[i][1]) == len(expected))

        wait_for(lambda: maps(other, share) and maps(owner, set(range(P))), 60,
                 "the non-owner to map exactly its slices and the owner all of them")
        orphans = set(range(P)) - share
        assert {partition_of(c, P) for c in reachable} & orphans

        produce(embedded_broker.bootstrap, raw, [native("P", power, "raised")])
        workers[owner][0].kill()  # SIGKILL right after the alarm: no goodbye to the group
        workers[owner][0].wait(timeout=30)

        survivor_port = workers[other][1]
        wait_for(lambda: latest_assignment(logs[other], raw) == {0}
                 and latest_assignment(logs[other], impacts) == set(range(P))
                 and healthy(survivor_port), 120,
                 "the survivor to take alarms.raw and every impacts partition over")
        wait_for(lambda: maps(other, set(range(P))), 60, "the survivor to map every slice")
        _, added, dropped = slice_lines(logs[other])[-1]
        assert set(added) == orphans and not dropped

        delivered = f"{tag}.notifications.delivered"

        def outage_ids() -> dict[str, set[str]]:
            ids: dict[str, set[str]] = {}
            for receipt in receipts_on(embedded_broker.bootstrap, delivered):
                if receipt["stage"] == "outage":
                    ids.setdefault(receipt["customer_id"], set()).add(receipt["notification_id"])
            return ids

        wait_for(lambda: set(outage_ids()) == reachable, 180,
                 "an outage notice for every affected customer")
    finally:
        for proc, _ in workers:
            if proc.poll() is None:
                stop_worker(proc)
    told = outage_ids()
    assert set(told) == reachable, "nobody else is told"
    assert all(len(ids) == 1 for ids in told.values()), \
        {c: ids for c, ids in told.items() if len(ids) != 1}
    survivor_log = logs[other].read_text(errors="replace")
    assert not re.search(r"\+49\d{7,}", survivor_log), "phone numbers are masked in logs"
