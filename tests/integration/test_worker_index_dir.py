"""``forewarn worker --index DIR``: a worker started from a sliced index, without the
region's files, tells the customers an outage affects."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from forewarn.geo import RegionIndex, load_region
from forewarn.geo.slice_build import build_slices
from tests.forewarn_testing import (
    TINY,
    forewarn_exe,
    healthy,
    native,
    produce,
    read_records,
    start_worker,
    stop_worker,
    wait_for,
    worker_config,
)

pytestmark = pytest.mark.integration


def test_worker_from_slices_without_region_files_tells_affected_customers(
    embedded_broker: object, tmp_path: Path
) -> None:
    region = tmp_path / "region"
    shutil.copytree(TINY, region)
    expected = RegionIndex.build(load_region(region))
    build_slices(region, tmp_path / "index", 4)
    shutil.rmtree(region)  # the worker must not need the CSVs
    out = tmp_path / "notifications.jsonl"
    tag = f"wix{os.getpid()}"
    config = worker_config(tmp_path, tag, out, "[correlation]\nconfirm_after_s = 2\n",
                           partitions=4)
    proc, port = start_worker(config, embedded_broker.url, index=tmp_path / "index")
    try:
        wait_for(lambda: healthy(port), 90, "the worker")
        produce(embedded_broker.bootstrap, f"{tag}.alarms.raw", [native("X1", "S-A", "raised")])
        hit = expected.impact(["S-A"])
        affected = set(hit["mobile"]) | set(hit["fibre"])
        reachable = {c for c in affected if expected.customer(c).first_channel()}
        assert reachable
        wait_for(lambda: {r["customer_id"] for r in read_records(out)
                          if r["stage"] == "outage"} == reachable, 90, "outage notices")
        told = {r["customer_id"]: r["to"] for r in read_records(out)}
        assert all(told[c] for c in reachable)  # addresses came from the slices
    finally:
        stderr = stop_worker(proc)
    assert proc.returncode == 0, stderr[-3000:]


def test_worker_with_slices_for_other_partitions_refuses_to_start(tmp_path: Path) -> None:
    build_slices(TINY, tmp_path / "index", 2)
    config = worker_config(tmp_path, f"wixp{os.getpid()}", tmp_path / "out.jsonl", partitions=4)
    done = subprocess.run([*forewarn_exe(), "worker", "--index", str(tmp_path / "index"),
                           "--config", str(config)], check=False, capture_output=True,
                          text=True, timeout=120, env=dict(os.environ, FOREWARN_BROKER=""))
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "index has 2 partition slices but the topics have 4" in lines[0]


@pytest.mark.parametrize("args", [[], ["--region", str(TINY), "--index", "somewhere"]])
def test_worker_needs_exactly_one_of_region_and_index(args: list[str]) -> None:
    done = subprocess.run([*forewarn_exe(), "worker", *args], check=False,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr.strip() == "forewarn: error: give either --region REGION or --index DIR"


def test_worker_from_slices_swaps_in_a_newly_published_sliced_version(
    embedded_broker: object, tmp_path: Path
) -> None:
    region = tmp_path / "region"
    shutil.copytree(TINY, region)
    build_slices(region, tmp_path / "index", 4)
    out = tmp_path / "notifications.jsonl"
    tag = f"wixr{os.getpid()}"
    config = worker_config(
        tmp_path, tag, out,
        "[correlation]\nconfirm_after_s = 2\n[index]\nreload_interval_s = 1\n", partitions=4)
    proc, port = start_worker(config, embedded_broker.url, index=tmp_path / "index")
    try:
        wait_for(lambda: healthy(port), 90, "the worker")
        produce(embedded_broker.bootstrap, f"{tag}.alarms.raw", [native("R1", "A2", "raised")])
        before = RegionIndex.build(load_region(region)).impact(["A2"])
        assert "007" not in before["mobile"]
        customers = region / "customers.csv"
        moved = customers.read_text(encoding="utf-8").replace("007,13.405,52.51,",
                                                              "007,13.43,52.518,")
        customers.write_text(moved, encoding="utf-8")
        assert "007" in RegionIndex.build(load_region(region)).impact(["A2"])["mobile"]
        build_slices(region, tmp_path / "index", 4)  # 007 now lies under A2 alone
        wait_for(lambda: "007" in {r["customer_id"] for r in read_records(out)
                                   if r["stage"] == "outage"}, 90, "007's outage notice")
    finally:
        stderr = stop_worker(proc)
    assert proc.returncode == 0, stderr[-3000:]
