"""``FileNotifier``: the ``file`` channel, one CONTRACT §6 record per line (JSONL).

Why a file: demos, replays and tests need a sink that needs nothing running, and operators
can tail it. Lines are written whole under a lock (no interleaving between concurrent
tasks) in a worker thread (a slow disk never stalls the event loop), and flushed one by
one so a reader or a crash never sees half a record.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from pathlib import Path
from typing import TextIO

from forewarn.domain import Notification
from forewarn.errors import DeliveryError

__all__ = ["FileNotifier"]

log = logging.getLogger(__name__)


class FileNotifier:
    """Appends ``notification.record()`` as one JSON line to ``path``.

    ``delivered_at`` is written as given: the caller stamps it before delivery (see
    ``Notifier``). ``fsync=True`` also forces each line to disk (slower, crash-proof).
    """

    def __init__(self, path: str | os.PathLike[str], *, fsync: bool = False) -> None:
        self.path = Path(path)
        self.fsync = fsync
        self._lock = asyncio.Lock()
        self._file: TextIO | None = None

    def _write(self, line: str) -> None:
        if self._file is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = self.path.open("a", encoding="utf-8")
        self._file.write(line)
        self._file.flush()
        if self.fsync:
            os.fsync(self._file.fileno())

    async def deliver(self, notification: Notification) -> None:
        """Append one line; ``DeliveryError(retryable=True)`` if the file cannot be written."""
        line = json.dumps(notification.record(), ensure_ascii=False) + "\n"
        async with self._lock:
            try:
                await asyncio.to_thread(self._write, line)
            except OSError as exc:
                raise DeliveryError(
                    f"cannot append to {self.path}: {exc.strerror or exc}", retryable=True
                ) from exc
        log.debug(
            "wrote notification %s (%s) to %s",
            notification.notification_id,
            notification.channel,
            self.path,
        )

    async def close(self) -> None:
        """Close the file; a later ``deliver`` would reopen it, but callers should not."""
        async with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None
