"""Token buckets and concurrency caps per channel, in virtual time."""

from __future__ import annotations

import asyncio

import pytest

from forewarn.config import Settings
from forewarn.notifiers import CHANNEL_LIMITS, ChannelLimiter, ChannelLimits, TokenBucket
from forewarn.notifiers.channels import limits_from_settings


class VirtualTime:
    """A clock that only moves when someone sleeps on it."""

    def __init__(self) -> None:
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    async def sleep(self, delay: float) -> None:
        self.now += delay
        await asyncio.sleep(0)


def test_a_full_bucket_allows_the_burst_then_spaces_sends_at_the_rate() -> None:
    time = VirtualTime()
    bucket = TokenBucket(10.0, burst=3, clock=time.clock)
    waits = [bucket.reserve() for _ in range(5)]
    assert waits[:3] == [0.0, 0.0, 0.0]
    assert waits[3:] == pytest.approx([0.1, 0.2])


def test_tokens_refill_with_time_up_to_the_burst() -> None:
    time = VirtualTime()
    bucket = TokenBucket(2.0, burst=2, clock=time.clock)
    assert [bucket.reserve(), bucket.reserve()] == [0.0, 0.0]
    time.now += 100.0
    assert [bucket.reserve(), bucket.reserve(), bucket.reserve()] == pytest.approx([0, 0, 0.5])


def test_rate_zero_means_unlimited() -> None:
    bucket = TokenBucket(0.0, burst=1)
    assert all(bucket.reserve() == 0.0 for _ in range(1000))


def test_invalid_limits_are_rejected() -> None:
    with pytest.raises(ValueError):
        TokenBucket(-1.0)
    with pytest.raises(ValueError):
        TokenBucket(1.0, burst=0)


async def test_a_limiter_caps_requests_in_flight() -> None:
    limiter = ChannelLimiter(ChannelLimits(rate_per_s=0, burst=1, concurrency=3))
    in_flight = peak = 0

    async def send() -> None:
        nonlocal in_flight, peak
        async with limiter:
            in_flight += 1
            peak = max(peak, in_flight)
            await asyncio.sleep(0.001)
            in_flight -= 1

    await asyncio.gather(*(send() for _ in range(20)))
    assert peak == 3


async def test_a_limiter_spaces_sends_at_the_rate_in_virtual_time() -> None:
    time = VirtualTime()
    limiter = ChannelLimiter(ChannelLimits(rate_per_s=50, burst=5, concurrency=100),
                             clock=time.clock, sleep=time.sleep)
    for _ in range(105):
        await limiter.acquire()
        limiter.release()
    assert time.now == pytest.approx(100 / 50)
    assert limiter.waited_s > 0


def test_url_channels_get_gateway_defaults_and_the_file_channel_none() -> None:
    settings = Settings.model_validate({"channels": {"sms": {"url": "json://gw/sms?:to={to}"}}})
    limits = limits_from_settings(settings)
    assert limits["sms"] == CHANNEL_LIMITS["sms"]
    assert limits["email"].rate_per_s == 0 and limits["push"].rate_per_s == 0


def test_explicit_channel_limits_win() -> None:
    settings = Settings.model_validate({"channels": {"sms": {
        "url": "json://gw/sms?:to={to}", "rate_per_s": 30, "concurrency": 4}}})
    assert limits_from_settings(settings)["sms"] == ChannelLimits(30.0, 30, 4)


def test_default_sms_limits_are_those_of_a_real_gateway() -> None:
    sms = CHANNEL_LIMITS["sms"]
    assert 10 <= sms.rate_per_s <= 1000 and sms.concurrency <= 100
