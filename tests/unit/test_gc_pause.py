"""The collector pause: bursts end frozen, a later quiet pause thaws, nothing else changes."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from forewarn.gc_pause import GcPolicy, gc_paused


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Iterator[_Clock]:
    yield _Clock()
    gc.unfreeze()  # leave the process as the other tests expect it
    gc.enable()


def _burst(n: int) -> list[dict[str, int]]:
    return [{"i": i} for i in range(n)]


def test_collector_is_off_inside_and_back_on_after(clock: _Clock) -> None:
    policy = GcPolicy(freeze_after=10_000, clock=clock)
    with gc_paused(policy):
        assert not gc.isenabled()
    assert gc.isenabled()


def test_inner_pause_leaves_the_outer_one_in_charge(clock: _Clock) -> None:
    policy = GcPolicy(freeze_after=10_000, clock=clock)
    with gc_paused(policy):
        with gc_paused(policy):
            kept = _burst(20_000)
        assert not gc.isenabled()  # the inner pause neither re-enabled nor froze
        assert policy.freezes == 0
    assert gc.isenabled() and policy.freezes == 1
    del kept


def test_burst_that_leaves_objects_alive_freezes_them(clock: _Clock) -> None:
    policy = GcPolicy(freeze_after=10_000, clock=clock)
    frozen_before = gc.get_freeze_count()
    with gc_paused(policy):
        kept = _burst(20_000)
    assert policy.freezes == 1
    assert gc.get_freeze_count() >= frozen_before + 20_000
    assert gc.get_count()[0] < 1_000  # the young generation starts empty, nothing to walk
    del kept


def test_burst_whose_objects_died_does_not_freeze(clock: _Clock) -> None:
    policy = GcPolicy(freeze_after=10_000, clock=clock)
    with gc_paused(policy):
        _burst(50_000)  # garbage at once: reference counting freed it
    assert policy.freezes == 0


def test_pause_just_below_the_limit_does_not_freeze(clock: _Clock) -> None:
    policy = GcPolicy(freeze_after=10_000, clock=clock)
    with gc_paused(policy):
        kept = _burst(9_000)
    assert policy.freezes == 0
    del kept


def test_quiet_pause_thaws_only_after_the_thaw_delay(clock: _Clock) -> None:
    policy = GcPolicy(freeze_after=10_000, thaw_after_s=60.0, clock=clock)
    with gc_paused(policy):
        kept = _burst(20_000)
    clock.now += 59.9
    with gc_paused(policy):
        pass
    assert policy.thaws == 0 and gc.get_freeze_count() > 0
    clock.now += 0.1
    with gc_paused(policy):
        pass
    assert policy.thaws == 1 and policy.frozen_at is None
    assert gc.get_freeze_count() == 0
    del kept


def test_cycle_garbage_is_collected_again_after_the_thaw(clock: _Clock) -> None:
    policy = GcPolicy(freeze_after=10_000, thaw_after_s=60.0, clock=clock)

    class Node:
        pass

    with gc_paused(policy):
        kept = _burst(20_000)
        node = Node()
        node.self = node  # type: ignore[attr-defined]
    ref = weakref.ref(node)
    del node
    gc.collect()
    assert ref() is not None  # frozen: the collector does not see the dead cycle
    clock.now += 60.0
    with gc_paused(policy):
        pass
    gc.collect()
    assert ref() is None
    del kept


def test_block_error_still_reenables_the_collector(clock: _Clock) -> None:
    policy = GcPolicy(freeze_after=10_000, clock=clock)
    with pytest.raises(RuntimeError), gc_paused(policy):
        raise RuntimeError("boom")
    assert gc.isenabled()
