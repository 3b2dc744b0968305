"""A stage stuck without crashing must not look alive (the stall watchdog), on a real worker
process and the embedded broker.

Hung: the SMS/e-mail/push gateway accepts the request and never answers (channel timeout
far beyond the test), so the delivery agent's handler awaits for ever with its outbox
message unfinished: ``/healthz`` turns 503 naming ``delivery``, the worker logs the stall
and, ``stall_exit_s`` later, exits non-zero. Control: the same story through a gateway that
answers slowly, one request at a time, so delivering everyone takes longer than
``stall_after_s`` but each step does not: the worker stays healthy and tells everyone."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from forewarn.geo import RegionIndex, load_region
from tests.forewarn_testing import (
    TINY,
    HttpGateway,
    get_json,
    healthy,
    native,
    produce,
    start_worker,
    stop_worker,
    wait_for,
    worker_config,
)

pytestmark = pytest.mark.integration

STALL_AFTER_S = 4.0
STALL_EXIT_S = 4.0


def _config(tmp_path: Path, tag: str, url: str) -> Path:
    config = worker_config(
        tmp_path, tag, tmp_path / "unused.jsonl",
        "[correlation]\nconfirm_after_s = 1\nresolve_after_s = 3\n"
        f"[worker]\nstall_after_s = {STALL_AFTER_S}\nstall_exit_s = {STALL_EXIT_S}\n"
        "[delivery]\nattempts = 1\nconcurrency = 1\n")
    config.write_text(config.read_text().split("[channels.sms]")[0] + "".join(
        f'[channels.{c}]\nurl = "{url}"\nrate_per_s = 0\nconcurrency = 1\ntimeout_s = 3600\n'
        for c in ("sms", "email", "push")))
    return config


def _health(port: int) -> tuple[int, dict[str, object]]:
    import json
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())
    except OSError:
        return 0, {}


def _reachable() -> set[str]:
    index = RegionIndex.build(load_region(TINY))
    hit = set(index.impact(["S-A"])["mobile"]) | set(index.impact(["S-A"])["fibre"])
    return {c for c in hit if index.customer(c).first_channel()}


def test_a_hung_delivery_turns_healthz_503_naming_it_and_the_worker_exits_non_zero(
    embedded_broker: object, tmp_path: Path
) -> None:
    tag = f"stallhung{os.getpid()}"
    log = tmp_path / "worker.log"
    with HttpGateway(delay_s=3600) as gateway:  # accepts, never answers
        # rto: apprise's read timeout (4 s by default) would end each attempt, and a stage
        # whose attempts end (dead letters) is moving, not stalled.
        config = _config(tmp_path, tag, gateway.url() + "&rto=3600")
        worker, port = start_worker(config, embedded_broker.url, log=log)
        try:
            wait_for(lambda: healthy(port), 90, "the worker")
            assert _health(port)[0] == 200
            produce(embedded_broker.bootstrap, f"{tag}.alarms.raw",
                    [native("H1", "S-A", "raised")])
            wait_for(lambda: gateway.in_flight > 0, 60, "a delivery hanging at the gateway")
            answers: list[tuple[int, dict[str, object]]] = []

            def unhealthy() -> bool:
                answers.append(_health(port))
                return answers[-1][0] == 503

            wait_for(unhealthy, 60, "/healthz answering 503")
            _, body = answers[-1]
            assert body["status"] == "stalled" and body["stage"] == "delivery"
            assert "delivery" in str(body["reason"])
            assert get_json(f"http://127.0.0.1:{port}/readyz") is None  # 503 too
            code = worker.wait(timeout=120)  # stall_exit_s later it stops by itself
        finally:
            if worker.poll() is None:
                stop_worker(worker)
    assert code != 0
    text = log.read_text()
    assert "stalled: stage delivery" in text
    assert "the worker stopped because a stage failed" in text


def test_a_slow_but_moving_delivery_stays_healthy_and_tells_everyone(
    embedded_broker: object, tmp_path: Path
) -> None:
    reachable = _reachable()
    delay_s = 1.5
    # Delivering everyone one at a time takes longer than stall_after_s; each step does not.
    assert len(reachable) * delay_s > STALL_AFTER_S
    tag = f"stallslow{os.getpid()}"
    with HttpGateway(delay_s=delay_s) as gateway:
        config = _config(tmp_path, tag, gateway.url(customer="{customer_id}"))
        worker, port = start_worker(config, embedded_broker.url, log=tmp_path / "worker.log")
        try:
            wait_for(lambda: healthy(port), 90, "the worker")
            produce(embedded_broker.bootstrap, f"{tag}.alarms.raw",
                    [native("S1", "S-A", "raised")])
            statuses: list[int] = []
            deadline = time.monotonic() + 120
            while len(gateway.posts) < len(reachable) and time.monotonic() < deadline:
                statuses.append(_health(port)[0])
                time.sleep(0.5)
            time.sleep(STALL_AFTER_S + 1)  # past the limit once more, all delivered
            statuses.append(_health(port)[0])
            assert worker.poll() is None, "the worker must still run"
        finally:
            stop_worker(worker)
    assert sorted(body["customer"] for body in gateway.bodies) == sorted(reachable)
    assert statuses and set(statuses) == {200}, statuses
    assert gateway.max_in_flight == 1
