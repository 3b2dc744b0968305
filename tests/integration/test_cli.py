"""The console script as users meet it: results on stdout, clear errors and exit codes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from forewarn.geo import RegionIndex, load_region

pytestmark = pytest.mark.integration

TINY = Path(__file__).resolve().parents[1] / "fixtures" / "regions" / "tiny"


def test_impact_prints_only_the_contract_json(run_forewarn: object) -> None:
    proc = run_forewarn("impact", str(TINY), "--down", "S-A,PON-2", check=True)
    result = json.loads(proc.stdout)
    index = RegionIndex.build(load_region(TINY))
    assert result == {"outage": index.impact(["S-A", "PON-2"])}
    assert result["outage"]["mobile"] == sorted(result["outage"]["mobile"])


def test_impact_warns_about_unknown_elements_on_stderr(run_forewarn: object) -> None:
    proc = run_forewarn("impact", str(TINY), "--down", "NOPE-1", check=True)
    assert json.loads(proc.stdout) == {"outage": {"mobile": [], "fibre": []}}
    assert "NOPE-1" in proc.stderr


def test_impact_on_a_broken_region_names_file_row_and_problem(
    run_forewarn: object, tmp_path: Path
) -> None:
    region = tmp_path / "broken"
    shutil.copytree(TINY, region)
    lines = (region / "customers.csv").read_text().splitlines()
    lines.append(lines[1])  # duplicate customer id "007"
    (region / "customers.csv").write_text("\n".join(lines) + "\n")
    proc = run_forewarn("impact", str(region), "--down", "S-A")
    assert proc.returncode != 0
    assert proc.stdout == ""
    assert "customers.csv" in proc.stderr and "007" in proc.stderr


def test_replay_of_a_missing_file_fails_clearly(run_forewarn: object, tmp_path: Path) -> None:
    proc = run_forewarn("replay", str(TINY), str(tmp_path / "nope.jsonl"), "--out",
                        str(tmp_path / "o.jsonl"))
    assert proc.returncode == 2 and "nope.jsonl" in proc.stderr


def test_unknown_config_key_fails_at_start_with_its_name(
    run_forewarn: object, tmp_path: Path,
) -> None:
    config = tmp_path / "bad.toml"
    config.write_text("[correlation]\nconfirm_after = 5\n")
    alarms = tmp_path / "a.jsonl"
    alarms.write_text("")
    proc = run_forewarn("replay", str(TINY), str(alarms), "--out", str(tmp_path / "o.jsonl"),
                        "--config", str(config))
    assert proc.returncode == 2 and "confirm_after" in proc.stderr


def test_synth_writes_a_region_that_loads(run_forewarn: object, tmp_path: Path) -> None:
    run_forewarn("synth", str(tmp_path / "r"), "--customers", "200", "--seed", "5", check=True)
    index = RegionIndex.build(load_region(tmp_path / "r"))
    assert len(index) == 200


def test_demo_tells_the_story_and_exits_zero(run_forewarn: object) -> None:
    from forewarn.streams.commands.demo import sample_region_path
    from forewarn.streams.commands.story import choose_targets

    proc = run_forewarn("demo", "--duration", "25", "--web-port", "0", timeout=240)
    assert proc.returncode == 0, proc.stderr[-3000:]
    index = RegionIndex.build(load_region(sample_region_path()))
    targets = choose_targets(index)
    told = {c for element in (targets.power, targets.fibre_node)
            for ids in index.impact([element]).values() for c in ids
            if index.customer(c).first_channel()}
    flapped = set(index.impact([targets.flapping_cell])["mobile"])
    lines = proc.stdout.splitlines()
    for stage in ("outage", "resolved"):
        shown = {line.split()[1] for line in lines if line.strip().startswith(stage + " C")}
        assert shown == told, stage
    assert flapped and not flapped & told, "the 40-second flap must send nothing"


def test_templates_preview_reports_every_sms_within_one_segment(run_forewarn: object) -> None:
    proc = run_forewarn("templates", "preview", "--json", check=True)
    entries = [json.loads(line) for line in proc.stdout.splitlines()]
    sms = [e for e in entries if e["channel"] == "sms"]
    assert {e["language"] for e in entries} >= {"de", "en"}
    assert {e["stage"] for e in sms} >= {"outage", "update", "resolved", "planned", "completed"}
    assert all(e["gsm7"] and e["segments"] == 1 and e["septets"] <= 160 for e in sms)


def test_an_unreachable_broker_is_retried_with_backoff_then_named(
    run_forewarn: object, tmp_path: Path
) -> None:
    from forewarn.streams.kafka.embedded_broker import free_port

    config = tmp_path / "forewarn.toml"
    config.write_text("[kafka]\nconnect_retry_s = 3\n")
    address = f"127.0.0.1:{free_port()}"  # nothing listens there
    proc = run_forewarn("worker", "--region", str(TINY), "--config", str(config),
                        "--web-port", str(free_port()),
                        env={"FOREWARN_BROKER": f"kafka://{address}"}, timeout=120)
    assert proc.returncode != 0
    assert proc.stderr.count(f"cannot reach the Kafka broker at {address}") >= 3
    assert "retrying in 0.5 s" in proc.stderr and "retrying in 1.0 s" in proc.stderr
    assert "kafka.connect_retry_s" in proc.stderr.splitlines()[-1]
