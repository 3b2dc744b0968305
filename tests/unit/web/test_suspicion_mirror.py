"""Open suspicions for callers answered on a worker without the incident board: read from the
board's worker at most once per ``max_age_s``, the last list kept when a read fails."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from forewarn.streams.web.suspicion_mirror import SuspicionMirror

SUSPICION = {"incident_id": "SUS-1", "element_id": "PON-1", "at": 1.0, "reports": 6}


class Board:
    """The board's worker as seen over HTTP: what it answers, how often it was asked."""

    def __init__(self) -> None:
        self.answer: list[dict[str, Any]] | None = [SUSPICION]
        self.failure: Exception | None = None
        self.reads = 0

    async def fetch(self) -> list[dict[str, Any]] | None:
        self.reads += 1
        if self.failure is not None:
            raise self.failure
        return self.answer


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def mirror(board: Board, clock: Clock, here: bool = False) -> SuspicionMirror:
    return SuspicionMirror(board_here=lambda: here, local=lambda: [{"incident_id": "LOCAL"}],
                           fetch=board.fetch, max_age_s=1.0, clock=clock)


async def test_the_worker_holding_the_board_reads_its_own_and_asks_nobody() -> None:
    board, clock = Board(), Clock()
    seen = mirror(board, clock, here=True)
    await seen.refresh()
    assert seen.latest() == [{"incident_id": "LOCAL"}] and board.reads == 0


async def test_another_worker_reads_the_boards_list_at_most_once_per_max_age() -> None:
    board, clock = Board(), Clock()
    seen = mirror(board, clock)
    assert seen.latest() == []  # nothing read yet
    await seen.refresh()
    await seen.refresh()
    assert seen.latest() == [SUSPICION] and board.reads == 1
    board.answer = []
    clock.now += 0.9
    await seen.refresh()
    assert seen.latest() == [SUSPICION] and board.reads == 1
    clock.now += 0.1
    await seen.refresh()
    assert seen.latest() == [] and board.reads == 2


async def test_a_failed_read_keeps_the_last_list_logs_once_and_retries_after_max_age(
        caplog: pytest.LogCaptureFixture) -> None:
    board, clock = Board(), Clock()
    seen = mirror(board, clock)
    await seen.refresh()
    board.failure = OSError("connection refused")
    for _ in range(3):
        clock.now += 1.0
        await seen.refresh()
    assert seen.latest() == [SUSPICION] and board.reads == 4
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "connection refused" in warnings[0].getMessage()
    board.failure = None
    board.answer = []
    await seen.refresh()  # within max_age of the failed read: not yet
    assert board.reads == 4
    clock.now += 1.0
    await seen.refresh()
    assert seen.latest() == [] and board.reads == 5


async def test_while_no_board_owner_is_known_the_last_list_stays() -> None:
    board, clock = Board(), Clock()
    seen = mirror(board, clock)
    await seen.refresh()
    board.answer = None
    clock.now += 1.0
    await seen.refresh()
    assert seen.latest() == [SUSPICION]
