"""LogLimiter: a flood of one kind of log line shows its first few per window and a count."""

from __future__ import annotations

import logging

import pytest

from forewarn.streams.input.log_limit import LogLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_flood_shows_the_first_lines_then_how_many_were_not_shown(
        caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    limiter = LogLimiter(logging.getLogger("flood"), per_window=3, window_s=60, clock=clock)
    with caplog.at_level(logging.WARNING, logger="flood"):
        for n in range(1000):
            limiter.log("rejected %d", n)
        assert [r.getMessage() for r in caplog.records] == [
            "rejected 0", "rejected 1", "rejected 2"]
        clock.now += 60
        limiter.log("rejected %d", 1000)
    assert [r.getMessage() for r in caplog.records][3:] == [
        "... and 997 more like it in the last 60 s (not shown)", "rejected 1000"]


def test_a_quiet_stream_logs_every_line(caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    limiter = LogLimiter(logging.getLogger("quiet"), per_window=3, window_s=60, clock=clock)
    with caplog.at_level(logging.WARNING, logger="quiet"):
        for n in range(5):
            limiter.log("rejected %d", n)
            clock.now += 30
    assert [r.getMessage() for r in caplog.records] == [f"rejected {n}" for n in range(5)]
    assert limiter.suppressed == 0
