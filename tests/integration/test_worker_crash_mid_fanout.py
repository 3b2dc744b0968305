"""kill -9 a worker in the middle of a fan-out to a real HTTP gateway, start another: every
customer's notice reaches the gateway, and nothing is sent twice except what was in flight at
the instant of the crash (which the gateway recognises by its ``notification_id``)."""

from __future__ import annotations

import os
import re
import signal
import time
from pathlib import Path

import pytest

from forewarn.geo import RegionIndex, load_region
from tests.forewarn_testing import (
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

IN_FLIGHT = 4  # the gateway channel's concurrency in this test


@pytest.fixture(scope="module")
def big_region(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from forewarn.geo.commands import run_synth

    path = tmp_path_factory.mktemp("fanout") / "region"
    run_synth(path, 2500, 31)
    return path


def test_crash_mid_fanout_loses_nothing_and_repeats_only_the_in_flight(
    embedded_broker: object, big_region: Path, tmp_path: Path
) -> None:
    index = RegionIndex.build(load_region(big_region))
    powers = sorted(e for e in index.element_ids if index.element_type(e) == "power")
    power = max(powers, key=lambda e: len(set().union(*map(set, index.impact([e]).values()))))
    hit = set().union(*map(set, index.impact([power]).values()))
    expected = {c for c in hit if index.customer(c).first_channel()}
    assert len(expected) > 100

    with HttpGateway(delay_s=0.04) as gateway:
        url = gateway.url()
        channels = "".join(
            f'[channels.{c}]\nurl = "{url}"\n'
            f"concurrency = {IN_FLIGHT // 2 if c != 'sms' else IN_FLIGHT}\n"
            f"rate_per_s = 0\n" for c in ("sms", "email", "push"))
        tag = f"crash{os.getpid()}"
        config = worker_config(tmp_path, tag, tmp_path / "unused.jsonl",
                               "[correlation]\nconfirm_after_s = 1\nresolve_after_s = 3\n"
                               "[delivery]\nconcurrency = 4\n")
        config.write_text(config.read_text().split("[channels.sms]")[0] + channels)

        first, port = start_worker(config, embedded_broker.url, region=big_region,
                                   log=tmp_path / "first.log")
        try:
            wait_for(lambda: healthy(port), 120, "the first worker")
            produce(embedded_broker.bootstrap, f"{tag}.alarms.raw", [native("P1", power, "raised")])
            wait_for(lambda: len(gateway.posts) >= 30, 120, "the fan-out to start")
        finally:
            stop_worker(first, signal.SIGKILL)
        at_crash = len(gateway.posts)
        assert at_crash < len(expected), "the crash must happen mid fan-out"

        second, port = start_worker(config, embedded_broker.url, region=big_region,
                                    log=tmp_path / "second.log")
        try:
            wait_for(lambda: len(set(gateway.posts)) >= len(expected), 240,
                     "every customer's notice")
            time.sleep(3)
        finally:
            stop_worker(second)
        posts = list(gateway.posts)

    assert len(set(posts)) == len(expected), "one distinct notification per customer"
    repeats = len(posts) - len(set(posts))
    assert repeats <= 2 * IN_FLIGHT, f"{repeats} repeats: more than were in flight at the crash"
    for name in ("first.log", "second.log"):
        log = (tmp_path / name).read_text()
        assert not re.search(r"\+49\d{7,}", log), "phone numbers are masked in logs"
