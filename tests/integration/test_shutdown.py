"""Commands always end: a replay whose story yields one notification exits 0 (it used to hang
forever on a producer batch for a topic aiokafka had dropped from its metadata), and SIGTERM
ends a running replay or worker within a bound, with a clear exit code and no output left
half-written."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.forewarn_testing import (
    TINY,
    forewarn_exe,
    healthy,
    start_worker,
    wait_for,
    worker_config,
)

pytestmark = pytest.mark.integration

# What the issue asks: SIGTERM ends any command within this; signals.EXIT_BOUND_S is 12 s.
SIGTERM_BOUND_S = 15.0
SAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "alarms"


def one_native_alarm() -> str:
    """A critical alarm on FTTB-1: in the tiny region it serves exactly one customer."""
    return json.dumps({"alarm_id": "a1", "element_id": "FTTB-1", "state": "raised",
                       "severity": "critical", "event_time": "2026-01-05T10:00:00+00:00"})


def one_ves_fault() -> str:
    """A real ONAP VES 7 fault event, its source renamed to FTTB-1 (one customer)."""
    sample = SAMPLES / "onap_ves" / "ves7_valid_30_1_1_event.json"
    if not sample.is_file():
        pytest.skip("shared ONAP VES sample not available")
    event = json.loads(sample.read_text(encoding="utf-8"))
    event["event"]["commonEventHeader"]["sourceName"] = "FTTB-1"
    return json.dumps(event)


@pytest.mark.parametrize("run", [1, 2, 3])
def test_replay_of_a_one_notification_story_exits_zero(
    run_forewarn: object, tmp_path: Path, run: int
) -> None:
    alarms = tmp_path / "one.jsonl"
    alarms.write_text(one_native_alarm() + "\n")
    out = tmp_path / "out.jsonl"
    proc = run_forewarn("replay", str(TINY), str(alarms), "--out", str(out), timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    told = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(n["customer_id"], n["stage"]) for n in told] == [("f-fttb", "outage")]
    assert not list(tmp_path.glob("*.tmp"))


def test_replay_of_one_real_ves_fault_exits_zero_with_its_notification(
    run_forewarn: object, tmp_path: Path
) -> None:
    alarms = tmp_path / "ves.jsonl"
    alarms.write_text(one_ves_fault() + "\n")
    out = tmp_path / "out.jsonl"
    proc = run_forewarn("replay", str(TINY), str(alarms), "--out", str(out), timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    told = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(n["customer_id"], n["stage"]) for n in told] == [("f-fttb", "outage")]


def _ended_within(proc: subprocess.Popen[str], bound_s: float) -> tuple[int, float]:
    """(exit code, seconds from now until it ended); kills it if it overruns 4x."""
    start = time.monotonic()
    try:
        code = proc.wait(timeout=bound_s * 4)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise AssertionError(f"still running {bound_s * 4:.0f} s after SIGTERM") from None
    return code, time.monotonic() - start


def test_sigterm_ends_a_running_replay_within_the_bound_without_output(tmp_path: Path) -> None:
    alarms = tmp_path / "long.jsonl"  # long enough that it is still running when signalled
    alarms.write_text("".join(
        json.dumps({"alarm_id": f"a{i}", "element_id": "PON-2",
                    "state": "raised" if i % 2 == 0 else "cleared", "severity": "critical",
                    "event_time": f"2026-01-05T10:{i // 60 % 60:02d}:{i % 60:02d}+00:00"}) + "\n"
        for i in range(20000)))
    out = tmp_path / "out.jsonl"
    log = tmp_path / "replay.log"
    env = {k: v for k, v in os.environ.items() if k != "FOREWARN_BROKER"}
    with log.open("w") as stderr:
        proc = subprocess.Popen([*forewarn_exe(), "replay", str(TINY), str(alarms), "--out",
                                 str(out)], stdout=subprocess.DEVNULL, stderr=stderr, text=True,
                                env=env)
    # The point to interrupt: the pipeline runs (its network stage reads alarms.raw).
    wait_for(lambda: "network stage: reading alarms.raw" in log.read_text(), 120,
             "the replay's pipeline to run")
    assert proc.poll() is None, "the replay ended before it could be interrupted"
    proc.send_signal(signal.SIGTERM)
    code, took = _ended_within(proc, SIGTERM_BOUND_S)
    assert code == 128 + signal.SIGTERM, log.read_text()[-3000:]
    assert took < SIGTERM_BOUND_S, f"took {took:.1f} s"
    assert "interrupted by SIGTERM" in log.read_text()
    assert not out.exists() and not list(tmp_path.glob("*.tmp"))


def test_sigterm_ends_a_running_worker_within_the_bound(
    embedded_broker: object, tmp_path: Path
) -> None:
    tag = f"sigterm{os.getpid()}"
    config = worker_config(tmp_path, tag, tmp_path / "n.jsonl")
    proc, port = start_worker(config, embedded_broker.url, log=tmp_path / "worker.log")
    try:
        wait_for(lambda: healthy(port), 90, "the worker to be ready")
        proc.send_signal(signal.SIGTERM)
        code, took = _ended_within(proc, SIGTERM_BOUND_S)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert code == 0, (tmp_path / "worker.log").read_text()[-3000:]  # the worker's normal stop
    assert took < SIGTERM_BOUND_S, f"took {took:.1f} s"
