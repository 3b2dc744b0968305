"""Helpers shared by the integration tests (imported by name; keep this module name unique)."""

from __future__ import annotations

import asyncio
import json
import sys
import time
import urllib.request
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

from aiokafka import AIOKafkaProducer

TINY = Path(__file__).resolve().parent / "fixtures" / "regions" / "tiny"


def forewarn_exe() -> list[str]:
    """The installed console script (CONTRACT §1), falling back to ``python -m``."""
    exe = Path(sys.executable).with_name("forewarn")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "forewarn.cli"]


def native(alarm_id: str, element: str, state: str, severity: str = "major") -> bytes:
    """A native alarm stamped now (live mode)."""
    return json.dumps(
        {
            "alarm_id": alarm_id,
            "element_id": element,
            "state": state,
            "severity": severity,
            "event_time": datetime.now(timezone.utc).isoformat(),
            "probable_cause": "lossOfSignal",
        }
    ).encode()


async def _produce(bootstrap: str, topic: str, values: list[bytes]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        for value in values:
            await producer.send_and_wait(topic, value, partition=0)
    finally:
        await producer.stop()


def produce(bootstrap: str, topic: str, values: list[bytes]) -> None:
    """Produce raw values to partition 0 of ``topic``, as a NOC integration would."""
    asyncio.run(_produce(bootstrap, topic, values))


def wait_for(predicate: Callable[[], object], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def read_records(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def get_json(url: str) -> object | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return json.loads(response.read())
    except OSError:
        return None


def healthy(port: int) -> bool:
    """The worker is ready: partitions assigned, tables recovered (``/readyz``)."""
    return get_json(f"http://127.0.0.1:{port}/readyz") is not None
