"""A worker left running for the whole test session, for the ten-minute log test.

Why in the background: issue 14 asks that a worker's log over a ten-minute live run has no
Kafka warnings and no escape codes (Faust's fetch-request check only fires after 300 s), and
``make test`` must not wait ten extra minutes. ``tests/integration/conftest.py`` starts one
``LiveRun`` right after collection when ``test_ten_minute_worker_log.py`` is collected, runs
that test last, and stops the run at session end whatever happened.

The run has its own broker and topic prefix and costs little CPU: the worker's own ticks
(live mode, every second), and a trickle over HTTP: one long incident (``LONG``) with a NOC
update every ``update_every_s``, and a short outage raised and cleared every ``cycle_s``,
so notices go out, receipts are counted and incidents end all along. The short outages
take turns over ``ROTATION`` (each element at most every 12 minutes): an element that
changes state 4 times within 600 s is flapping, which the log rightly warns about.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Self

from tests.forewarn_testing import SAMPLE, forewarn_exe, healthy, worker_config

__all__ = ["LiveRun"]

TOKEN = "live-run-token-4b7e"
LONG = "S0002"  # out for the whole run (9 customers of the sample region)
ROTATION = ("S0001", "S0004", "PON-0004", "S0008", "PON-0005", "S0011", "PON-0007",
            "S0005", "PON-0008", "S0012", "PON-0006", "FTTB-001")  # each leaves someone out


def _die_with_parent() -> None:  # pragma: no cover - runs in the child
    """The worker must not outlive a pytest that was killed (Linux parent-death signal)."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)


class LiveRun:
    """One broker, one worker (stderr to a file, as in production: not a terminal), and
    the trickle thread. ``started`` is the worker's start (monotonic seconds)."""

    def __init__(self, *, cycle_s: float = 60.0, update_every_s: float = 120.0) -> None:
        from forewarn.streams.kafka.embedded_broker import EmbeddedBroker, free_port

        self.cycle_s = cycle_s
        self.update_every_s = update_every_s
        self.folder = Path(tempfile.mkdtemp(prefix="forewarn-live-run-"))
        self.out = self.folder / "notifications.jsonl"
        self.log_path = self.folder / "worker.stderr"
        self.posts: list[int] = []  # HTTP status of every trickle request
        self.errors: list[str] = []  # trickle requests that failed outright
        self.ready_at: float | None = None
        self._stop = threading.Event()
        self._broker = EmbeddedBroker()
        self._proc: subprocess.Popen[bytes] | None = None
        self._thread: threading.Thread | None = None
        self._free_port = free_port

    @classmethod
    def start(cls, **options: float) -> Self:
        run = cls(**options)
        try:
            run._start()
        except BaseException:
            run.stop()
            raise
        return run

    def _start(self) -> None:
        handle = self._broker.start()
        tag = f"live{os.getpid()}"
        config = worker_config(self.folder, tag, self.out,
                               "[correlation]\nconfirm_after_s = 2\nresolve_after_s = 3\n",
                               partitions=2)
        self.port = self._free_port()
        env = dict(os.environ, FOREWARN_BROKER=handle.url, FOREWARN_API_TOKENS=TOKEN)
        with self.log_path.open("wb") as log:  # the child keeps its own descriptor
            self._proc = subprocess.Popen(
                [*forewarn_exe(), "worker", "--region", str(SAMPLE), "--config", str(config),
                 "--web-port", str(self.port)],
                env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log,
                # PR_SET_PDEATHSIG has no Popen argument; the child only calls prctl.
                preexec_fn=_die_with_parent)  # noqa: PLW1509
        self.started = time.monotonic()
        self._thread = threading.Thread(target=self._trickle, name="live-run-trickle",
                                        daemon=True)
        self._thread.start()

    # -- what the test reads -------------------------------------------------------------

    @property
    def elapsed_s(self) -> float:
        return time.monotonic() - self.started

    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def records(self) -> list[dict[str, object]]:
        if not self.out.exists():
            return []
        return [json.loads(line) for line in self.out.read_text().splitlines() if line.strip()]

    def finish(self, timeout_s: float = 60.0) -> tuple[int | None, str]:
        """Stop the trickle, SIGTERM the worker, wait; its exit code and whole stderr."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
        code = None
        if self._proc is not None:
            if self._proc.poll() is None:
                self._proc.send_signal(signal.SIGTERM)
            try:
                code = self._proc.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        return code, self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self) -> None:
        """Everything down (idempotent): trickle, worker, broker, files."""
        with contextlib.suppress(Exception):
            self.finish(timeout_s=20.0)
        with contextlib.suppress(Exception):
            self._broker.stop()
        shutil.rmtree(self.folder, ignore_errors=True)

    # -- the trickle ---------------------------------------------------------------------

    def _trickle(self) -> None:
        while not self._stop.is_set() and not healthy(self.port):
            if not self.running():
                return
            self._stop.wait(1.0)
        if self._stop.is_set():
            return
        self.ready_at = time.monotonic()
        self._post(_alarm("LIVE-LONG", LONG, "raised"))
        cycle = 0
        next_update = time.monotonic() + self.update_every_s
        while not self._stop.is_set():
            element = ROTATION[cycle % len(ROTATION)]
            cycle += 1
            self._post(_alarm(f"LIVE-{cycle}", element, "raised"))
            if self._stop.wait(self.cycle_s / 2):
                break
            self._post(_alarm(f"LIVE-{cycle}", element, "cleared"))
            if time.monotonic() >= next_update:
                next_update += self.update_every_s
                eta = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
                self._post({"type": "incident_update", "element_id": LONG, "eta": eta,
                            "message": f"Technicians on site ({cycle})",
                            "event_time": datetime.now(UTC).isoformat()})
            self._stop.wait(self.cycle_s / 2)

    def _post(self, record: dict[str, object]) -> None:
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/api/v1/alarms", data=json.dumps(record).encode(),
            headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                self.posts.append(response.status)
        except urllib.error.HTTPError as exc:
            self.posts.append(exc.code)
        except OSError as exc:
            self.errors.append(f"{record.get('alarm_id', record.get('type'))}: {exc}")


def _alarm(alarm_id: str, element: str, state: str) -> dict[str, object]:
    return {"alarm_id": alarm_id, "element_id": element, "state": state,
            "severity": "critical", "event_time": datetime.now(UTC).isoformat(),
            "probable_cause": "powerProblem"}
