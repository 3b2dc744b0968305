"""The pieces that make every command end: a signal interrupts what a command waits for, and
the command's event loop closes even when a leftover task ignores its cancellation."""

from __future__ import annotations

import asyncio
import signal
import threading

import pytest

from forewarn.streams.kafka.runner import run_command
from forewarn.streams.kafka.signals import Interrupted, StopRequest


def test_run_until_returns_the_result_when_no_signal_comes() -> None:
    async def main() -> int:
        stop = StopRequest()
        return await stop.run_until(asyncio.sleep(0, result=7))

    assert asyncio.run(main()) == 7


def test_a_signal_interrupts_the_wait_with_the_shell_exit_code() -> None:
    async def main() -> None:
        stop = StopRequest(bound_s=3600)
        forever = asyncio.get_running_loop().create_future()
        asyncio.get_running_loop().call_soon(stop.signal, signal.SIGTERM)
        try:
            await stop.run_until(forever)
        finally:
            stop.disarm()

    with pytest.raises(Interrupted) as caught:
        asyncio.run(main())
    assert caught.value.exit_code == 143 and "SIGTERM" in str(caught.value)


def test_a_signal_before_the_wait_is_not_lost() -> None:
    async def main() -> None:
        stop = StopRequest(bound_s=3600)
        stop.signal(signal.SIGINT)
        stop.disarm()
        stop.raise_if_requested()

    with pytest.raises(Interrupted) as caught:
        asyncio.run(main())
    assert caught.value.exit_code == 130


def test_run_command_ends_although_a_leftover_task_ignores_cancellation() -> None:
    leftovers: list[asyncio.Future[None]] = []  # held, so it cannot be collected early

    async def main() -> str:
        async def stubborn() -> None:
            while True:
                try:
                    await asyncio.sleep(3600)
                except asyncio.CancelledError:
                    continue  # as a Faust service stuck on a dead broker does

        leftovers.append(asyncio.ensure_future(stubborn()))
        await asyncio.sleep(0)
        return "done"

    results: list[str] = []
    thread = threading.Thread(target=lambda: results.append(run_command(main())), daemon=True)
    thread.start()
    thread.join(timeout=60)  # asyncio.run would never return here
    assert not thread.is_alive(), "run_command waited for the stubborn task"
    assert results == ["done"]
