"""The worker-wide bound on request-body bytes held at once (``InflightBudget``) and how a
body read draws on it (``read_bounded``): exact limit, release on every way out."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable
from typing import Any

import pytest
from pydantic import ValidationError

from forewarn.config import ApiSettings
from forewarn.streams.web.inflight import InflightBudget, InflightFull
from forewarn.streams.web.routes import read_bounded


def test_reservations_up_to_the_exact_limit_are_granted_one_byte_more_is_refused() -> None:
    budget = InflightBudget(100)
    first = budget.reserve(60)
    second = budget.reserve(40)
    assert budget.in_use == 100
    with pytest.raises(InflightFull, match=r"api\.max_inflight_bytes"):
        budget.reserve(1)
    assert budget.in_use == 100 and budget.refused == 1
    first.release()
    second.release()
    assert budget.in_use == 0


def test_release_gives_back_everything_grown_and_twice_releasing_changes_nothing() -> None:
    budget = InflightBudget(100)
    reservation = budget.reserve(10)
    reservation.grow(15)
    reservation.cover(30)  # cover tops up to a total, never below what is held
    reservation.cover(20)
    assert reservation.held == 30 and budget.in_use == 30
    reservation.release()
    reservation.release()
    assert budget.in_use == 0


def test_a_refused_growth_keeps_what_was_held_and_the_context_releases_it() -> None:
    budget = InflightBudget(50)
    with pytest.raises(InflightFull), budget.reserve(30) as reservation:
        reservation.grow(21)
    assert budget.in_use == 0


def test_an_error_inside_the_reservation_releases_its_bytes() -> None:
    budget = InflightBudget(50)
    with pytest.raises(ValueError), budget.reserve(50):
        raise ValueError("parse failed")
    assert budget.in_use == 0
    budget.reserve(50).release()  # the whole budget is usable again


def test_a_growth_after_release_is_an_error_not_a_leak() -> None:
    budget = InflightBudget(50)
    reservation = budget.reserve(5)
    reservation.release()
    with pytest.raises(RuntimeError):
        reservation.grow(1)
    assert budget.in_use == 0


@pytest.mark.parametrize("limit", [0, -1])
def test_a_budget_must_be_positive(limit: int) -> None:
    with pytest.raises(ValueError, match="max_inflight_bytes"):
        InflightBudget(limit)


def test_the_setting_must_hold_at_least_one_body_of_the_allowed_size() -> None:
    assert ApiSettings(max_body_bytes=10, max_inflight_bytes=10).max_inflight_bytes == 10
    with pytest.raises(ValidationError, match="max_inflight_bytes"):
        ApiSettings(max_body_bytes=11, max_inflight_bytes=10)
    assert ApiSettings().max_inflight_bytes == 32_000_000


class _Content:
    def __init__(self, chunks: Iterable[bytes | BaseException]) -> None:
        self._chunks = list(chunks)

    async def iter_any(self) -> AsyncIterator[bytes]:
        for chunk in self._chunks:
            await asyncio.sleep(0)
            if isinstance(chunk, BaseException):
                raise chunk
            yield chunk


class _Request:
    """What ``read_bounded`` uses of aiohttp's request: its declared length and stream."""

    def __init__(self, chunks: Iterable[bytes | BaseException],
                 content_length: int | None = None) -> None:
        self.content_length = content_length
        self.content = _Content(chunks)


def _read(request: Any, limit: int, budget: InflightBudget) -> bytes | None:
    async def run() -> bytes | None:
        with budget.reserve(request.content_length or 0) as reservation:
            return await read_bounded(request, limit, reservation)
    return asyncio.run(run())


def test_a_chunked_body_is_cut_off_when_it_passes_the_budget() -> None:
    budget = InflightBudget(25)
    with pytest.raises(InflightFull):
        _read(_Request([b"x" * 10, b"x" * 10, b"x" * 10]), 1000, budget)
    assert budget.in_use == 0 and budget.refused == 1


def test_a_chunked_body_exactly_at_the_budget_is_read_whole() -> None:
    budget = InflightBudget(30)
    assert _read(_Request([b"a" * 10, b"b" * 20]), 1000, budget) == b"a" * 10 + b"b" * 20
    assert budget.in_use == 0


def test_a_declared_body_is_held_once_not_twice_while_it_is_read() -> None:
    budget = InflightBudget(30)
    assert _read(_Request([b"a" * 15, b"b" * 15], content_length=30), 1000, budget) == (
        b"a" * 15 + b"b" * 15)


def test_a_client_that_disconnects_mid_body_releases_its_bytes() -> None:
    budget = InflightBudget(100)
    with pytest.raises(ConnectionResetError):
        _read(_Request([b"x" * 40, ConnectionResetError("peer went away")],
                       content_length=90), 1000, budget)
    assert budget.in_use == 0


def test_a_cancelled_read_releases_its_bytes() -> None:
    budget = InflightBudget(100)

    async def run() -> None:
        gate = asyncio.Event()

        class _Stalled:
            async def iter_any(self) -> AsyncIterator[bytes]:
                yield b"x" * 40
                await gate.wait()  # the client stops sending
                yield b""

        request = _Request([], content_length=80)
        request.content = _Stalled()  # type: ignore[assignment]

        async def handler() -> None:
            with budget.reserve(80) as reservation:
                await read_bounded(request, 1000, reservation)

        task = asyncio.create_task(handler())
        for _ in range(5):
            await asyncio.sleep(0)
        assert budget.in_use == 80
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(run())
    assert budget.in_use == 0
