"""Helpers shared by the integration tests (imported by name; keep this module name unique)."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Self

from aiohttp import web
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

TINY = Path(__file__).resolve().parent / "fixtures" / "regions" / "tiny"
SAMPLE = Path(__file__).resolve().parents[1] / "forewarn" / "data" / "sample_region"


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
            "event_time": datetime.now(UTC).isoformat(),
            "probable_cause": "lossOfSignal",
        }
    ).encode()


async def produce_async(bootstrap: str, topic: str, values: list[bytes]) -> None:
    """Produce raw values to partition 0 of ``topic`` in order; returns once all are on the
    broker."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=5)
    await producer.start()
    try:
        for value in values:
            await producer.send(topic, value, partition=0)
        await producer.flush()
    finally:
        await producer.stop()


def produce(bootstrap: str, topic: str, values: list[bytes]) -> None:
    """Produce raw values to partition 0 of ``topic``, as a NOC integration would."""
    asyncio.run(produce_async(bootstrap, topic, values))


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


def worker_config(directory: Path, tag: str, out: Path, extra: str = "",
                  partitions: int | None = None) -> Path:
    """A config whose topics and consumer group are unique to ``tag`` and whose channels
    all write to the JSONL file ``out``; ``extra`` is more TOML (e.g. a correlation section)."""
    config = directory / f"{tag}.toml"
    kafka_partitions = f"partitions = {partitions}\n" if partitions else ""
    config.write_text(
        extra
        + f'\n[kafka]\napp_id = "{tag}"\ntopic_prefix = "{tag}."\n{kafka_partitions}'
        + "".join(f'[channels.{c}]\nfile = "{out}"\n' for c in ("sms", "email", "push"))
    )
    return config


def start_worker(config: Path, broker_url: str, *, region: Path = TINY,
                 env: dict[str, str] | None = None, log: Path | None = None,
                 port: int | None = None,
                 index: Path | None = None) -> tuple[subprocess.Popen[str], int]:
    """``forewarn worker`` as a real process on ``broker_url``; returns it and its web port
    (``port`` when given: a config that must name its own address picks it first;
    ``index``: start from that index folder instead of ``region``)."""
    from forewarn.streams.kafka.embedded_broker import free_port

    port = port or free_port()
    full_env = dict(os.environ, FOREWARN_BROKER=broker_url, **(env or {}))
    output = log.open("w") if log is not None else subprocess.PIPE
    proc = subprocess.Popen(
        [*forewarn_exe(), "worker",
         *(["--index", str(index)] if index is not None else ["--region", str(region)]),
         "--config", str(config),
         "--web-port", str(port), *(["--verbose"] if log is not None else [])],
        env=full_env, stdout=output,
        stderr=subprocess.STDOUT if log is not None else subprocess.PIPE,
        text=True,
    )
    return proc, port


def stop_worker(proc: subprocess.Popen[str], sig: int = signal.SIGTERM) -> str:
    """Stop the worker with ``sig``; returns what it wrote to stderr (if captured)."""
    proc.send_signal(sig)
    try:
        _, stderr = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, stderr = proc.communicate()
    return stderr or ""


class HttpGateway:
    """A loopback SMS/push/e-mail gateway for ``json://`` channel URLs, run in a thread.

    It answers every ``POST /send`` after ``delay_s`` (a gateway is never instant, so a fan-out
    has requests in flight when a worker dies) and logs, in the order it answered them, each
    request's JSON body (``bodies``) and its ``id`` field (``posts``: the notification id when
    the URL comes from ``url()``). ``max_in_flight`` is the most requests it ever had open at
    once, so a test can check the concurrency it configured really bounded what was in flight.
    """

    def __init__(self, delay_s: float = 0.04) -> None:
        self.delay_s = delay_s
        self.down_until = 0.0  # time.monotonic() until which every request gets a 503
        self.refused: list[str] = []  # ids of the requests answered 503 while down
        self.posts: list[str] = []
        self.bodies: list[dict[str, Any]] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def url(self, **fields: str) -> str:
        """A channel URL posting here: ``id`` (the notification id), ``to`` and ``fields``
        (payload field -> placeholder or text, e.g. ``customer="{customer_id}"``)."""
        payload = {"id": "{notification_id}", "to": "{to}", **fields}
        return (f"json://127.0.0.1:{self.port}/send?"
                + "&".join(f":{key}={value}" for key, value in payload.items()))

    async def _handle(self, request: web.Request) -> web.Response:
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            body = await request.json()
            if time.monotonic() < self.down_until:
                self.refused.append(request.query.get("id") or body.get("id", ""))
                return web.Response(status=503, text="down for maintenance")
            await asyncio.sleep(self.delay_s)
            self.bodies.append(body)
            self.posts.append(request.query.get("id") or body.get("id", ""))
            return web.Response(text="ok")
        finally:
            self.in_flight -= 1

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        app = web.Application()
        app.router.add_post("/send", self._handle)
        runner = web.AppRunner(app)
        self._loop.run_until_complete(runner.setup())
        site = web.TCPSite(runner, "127.0.0.1", 0)
        self._loop.run_until_complete(site.start())
        self.port = site._server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()

    def __enter__(self) -> Self:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the loopback gateway did not start")
        return self

    def __exit__(self, *_: object) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)


async def _receipts_async(bootstrap: str, topic: str) -> list[dict]:
    """Every receipt on ``topic`` (all partitions, control records skipped), read until a
    poll of 1 s brings nothing new."""
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=None,
                                auto_offset_reset="earliest", enable_auto_commit=False)
    await consumer.start()
    found: list[dict] = []
    try:
        while batch := await consumer.getmany(timeout_ms=1000):
            found += [json.loads(m.value) for messages in batch.values() for m in messages
                      if not any(key == "forewarn-control" for key, _ in m.headers or ())]
    finally:
        await consumer.stop()
    return found


def receipts_on(bootstrap: str, topic: str) -> list[dict]:
    """Every record of ``notifications.delivered``-like ``topic``, control records skipped."""
    return asyncio.run(_receipts_async(bootstrap, topic))


def latest_assignment(log: Path, topic: str) -> set[int] | None:
    """The ``topic`` partitions of the worker's latest assignment (aiokafka's INFO line), or
    None before its first."""
    if not log.exists():
        return None
    lines = [line for line in log.read_text(errors="replace").splitlines()
             if "Setting newly assigned partitions" in line]
    if not lines:
        return None
    found = re.findall(rf"topic='{re.escape(topic)}', partition=(\d+)", lines[-1])
    return {int(p) for p in found}


def synth_region(tmp_path_factory: Any, name: str, seed: int, customers: int = 800) -> Path:
    """A synthetic region of ``customers`` (``forewarn synth``) in a fresh temporary folder:
    the multi-worker tests' region, big enough to put customers on every partition."""
    from forewarn.geo.commands import run_synth

    path = Path(tmp_path_factory.mktemp(name)) / "region"
    run_synth(path, customers, seed)
    return path


class BiggestPowerOutage:
    """The power element of ``region`` that takes the most mobile customers out: the one
    incident the multi-worker tests raise, with whom it hits (per service) and who of
    them has a channel (is told)."""

    def __init__(self, region: Path) -> None:
        from forewarn.geo import RegionIndex, load_region

        self.index = index = RegionIndex.build(load_region(region))
        powers = sorted(e for e in index.element_ids if index.element_type(e) == "power")
        self.power = max(powers, key=lambda e: len(index.impact([e])["mobile"]))
        self.out: dict[str, list[str]] = {
            service: list(ids) for service, ids in index.impact([self.power]).items()}
        self.hit = {c for ids in self.out.values() for c in ids}
        self.reachable = {c for c in self.hit if index.customer(c).first_channel()}


async def _values_async(bootstrap: str, topic: str) -> list[tuple[int, dict]]:
    """(partition, decoded value) of every record of ``topic`` (all partitions, control
    records skipped), read until a poll of 1 s brings nothing new."""
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=None,
                                auto_offset_reset="earliest", enable_auto_commit=False,
                                max_partition_fetch_bytes=16 << 20)
    await consumer.start()
    found: list[tuple[int, dict]] = []
    try:
        while batch := await consumer.getmany(timeout_ms=1000):
            found += [(m.partition, json.loads(m.value)) for messages in batch.values()
                      for m in messages
                      if not any(key == "forewarn-control" for key, _ in m.headers or ())]
    finally:
        await consumer.stop()
    return found


def outbox_decisions(bootstrap: str, topic: str) -> list[tuple[int, dict]]:
    """(partition, decision) of every decision on ``notifications.outbox``-like ``topic``,
    repeats included, in each partition's order."""
    return [(partition, item) for partition, value in asyncio.run(_values_async(bootstrap, topic))
            if isinstance(value, dict) and value.get("kind") == "decisions"
            for item in value.get("items") or ()]


def build_sliced_index(region: Path, folder: Path, partitions: int) -> Path:
    """``forewarn index build REGION --out FOLDER --partitions P`` as a user runs it."""
    built = subprocess.run([*forewarn_exe(), "index", "build", str(region), "--out",
                            str(folder), "--partitions", str(partitions)],
                           check=False, capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr[-2000:]
    return folder


def settled_network_owner(logs: list[Path], ports: list[int], raw: str,
                          impacts: str) -> int | None:
    """Which worker (by its log) owns ``alarms.raw`` once the group settled: each holds a
    disjoint share of ``impacts``, exactly one holds ``raw``, all are ready; else None."""
    shares = [latest_assignment(log, impacts) for log in logs]
    if not all(shares) or len(set().union(*shares)) < sum(map(len, shares)):  # type: ignore[arg-type]
        return None  # someone holds nothing yet, or two hold the same partition
    owners = [i for i, log in enumerate(logs) if latest_assignment(log, raw) == {0}]
    if len(owners) != 1 or not all(healthy(port) for port in ports):
        return None
    return owners[0]
