"""Delivery waits while the customer stage decides, bounded; never when it is quiet."""

from __future__ import annotations

import asyncio

import pytest

from forewarn.streams.delivery.decisions_first import DecisionsFirst


class _Time:
    """A fake monotonic clock that sleeping moves."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def _gate(t: _Time, quiet_s: float = 0.05, max_wait_s: float = 1.0,
          grant_s: float = 0.25) -> DecisionsFirst:
    return DecisionsFirst(quiet_s, max_wait_s, grant_s, clock=t.clock, sleep=t.sleep)


def test_quiet_stage_lets_delivery_go_without_waiting() -> None:
    t = _Time()
    gate = _gate(t)
    assert asyncio.run(gate.turn()) == 0.0
    assert t.slept == []


def test_delivery_waits_out_the_quiet_time_after_a_customer_message() -> None:
    t = _Time()
    gate = _gate(t, quiet_s=0.05)
    with gate.deciding():
        assert gate.busy()
    t.now += 0.01
    waited = asyncio.run(gate.turn())
    assert waited == pytest.approx(0.04, abs=0.002)  # (one more ms at most: float steps)
    assert not gate.busy()


def test_delivery_goes_once_the_quiet_time_has_passed() -> None:
    t = _Time()
    gate = _gate(t, quiet_s=0.05)
    with gate.deciding():
        pass
    t.now += 0.05
    assert not gate.busy()
    assert asyncio.run(gate.turn()) == 0.0


def test_wait_while_a_message_is_in_hand_is_bounded_by_max_wait() -> None:
    t = _Time()
    gate = _gate(t, quiet_s=0.05, max_wait_s=1.0)
    with gate.deciding():  # never ends while delivery waits: a stage deciding non-stop
        waited = asyncio.run(gate.turn())
    assert waited == pytest.approx(1.0)
    assert gate.waited_s == pytest.approx(1.0)


def test_after_a_wait_ran_out_delivery_gets_its_grant_then_waits_again() -> None:
    t = _Time()
    gate = _gate(t, quiet_s=0.05, max_wait_s=1.0, grant_s=0.25)
    with gate.deciding():  # the stage never pauses
        assert asyncio.run(gate.turn()) == pytest.approx(1.0)
        t.now += 0.2
        assert asyncio.run(gate.turn()) == 0.0  # inside the grant: no wait
        t.now += 0.05
        assert asyncio.run(gate.turn()) == pytest.approx(1.0)  # the grant is over


def test_a_wait_that_ended_in_quiet_grants_nothing() -> None:
    t = _Time()
    gate = _gate(t, quiet_s=0.05, max_wait_s=1.0, grant_s=0.25)
    with gate.deciding():
        pass
    asyncio.run(gate.turn())  # waited out the quiet time, the stage is idle
    with gate.deciding():
        assert asyncio.run(gate.turn()) == pytest.approx(1.0)  # no grant was left over


def test_nested_messages_keep_delivery_waiting_until_the_last_ends() -> None:
    t = _Time()
    gate = _gate(t)
    with gate.deciding():
        with gate.deciding():
            pass
        assert gate.busy()  # one still in hand, however long ago the other ended
        t.now += 10
        assert gate.busy()
    assert gate.busy()
    t.now += 0.05
    assert not gate.busy()


def test_negative_limits_are_refused() -> None:
    with pytest.raises(ValueError, match="must not be negative"):
        DecisionsFirst(-1.0)
    with pytest.raises(ValueError, match="must not be negative"):
        DecisionsFirst(grant_s=-0.1)


def test_delivery_runs_after_the_decisions_of_a_burst_on_a_real_loop() -> None:
    """Customer messages queued back to back: every decision happens before any delivery
    slice that asked for its turn while they were being handled."""
    order: list[str] = []

    async def main() -> None:
        gate = DecisionsFirst(quiet_s=0.02, max_wait_s=5.0)

        async def customer() -> None:
            for n in range(5):
                with gate.deciding():
                    order.append(f"decide{n}")
                    await asyncio.sleep(0.005)  # the outbox send
                await asyncio.sleep(0)  # the next message was already fetched

        async def delivery() -> None:
            await asyncio.sleep(0)  # starts while the first message is in hand
            for n in range(3):
                await gate.turn()
                order.append(f"deliver{n}")

        await asyncio.gather(customer(), delivery())

    asyncio.run(main())
    assert order[:5] == [f"decide{n}" for n in range(5)]
    assert order[5:] == ["deliver0", "deliver1", "deliver2"]
