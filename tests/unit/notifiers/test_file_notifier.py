"""FileNotifier: the `file` channel writes one valid CONTRACT §6 record per line."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from forewarn.domain import Notification
from forewarn.errors import DeliveryError
from forewarn.notifiers import FileNotifier, Notifier

CONTRACT_FIELDS = {
    "notification_id",
    "customer_id",
    "incident_id",
    "stage",
    "services",
    "channel",
    "to",
    "language",
    "subject",
    "text",
    "decided_at",
    "delivered_at",
}


def test_file_notifier_satisfies_the_protocol(tmp_path: Path) -> None:
    assert isinstance(FileNotifier(tmp_path / "n.jsonl"), Notifier)


async def test_each_notification_is_one_json_line_with_exactly_the_contract_fields(
    tmp_path: Path, make_notification: Callable[..., Notification]
) -> None:
    path = tmp_path / "out" / "notifications.jsonl"
    sink = FileNotifier(path)
    email = make_notification("email", delivered_at="2026-11-22T14:00:01+00:00")
    await sink.deliver(email)
    await sink.close()
    (line,) = path.read_text(encoding="utf-8").splitlines()
    record = json.loads(line)
    assert set(record) == CONTRACT_FIELDS
    assert record == email.record()
    assert record["delivered_at"] == "2026-11-22T14:00:01+00:00"
    assert "Störung" in record["subject"]  # UTF-8 kept readable


async def test_concurrent_deliveries_never_interleave(
    tmp_path: Path, make_notification: Callable[..., Notification]
) -> None:
    path = tmp_path / "n.jsonl"
    sink = FileNotifier(path)
    batch = [make_notification("email", notification_id=f"n-{i:04d}") for i in range(200)]
    await asyncio.gather(*(sink.deliver(n) for n in batch))
    await sink.close()
    lines = path.read_text(encoding="utf-8").splitlines()
    assert sorted(json.loads(line)["notification_id"] for line in lines) == [
        n.notification_id for n in batch
    ]


async def test_lines_are_flushed_before_deliver_returns(
    tmp_path: Path, make_notification: Callable[..., Notification]
) -> None:
    path = tmp_path / "n.jsonl"
    sink = FileNotifier(path)
    await sink.deliver(make_notification())
    assert len(path.read_text(encoding="utf-8").splitlines()) == 1  # before close()
    await sink.close()


async def test_a_reopened_file_is_appended_to(
    tmp_path: Path, make_notification: Callable[..., Notification]
) -> None:
    path = tmp_path / "n.jsonl"
    for i in range(2):
        sink = FileNotifier(path, fsync=True)
        await sink.deliver(make_notification(notification_id=f"n-{i}"))
        await sink.close()
    assert [json.loads(x)["notification_id"] for x in path.read_text().splitlines()] == [
        "n-0",
        "n-1",
    ]


async def test_an_unwritable_path_is_a_retryable_delivery_error(
    tmp_path: Path, make_notification: Callable[..., Notification]
) -> None:
    sink = FileNotifier(tmp_path)  # a directory
    with pytest.raises(DeliveryError) as caught:
        await sink.deliver(make_notification())
    assert caught.value.retryable
