"""The delivery gateway is down for 60 s when an outage is confirmed: the worker keeps
retrying (``[delivery] attempts`` / ``max_backoff_s`` cover the gap), and once the gateway is
back every affected customer is told exactly once, each with one receipt."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from forewarn.geo import RegionIndex, load_region
from tests.forewarn_testing import (
    TINY,
    HttpGateway,
    healthy,
    native,
    produce,
    start_worker,
    stop_worker,
    wait_for,
    worker_config,
)

pytestmark = pytest.mark.integration

DOWN_S = 60.0


def test_a_gateway_down_for_a_minute_loses_nothing_and_repeats_nothing(
    embedded_broker: object, tmp_path: Path
) -> None:
    index = RegionIndex.build(load_region(TINY))
    hit = set(index.impact(["S-A"])["mobile"]) | set(index.impact(["S-A"])["fibre"])
    reachable = {c for c in hit if index.customer(c).first_channel()}
    tag = f"outage{os.getpid()}"
    with HttpGateway(delay_s=0.01) as gateway:
        url = gateway.url(customer="{customer_id}")
        config = worker_config(
            tmp_path, tag, tmp_path / "unused.jsonl",
            "[correlation]\nconfirm_after_s = 1\nresolve_after_s = 3\n"
            # 0.5 + 1 + 2 + 4 + 8 + 15 x 4 s between 10 tries: > 60 s even with jitter.
            "[delivery]\nattempts = 10\nbackoff_s = 0.5\nmax_backoff_s = 15\n")
        config.write_text(config.read_text().split("[channels.sms]")[0] + "".join(
            f'[channels.{c}]\nurl = "{url}"\nrate_per_s = 0\n' for c in ("sms", "email", "push")))
        worker, port = start_worker(config, embedded_broker.url, log=tmp_path / "worker.log")
        try:
            wait_for(lambda: healthy(port), 90, "the worker")
            gateway.down_until = time.monotonic() + DOWN_S
            produce(embedded_broker.bootstrap, f"{tag}.alarms.raw", [native("G1", "S-A", "raised")])
            wait_for(lambda: len(gateway.refused) >= len(reachable), 60, "the first refused tries")
            assert not gateway.posts, "nothing gets through while the gateway is down"
            wait_for(lambda: len(gateway.posts) >= len(reachable), DOWN_S + 60,
                     "every customer once the gateway is back")
            time.sleep(2.0)  # a repeat would arrive now
        finally:
            stop_worker(worker)
    assert sorted(body["customer"] for body in gateway.bodies) == sorted(reachable)
    assert len(set(gateway.posts)) == len(gateway.posts), "nobody is told twice"
    # Every notice refused while the gateway was down was retried until it got through.
    assert set(gateway.refused) <= set(gateway.posts)
    assert len(gateway.refused) > len(reachable), "the worker kept retrying while it was down"
    dead = (tmp_path / "worker.log").read_text()
    assert "dead letter" not in dead
