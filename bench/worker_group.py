"""``forewarn worker`` child processes watched from outside, for benchmarks.

Each worker is the real console script with its own web port and log; what a benchmark
reads of it is what an operator sees: ``/readyz``, its log, and its memory (``VmHWM``
sampled from ``/proc``, ``ru_maxrss`` from ``os.wait4`` when it ends). A group keeps a
sampler thread that also stops every worker at once when the machine's ``MemAvailable``
falls below a floor (a shared machine must not meet the OOM killer because of a benchmark).
Workers run in their own process group and get SIGTERM from Linux if the benchmark dies.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from bench.slices import _forewarn

__all__ = ["WorkerGroup", "WorkerProcess", "mem_available_mb", "wait_until"]


#: The worker's start-up line naming how many customers its index holds.
MAPPED = re.compile(r"(\d+) customers mapped")
#: A worker that maps only its partitions' slices logs them on each assignment.
SLICES = re.compile(r"index slices mapped: \[([\d, ]*)\]")


def _die_with_parent() -> None:  # pragma: no cover - runs in the child
    """Own process group (Ctrl-C reaches only us: we stop the workers in order) and SIGTERM
    from Linux when this process dies, so a killed benchmark leaves no worker behind."""
    os.setpgrp()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class WorkerProcess:
    """One ``forewarn worker ARGS --web-port PORT`` child on ``bootstrap``, its stderr in
    ``folder/worker<number>.log``: readiness, peak memory, exit code."""

    def __init__(self, number: int, args: list[str], bootstrap: str, folder: Path) -> None:
        from forewarn.streams.kafka.embedded_broker import free_port

        self.number = number
        self.port = free_port()
        self.log = folder / f"worker{number}.log"
        self.started = time.monotonic()
        self.ready_s: float | None = None
        self.mapped: tuple[float, int] | None = None  # (s after spawn, customers)
        self.hwm_mb = 0.0
        self.maxrss_mb: float | None = None
        self.exit_code: int | None = None
        with self.log.open("wb") as log:
            self.proc = subprocess.Popen(
                [_forewarn(), "worker", *args, "--web-port", str(self.port)],
                env=dict(os.environ, FOREWARN_BROKER=f"kafka://{bootstrap}"),
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log,
                preexec_fn=_die_with_parent,  # noqa: PLW1509 - only setpgrp and prctl
            )

    def running(self) -> bool:
        """Still running (reaps it with ``os.wait4`` when not, keeping its ``ru_maxrss``)."""
        if self.exit_code is not None:
            return False
        pid, status, usage = os.wait4(self.proc.pid, os.WNOHANG)
        if pid == 0:
            return True
        self.exit_code = os.waitstatus_to_exitcode(status)
        self.proc.returncode = self.exit_code
        self.maxrss_mb = usage.ru_maxrss / 1024.0
        return False

    def sample(self) -> None:
        """Keep the highest ``VmHWM`` seen (never after the pid was reaped and could be
        reused)."""
        if self.exit_code is not None:
            return
        with contextlib.suppress(OSError, ValueError):
            for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    self.hwm_mb = max(self.hwm_mb, int(line.split()[1]) / 1024.0)

    def signal(self, sig: int) -> None:
        """``os.kill``, not ``Popen.send_signal``: that reaps an ended child with
        ``waitpid`` first, and its ``ru_maxrss`` would be lost to ``running``."""
        if self.exit_code is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.proc.pid, sig)

    def readyz(self) -> int | None:
        """The status ``/readyz`` answers (200: partitions assigned, tables recovered)."""
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/readyz",
                                        timeout=2) as answer:
                return int(answer.status)
        except urllib.error.HTTPError as exc:
            return int(exc.code)
        except OSError:
            return None

    def note_mapped(self) -> None:
        """When the worker's log first says how many customers it mapped (if it says)."""
        if self.mapped is None:
            with contextlib.suppress(OSError):
                found = MAPPED.search(self.log.read_text(errors="replace"))
                if found:
                    self.mapped = (time.monotonic() - self.started, int(found.group(1)))

    def slices(self) -> list[int] | None:
        """The slices the worker's log last said it maps (None: it never said)."""
        with contextlib.suppress(OSError):
            found = SLICES.findall(self.log.read_text(errors="replace"))
            if found:
                return [int(k) for k in found[-1].replace(",", " ").split()]
        return None

    def tail(self, lines: int = 15) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        return ""

    def peak_mb(self) -> float:
        return max(self.hwm_mb, self.maxrss_mb or 0.0)


class WorkerGroup:
    """N workers; a sampler thread keeps their peak RSS and stops them all when the
    machine's ``MemAvailable`` falls below ``min_free_mb``."""

    def __init__(self, min_free_mb: float) -> None:
        self.workers: list[WorkerProcess] = []
        self.min_free_mb = min_free_mb
        self.low_memory: str | None = None
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def start_sampling(self) -> None:
        self._thread.start()

    def _sample(self) -> None:
        while not self._done.wait(0.5):
            for worker in list(self.workers):
                worker.sample()
            available = mem_available_mb()
            if available < self.min_free_mb and self.low_memory is None:
                self.low_memory = (f"MemAvailable fell to {available:,.0f} MB, below the floor "
                                   f"of {self.min_free_mb:,.0f} MB: workers stopped")
                for worker in self.workers:
                    worker.signal(signal.SIGTERM)

    def problem(self) -> str | None:
        """Why waiting any longer is pointless: low memory, or a worker that exited."""
        if self.low_memory:
            return self.low_memory
        for worker in self.workers:
            if not worker.running():
                return (f"worker {worker.number} exited with code {worker.exit_code}; "
                        f"the end of {worker.log}:\n{worker.tail()}")
        return None

    def stop(self, timeout: float = 60.0) -> None:
        """SIGTERM (the worker's normal end), then SIGKILL after ``timeout``."""
        for worker in self.workers:
            worker.signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while any(w.running() for w in self.workers) and time.monotonic() < deadline:
            time.sleep(0.2)
        for worker in self.workers:
            if worker.running():
                print(f"worker {worker.number} did not stop within {timeout:.0f} s: killed",
                      file=sys.stderr, flush=True)
                worker.signal(signal.SIGKILL)
                while worker.running():
                    time.sleep(0.05)
        self._done.set()


def mem_available_mb() -> float:
    """The kernel's estimate of memory available without swapping, in MB."""
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) / 1024.0
    return float("inf")


def wait_until(group: WorkerGroup, predicate: Callable[[], bool], timeout: float,
               what: str) -> None:
    """Poll ``predicate`` until true; a clear ``RuntimeError`` on timeout, low memory or a
    worker that exited."""
    deadline = time.monotonic() + timeout
    while not predicate():
        problem = group.problem()
        if problem:
            raise RuntimeError(f"while waiting for {what}: {problem}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.25)
