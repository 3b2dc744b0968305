"""Every path the console script cannot use is named on one line of stderr with what is wrong
with it, and the command exits 2 (typer's usage-error code): no traceback, no temp file."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

TINY = Path(__file__).resolve().parents[1] / "fixtures" / "regions" / "tiny"
ALARM = json.dumps({"alarm_id": "a1", "element_id": "FTTB-1", "state": "raised",
                    "severity": "critical", "event_time": "2026-01-05T10:00:00+00:00"})


def _files(tmp: Path) -> None:
    """A workspace: good inputs, a folder, a file in place of a folder, non-UTF-8 files."""
    (tmp / "folder").mkdir()
    (tmp / "alarms.jsonl").write_text(ALARM + "\n")
    (tmp / "latin1.toml").write_bytes(b"[notify]\ndefault_language = \"d\xe9\"\n")
    (tmp / "latin1.jsonl").write_bytes(b"\xff\xfe not utf-8\n")
    (tmp / "plain.txt").write_text("a file\n")


# (name, argv builder from the workspace, the path the error must name, what it must say)
Case = tuple[str, Callable[[Path], list[str]], Callable[[Path], Path], str]
CASES: list[Case] = [
    ("config not utf-8", lambda t: ["templates", "preview", "--config", str(t / "latin1.toml")],
     lambda t: t / "latin1.toml", "not UTF-8"),
    ("config is a directory", lambda t: ["replay", str(TINY), str(t / "alarms.jsonl"),
                                         "--out", str(t / "o.jsonl"),
                                         "--config", str(t / "folder")],
     lambda t: t / "folder", "is a directory"),
    ("config missing", lambda t: ["worker", "--region", str(TINY), "--config", str(t / "no.toml")],
     lambda t: t / "no.toml", "does not exist"),
    ("region missing", lambda t: ["replay", str(t / "nowhere"), str(t / "alarms.jsonl"),
                                  "--out", str(t / "o.jsonl")],
     lambda t: t / "nowhere", "does not exist"),
    ("region is a file", lambda t: ["impact", str(t / "plain.txt"), "--down", "S-A"],
     lambda t: t / "plain.txt", "not a folder"),
    ("alarm log is a directory", lambda t: ["replay", str(TINY), str(t / "folder"),
                                            "--out", str(t / "o.jsonl")],
     lambda t: t / "folder", "is a directory"),
    ("alarm log not utf-8", lambda t: ["replay", str(TINY), str(t / "latin1.jsonl"),
                                       "--out", str(t / "o.jsonl")],
     lambda t: t / "latin1.jsonl", "not UTF-8"),
    ("replay --out is a directory", lambda t: ["replay", str(TINY), str(t / "alarms.jsonl"),
                                               "--out", str(t / "folder")],
     lambda t: t / "folder", "is a directory"),
    ("replay --out in a missing directory", lambda t: ["replay", str(TINY), str(t / "alarms.jsonl"),
                                                       "--out", str(t / "no" / "o.jsonl")],
     lambda t: t / "no", "does not exist"),
    ("replay --incidents is a directory",
     lambda t: ["replay", str(TINY), str(t / "alarms.jsonl"), "--out", str(t / "o.jsonl"),
                "--incidents", str(t / "folder")],
     lambda t: t / "folder", "is a directory"),
    ("replay --incidents in a missing directory",
     lambda t: ["replay", str(TINY), str(t / "alarms.jsonl"), "--out", str(t / "o.jsonl"),
                "--incidents", str(t / "no" / "i.jsonl")],
     lambda t: t / "no", "does not exist"),
    ("index --out is a file",
     lambda t: ["index", "build", str(TINY), "--out", str(t / "plain.txt")],
     lambda t: t / "plain.txt", "is a file"),
    ("synth into a file", lambda t: ["synth", str(t / "plain.txt"), "--customers", "5"],
     lambda t: t / "plain.txt", "is a file"),
    ("coverage cells is a directory", lambda t: ["coverage", "derive", str(t / "folder"),
                                                 "--out", str(t / "c.geojson")],
     lambda t: t / "folder", "is a directory"),
    ("impact --area is a directory", lambda t: ["impact", str(TINY), "--down", "S-A",
                                                "--area", str(t / "folder")],
     lambda t: t / "folder", "is a directory"),
]


@pytest.mark.parametrize(("argv", "named", "says"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_an_unusable_path_is_named_on_one_line_and_exits_2(
    run_forewarn: object, tmp_path: Path, argv: Callable[[Path], list[str]],
    named: Callable[[Path], Path], says: str,
) -> None:
    _files(tmp_path)
    before = set(tmp_path.rglob("*"))
    proc = run_forewarn(*argv(tmp_path), timeout=120)
    assert proc.returncode == 2, proc.stderr[-2000:]
    errors = [line for line in proc.stderr.splitlines() if line.startswith("forewarn: error:")]
    assert len(errors) == 1, proc.stderr[-2000:]
    assert str(named(tmp_path)) in errors[0] and says in errors[0], errors[0]
    assert "Traceback" not in proc.stderr
    assert proc.stdout == ""
    assert set(tmp_path.rglob("*")) == before, "the command left a file behind"


def test_replay_output_write_failure_removes_its_temp_file(tmp_path: Path) -> None:
    from forewarn.paths import PathError
    from forewarn.streams.commands.replay import write_atomically

    out = tmp_path / "out.jsonl"
    out.mkdir()  # appeared after the start-up check: the rename fails
    with pytest.raises(PathError, match=str(out)):
        write_atomically(out, [{"a": 1}])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.jsonl"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_an_unreadable_alarm_log_is_named(run_forewarn: object, tmp_path: Path) -> None:
    alarms = tmp_path / "secret.jsonl"
    alarms.write_text(ALARM + "\n")
    alarms.chmod(0)
    proc = run_forewarn("replay", str(TINY), str(alarms), "--out", str(tmp_path / "o.jsonl"))
    assert proc.returncode == 2 and "permission denied" in proc.stderr
