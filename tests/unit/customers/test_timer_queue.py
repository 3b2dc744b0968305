"""TimerQueue hands timers out in the order a heap of the same tuples would."""

from __future__ import annotations

import heapq

from hypothesis import given
from hypothesis import strategies as st

from forewarn.streams.customers.timer_queue import Timer, TimerQueue

timers = st.tuples(st.sampled_from([10.0, 20.0, 20.5, 30.0]),
                   st.sampled_from(["c-1", "c-2", "c-3"]), st.integers(0, 2),
                   st.sampled_from(["mobile", "fibre", "~mobile"]),
                   st.sampled_from(["confirm", "end", "clock"]))


@given(st.lists(timers, max_size=80), st.lists(timers, max_size=20),
       st.sampled_from([15.0, 20.5, 100.0]))
def test_due_timers_come_out_in_heap_order_with_later_pushes_interleaved(
    first: list[Timer], later: list[Timer], limit: float,
) -> None:
    queue, heap = TimerQueue(first), list(first)
    heapq.heapify(heap)
    expected: list[Timer] = []
    while heap and heap[0][0] <= limit:
        expected.append(heapq.heappop(heap))
    got = [t for bucket in iter(lambda: queue.pop_due(limit), None) for t in bucket]
    assert got == expected
    for timer in later:  # pushed after some came due: still in order with the rest
        queue.push(timer)
        heapq.heappush(heap, timer)
    assert len(queue) == len(heap)
    rest = [t for bucket in iter(lambda: queue.pop_due(float("inf")), None) for t in bucket]
    assert rest == [heapq.heappop(heap) for _ in range(len(heap))]


def test_earliest_and_drop_earliest() -> None:
    queue = TimerQueue([(20.0, "c-1", 0, "mobile", "end"), (10.0, "c-2", 0, "mobile", "confirm"),
                        (10.0, "c-1", 0, "mobile", "confirm")])
    assert queue.earliest() == 10.0 and len(queue) == 3
    assert sorted(queue.at(10.0)) == [(10.0, "c-1", 0, "mobile", "confirm"),
                                      (10.0, "c-2", 0, "mobile", "confirm")]
    queue.drop_earliest()
    assert (queue.earliest(), len(queue)) == (20.0, 1)
    assert queue.pop_due(19.0) is None
    assert queue.pop_due(20.0) == [(20.0, "c-1", 0, "mobile", "end")]
    assert queue.earliest() is None and len(queue) == 0
