"""Dead letters counted once the broker acknowledged them (``forewarn_dead_letters``).

Why here and not where a letter is decided: a letter that is queued but never acknowledged
(the broker down, the worker killed) is not on the topic, and some rejected records never
become letters at all (a 413 body, the letters beyond a request's cap). The metric must
match what an operator finds on ``alarms.dead-letter`` / ``notifications.dead-letter``, so
every producer that writes a dead letter hands its send future to ``watch``.
"""

from __future__ import annotations

import asyncio
import functools
from collections import Counter
from collections.abc import Mapping
from typing import Any

__all__ = ["LetterCount"]


class LetterCount:
    """Acknowledged records per dead-letter topic; ``topics``: topic name -> shown name."""

    def __init__(self, topics: Mapping[str, str]) -> None:
        self.topics = dict(topics)
        self._acked: Counter[str] = Counter()

    def watch(self, topic: str, future: asyncio.Future[Any]) -> None:
        """Count the record of ``future`` when it succeeds, if ``topic`` is a dead-letter
        topic (anything else is ignored, so every send may be handed here)."""
        shown = self.topics.get(topic)
        if shown is not None:
            future.add_done_callback(functools.partial(self._done, shown))

    def _done(self, shown: str, future: asyncio.Future[Any]) -> None:
        if not future.cancelled() and future.exception() is None:
            self._acked[shown] += 1

    def acked(self) -> dict[str, int]:
        """Acknowledged letters by shown name (every dead-letter topic, 0 for none yet)."""
        return {shown: self._acked[shown] for shown in self.topics.values()}
