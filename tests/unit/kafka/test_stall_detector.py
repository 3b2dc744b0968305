"""The stall decision (``forewarn.streams.kafka.stall``) on a fake clock: input waiting and
no progress for ``stall_after_s`` is a stall, exactly at the limit; progress, caught-up
input and pauses stop the clock."""

from __future__ import annotations

import pytest

from forewarn.streams.kafka.stall import StallDetector

LIMIT = 120.0


def waiting(detector: StallDetector, now: float, position: int = 5, end: int = 9,
            **kwargs: object) -> None:
    detector.observe("customers", 2, position=position, end=end, now=now, **kwargs)  # type: ignore[arg-type]


def test_input_waiting_without_progress_stalls_exactly_at_the_limit() -> None:
    detector = StallDetector(LIMIT, 60)
    waiting(detector, 1000.0)
    waiting(detector, 1000.0 + LIMIT - 1)
    assert detector.stalls(1000.0 + LIMIT - 1) == []
    waiting(detector, 1000.0 + LIMIT)
    [stall] = detector.stalls(1000.0 + LIMIT)
    assert (stall.stage, stall.partition, stall.position, stall.end) == ("customers", 2, 5, 9)
    assert stall.seconds == LIMIT
    assert "customers" in stall.describe() and "offset 5" in stall.describe()


def test_a_moving_position_resets_the_clock() -> None:
    detector = StallDetector(LIMIT, 60)
    waiting(detector, 0.0, position=5)
    waiting(detector, 100.0, position=6)  # progress, still behind
    assert detector.stalls(100.0 + LIMIT - 1) == []
    assert detector.waiting_for("customers", 100.0 + LIMIT - 1) == LIMIT - 1
    assert len(detector.stalls(100.0 + LIMIT)) == 1


def test_activity_inside_one_message_is_progress() -> None:
    detector = StallDetector(LIMIT, 60)
    waiting(detector, 0.0, activity=1)
    waiting(detector, 100.0, activity=2)  # a notification of a large batch delivered
    assert detector.stalls(LIMIT) == []
    assert len(detector.stalls(100.0 + LIMIT)) == 1


def test_no_input_waiting_never_stalls() -> None:
    detector = StallDetector(LIMIT, 60)
    for now in (0.0, 1000.0, 100_000.0):
        waiting(detector, now, position=9, end=9)  # caught up, position unchanged
        detector.observe("delivery", 0, position=None, end=None, now=now)  # nothing seen yet
    assert detector.stalls(100_000.0) == []
    assert detector.waiting_for("customers", 100_000.0) == 0.0


def test_a_paused_partition_is_not_stalled_and_its_clock_restarts_on_resume() -> None:
    detector = StallDetector(LIMIT, 60)
    waiting(detector, 0.0)
    waiting(detector, 1000.0, paused=True)  # back-pressure / flow control: idle on purpose
    assert detector.stalls(1000.0) == []
    waiting(detector, 1001.0)  # resumed, same position: the clock starts again here
    assert detector.stalls(1001.0 + LIMIT - 1) == []
    assert len(detector.stalls(1001.0 + LIMIT)) == 1


def test_check_reports_a_stall_once_then_its_end() -> None:
    detector = StallDetector(LIMIT, 60)
    waiting(detector, 0.0)
    first = detector.check(LIMIT)
    assert [s.stage for s in first.began] == ["customers"] and not first.ended
    again = detector.check(LIMIT + 5)
    assert again.began == () and len(again.stalled) == 1
    waiting(detector, LIMIT + 6, position=6)  # it moved
    resumed = detector.check(LIMIT + 6)
    assert resumed.stalled == () and resumed.ended == (("customers", 2),)


def test_a_stall_expires_after_stall_exit_s_more_not_one_second_before() -> None:
    detector = StallDetector(LIMIT, 60)
    waiting(detector, 0.0)
    assert detector.check(LIMIT + 59).expired == ()
    assert len(detector.check(LIMIT + 60).expired) == 1


def test_a_revoked_partition_is_forgotten() -> None:
    detector = StallDetector(LIMIT, 60)
    waiting(detector, 0.0)
    detector.forget("customers", 2)
    assert detector.stalls(10 * LIMIT) == []


@pytest.mark.parametrize(("after", "exit_"), [(0, 60), (-1, 60), (120, -1)])
def test_limits_out_of_range_are_refused_naming_the_setting(after: float, exit_: float) -> None:
    with pytest.raises(ValueError, match="stall_after_s" if after <= 0 else "stall_exit_s"):
        StallDetector(after, exit_)
