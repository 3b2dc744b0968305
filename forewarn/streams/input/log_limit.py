"""``LogLimiter``: at most N log lines of one kind per window, then one line with the count.

Why: a NOC integration that starts sending garbage sends thousands of bad records a second;
one warning per record drowns every other log line and costs more than rejecting the record.
The operator needs to know *that* it happens, what it looks like, and how much: the first
few lines of each window say what, the summary says how many were not shown. Counts are
exact in the metrics (``forewarn_ingest_total``) either way.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

__all__ = ["LogLimiter"]


class LogLimiter:
    """Logs through ``logger`` at ``level``: ``per_window`` lines per ``window_s``, then
    counts; the count is logged when the next line arrives in a new window."""

    def __init__(self, logger: logging.Logger, *, level: int = logging.WARNING,
                 per_window: int = 10, window_s: float = 60.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.logger = logger
        self.level = level
        self.per_window = per_window
        self.window_s = window_s
        self.clock = clock
        self._window_start = -float("inf")
        self._shown = 0
        self.suppressed = 0

    def log(self, message: str, *args: object) -> None:
        """Log ``message % args`` unless this window's lines are used up."""
        now = self.clock()
        if now - self._window_start >= self.window_s:
            if self.suppressed:
                self.logger.log(self.level, "... and %d more like it in the last %.0f s "
                                "(not shown)", self.suppressed, now - self._window_start)
            self._window_start, self._shown, self.suppressed = now, 0, 0
        if self._shown < self.per_window:
            self._shown += 1
            self.logger.log(self.level, message, *args)
        else:
            self.suppressed += 1
