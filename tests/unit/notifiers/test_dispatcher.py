"""Dispatcher: routing per channel, delivered_at stamping, bounded retries, metrics."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from forewarn.config import Settings
from forewarn.domain import Notification
from forewarn.errors import DeliveryError
from forewarn.notifiers import (
    AppriseNotifier,
    ChannelLimits,
    DeliveryMetrics,
    Dispatcher,
    FailingNotifier,
    FileNotifier,
    PooledJsonNotifier,
    RecordingNotifier,
    notifiers_from_settings,
)


class FakeSleep:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


def _dispatcher(
    notifier: object, sleep: FakeSleep, registry: CollectorRegistry | None = None
) -> Dispatcher:
    return Dispatcher(
        {"sms": notifier},  # type: ignore[dict-item]
        sleep=sleep,
        clock=lambda: 1_795_356_001.5,
        random=lambda: 0.0,  # no jitter: delays are the nominal ones
        metrics=DeliveryMetrics(registry),
    )


async def test_delivered_record_is_stamped_with_the_clock(
    make_notification: Callable[..., Notification],
) -> None:
    sink = RecordingNotifier()
    delivered = await _dispatcher(sink, FakeSleep()).deliver(make_notification())
    assert delivered.delivered_at == "2026-11-22T14:00:01.500+00:00"
    assert sink.delivered == [delivered]


async def test_retryable_failures_are_retried_with_doubling_backoff(
    make_notification: Callable[..., Notification],
) -> None:
    sink, sleep, registry = FailingNotifier(2), FakeSleep(), CollectorRegistry()
    delivered = await _dispatcher(sink, sleep, registry).deliver(make_notification())
    assert sink.calls == 3 and sink.delivered == [delivered]
    assert sleep.delays == [0.5, 1.0]
    assert registry.get_sample_value("forewarn_delivery_attempts_total", {"channel": "sms"}) == 3
    assert (
        registry.get_sample_value("forewarn_notifications_delivered_total", {"channel": "sms"}) == 1
    )
    assert (
        registry.get_sample_value(
            "forewarn_delivery_failures_total", {"channel": "sms", "retryable": "true"}
        )
        == 2
    )


async def test_gives_up_after_three_attempts_and_raises_the_last_error(
    make_notification: Callable[..., Notification],
) -> None:
    sink, sleep, registry = FailingNotifier(5), FakeSleep(), CollectorRegistry()
    with pytest.raises(DeliveryError, match="failure 3 of 5") as caught:
        await _dispatcher(sink, sleep, registry).deliver(make_notification())
    assert caught.value.retryable
    assert sink.calls == 3 and sleep.delays == [0.5, 1.0]
    assert (
        registry.get_sample_value("forewarn_notifications_undeliverable_total", {"channel": "sms"})
        == 1
    )


async def test_a_failure_that_cannot_heal_is_not_retried(
    make_notification: Callable[..., Notification],
) -> None:
    sink, sleep = FailingNotifier(1, retryable=False), FakeSleep()
    with pytest.raises(DeliveryError) as caught:
        await _dispatcher(sink, sleep).deliver(make_notification())
    assert not caught.value.retryable
    assert sink.calls == 1 and sleep.delays == []


async def test_a_channel_without_notifier_is_not_retryable(
    make_notification: Callable[..., Notification],
) -> None:
    with pytest.raises(DeliveryError, match="'push'") as caught:
        await _dispatcher(RecordingNotifier(), FakeSleep()).deliver(make_notification("push"))
    assert not caught.value.retryable


def test_attempts_must_be_positive() -> None:
    with pytest.raises(ValueError, match="attempts"):
        Dispatcher({}, attempts=0)


def test_channels_without_url_share_one_file_notifier(tmp_path: Path) -> None:
    settings = Settings.model_validate(
        {"channels": {"email": {"url": "mailto://127.0.0.1:2525?to={to}&from=noc@example.net"}}}
    )
    notifiers = notifiers_from_settings(settings, base_dir=tmp_path)
    assert set(notifiers) == {"sms", "email", "push"}
    assert isinstance(notifiers["email"], AppriseNotifier)
    assert isinstance(notifiers["sms"], FileNotifier)
    assert notifiers["sms"] is notifiers["push"]
    assert notifiers["sms"].path == tmp_path / "notifications.jsonl"
    assert "127.0.0.1" not in repr(notifiers["email"])


async def test_from_settings_writes_every_channel_to_the_file_by_default(
    tmp_path: Path, make_notification: Callable[..., Notification]
) -> None:
    dispatcher = Dispatcher.from_settings(
        Settings(), base_dir=tmp_path, clock=lambda: 1_795_356_002.0
    )
    for channel in ("sms", "email", "push"):
        await dispatcher.deliver(make_notification(channel))
    await dispatcher.close()
    records = [json.loads(x) for x in (tmp_path / "notifications.jsonl").read_text().splitlines()]
    assert [r["channel"] for r in records] == ["sms", "email", "push"]
    assert {r["delivered_at"] for r in records} == {"2026-11-22T14:00:02+00:00"}


async def test_close_closes_each_notifier_once() -> None:
    shared, other = RecordingNotifier(), RecordingNotifier()
    await Dispatcher({"sms": shared, "push": shared, "email": other}).close()
    assert shared.closed and other.closed


async def test_jitter_shortens_each_delay_by_at_most_its_fraction(
    make_notification: Callable[..., Notification],
) -> None:
    sleep = FakeSleep()
    dispatcher = Dispatcher({"sms": FailingNotifier(2)}, sleep=sleep, jitter=0.5,
                            random=lambda: 0.999999)
    await dispatcher.deliver(make_notification())
    assert sleep.delays == pytest.approx([0.25, 0.5], rel=1e-4)


async def test_backoff_grows_exponentially_up_to_its_ceiling(
    make_notification: Callable[..., Notification],
) -> None:
    sleep = FakeSleep()
    dispatcher = Dispatcher({"sms": FailingNotifier(5)}, attempts=6, backoff_s=1.0,
                            max_backoff_s=5.0, sleep=sleep, random=lambda: 0.0)
    await dispatcher.deliver(make_notification())
    assert sleep.delays == [1.0, 2.0, 4.0, 5.0, 5.0]


async def test_each_attempt_waits_for_a_token_of_its_channel(
    make_notification: Callable[..., Notification],
) -> None:
    now = [0.0]
    sleep = FakeSleep()

    async def advance(delay: float) -> None:
        now[0] += delay
        await sleep(delay)

    registry = CollectorRegistry()
    sink = RecordingNotifier()
    dispatcher = Dispatcher({"sms": sink}, limits={"sms": ChannelLimits(10.0, 1, 5)},
                            sleep=advance, monotonic=lambda: now[0],
                            metrics=DeliveryMetrics(registry))
    for _ in range(3):
        await dispatcher.deliver(make_notification())
    assert len(sink.delivered) == 3
    assert now[0] == pytest.approx(0.2)
    assert registry.get_sample_value(
        "forewarn_delivery_rate_limited_seconds_total", {"channel": "sms"}) == pytest.approx(0.2)


def test_from_settings_takes_retries_and_limits_from_the_config(tmp_path: Path) -> None:
    settings = Settings.model_validate({
        "delivery": {"attempts": 5, "backoff_s": 2.0, "jitter": 0.0},
        "channels": {"sms": {"url": "json://127.0.0.1:9/sms?:to={to}", "rate_per_s": 7}},
    })
    dispatcher = Dispatcher.from_settings(settings, base_dir=tmp_path)
    assert (dispatcher.attempts, dispatcher.backoff_s, dispatcher.jitter) == (5, 2.0, 0.0)
    assert dispatcher.limiters["sms"].limits.rate_per_s == 7
    assert dispatcher.limiters["email"].limits.rate_per_s == 0


def test_json_urls_take_the_pooled_path_and_others_stay_on_apprise(tmp_path: Path) -> None:
    settings = Settings.model_validate({"channels": {
        "sms": {"url": "json://127.0.0.1:9/sms?:to={to}"},
        "push": {"url": "json://127.0.0.1:9/push?:to={to}", "pooled": False},
        "email": {"url": "mailto://127.0.0.1:2525?to={to}&from=noc@example.net"},
    }})
    notifiers = notifiers_from_settings(settings, base_dir=tmp_path)
    assert isinstance(notifiers["sms"], PooledJsonNotifier)
    assert isinstance(notifiers["push"], AppriseNotifier)
    assert isinstance(notifiers["email"], AppriseNotifier)


def test_stamping_equals_dataclass_replace_field_for_field(
    make_notification: Callable[..., Notification],
) -> None:
    from dataclasses import fields, replace

    from forewarn.notifiers.dispatcher import stamp

    n = make_notification("email", priority=1, title="t")
    at = "2026-11-22T14:00:00+00:00"
    ours, theirs = stamp(n, at), replace(n, delivered_at=at)
    assert all(getattr(ours, f.name) == getattr(theirs, f.name) for f in fields(n))
