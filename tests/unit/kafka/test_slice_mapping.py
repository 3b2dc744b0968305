"""A worker's sliced index follows its assignment (``kafka.slice_mapping``): the slices of
its customer partitions are mapped before anything reads them, dropped when a rebalance
takes the partitions away, and a hot-reloaded version maps the same ones."""

from __future__ import annotations

import asyncio
import itertools
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from forewarn.geo import RegionIndex, load_region
from forewarn.geo.slice_build import build_slices
from forewarn.geo.slices import SlicedIndex, load_slices
from forewarn.streams.kafka.agents import NetworkOwnership
from forewarn.streams.kafka.slice_mapping import SliceFollower
from forewarn.streams.kafka.topics import TopicNames
from forewarn.streams.network.index_reload import IndexReloader, LiveIndex
from forewarn.streams.partitioning import partition_of
from tests.unit.geo.geo_helpers import TINY

NAMES = TopicNames("t.")
P = 4


def customers_of(partitions: set[int]) -> set[str]:
    """The tiny region's customers on ``partitions`` (never none: each test's sets hold some)."""
    ids = RegionIndex.build(load_region(TINY)).customer_ids
    found = {c for c in ids if partition_of(c, P) in partitions}
    assert found, f"the tiny region has customers on {partitions}"
    return found


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("slices") / "index"
    build_slices(TINY, folder, P)
    return folder


class TP(NamedTuple):  # what Faust's signals carry (``faust.types.TP``)
    topic: str
    partition: int


def assigned(*partitions: int, network: bool = False) -> set[TP]:
    tps = {TP(topic, p) for p in partitions for topic in (NAMES.impacts, NAMES.outbox)}
    return tps | ({TP(NAMES.alarms_raw, 0)} if network else set())


def held(index: SlicedIndex) -> set[str]:
    return {c for c in index.customer_ids if c}


async def test_a_worker_maps_exactly_the_slices_of_its_customer_partitions(
        index_dir: Path) -> None:
    index = load_slices(index_dir, ())
    follower = SliceFollower(index, NAMES)
    plan = await follower.follow(assigned(1, 3))
    assert index.loaded == (1, 3) == follower.mapped and plan.add == (1, 3)
    assert held(index) == customers_of({1, 3})
    for customer in customers_of({0, 2}):
        with pytest.raises(KeyError):
            index.customer(customer)


async def test_owning_alarms_raw_maps_every_slice_and_losing_it_drops_the_others(
        index_dir: Path) -> None:
    index = load_slices(index_dir, ())
    follower = SliceFollower(index, NAMES)
    await follower.follow(assigned(0, network=True))
    assert index.loaded == (0, 1, 2, 3)
    plan = await follower.follow(assigned(0))
    assert plan.drop == (1, 2, 3) and index.loaded == (0,)
    assert held(index) == customers_of({0})


async def test_a_takeover_maps_the_orphaned_slices_and_cached_ids_follow(
        index_dir: Path) -> None:
    index = load_slices(index_dir, ())
    follower = SliceFollower(index, NAMES)
    await follower.follow(assigned(0, 2))
    ids_before = index.customer_id_array
    await follower.follow(assigned(0, 1, 2, 3))
    assert index.customer_id_array is not ids_before, "a copy keyed on the array sees a change"
    assert set(index.customer_id_array.tolist()) - {""} == customers_of({0, 1, 2, 3})


async def test_one_log_line_and_one_change_callback_per_change(
        index_dir: Path, caplog: pytest.LogCaptureFixture) -> None:
    changes: list[tuple[int, ...]] = []
    index = load_slices(index_dir, ())

    def refresh() -> Callable[[], None]:
        changes.append(index.loaded)
        return lambda: None

    follower = SliceFollower(index, NAMES, on_change=refresh)
    with caplog.at_level(logging.INFO, logger="forewarn.streams.kafka.slice_mapping"):
        await follower.follow(assigned(2))
        await follower.follow(assigned(2))  # the same again: nothing to log
        await follower.follow(assigned(1))
    lines = [r.getMessage() for r in caplog.records if "index slices mapped" in r.getMessage()]
    assert lines == ["index slices mapped: [2] (added [2], dropped [])",
                     "index slices mapped: [1] (added [1], dropped [2])"]
    assert changes == [(2,), (1,)], "the callback sees the change in place"


async def test_what_follows_a_change_is_derived_off_the_event_loop_and_applied_on_it(
        index_dir: Path) -> None:
    loop_thread = threading.get_ident()
    threads: dict[str, int] = {}
    ticks: list[float] = []

    def refresh() -> Callable[[], None]:
        threads["derive"] = threading.get_ident()
        time.sleep(0.5)  # a slow pass over every slice (served counts: ~1 s per 1M)
        return lambda: threads.setdefault("apply", threading.get_ident())

    async def ticker() -> None:
        while True:
            ticks.append(time.monotonic())
            await asyncio.sleep(0.01)

    follower = SliceFollower(load_slices(index_dir, ()), NAMES, on_change=refresh)
    beat = asyncio.create_task(ticker())
    try:
        await follower.follow(assigned(0, 1))
    finally:
        beat.cancel()
    assert threads["derive"] != loop_thread and threads["apply"] == loop_thread
    gaps = [b - a for a, b in itertools.pairwise(ticks)]
    assert len(ticks) > 10 and max(gaps) < 0.4, "the loop went on while it was derived"


class _Consumer:
    def __init__(self, tps: set[TP]) -> None:
        self.tps = tps

    def assignment(self) -> set[TP]:
        return self.tps


class _App:
    def __init__(self, tps: set[TP]) -> None:
        self.consumer = _Consumer(tps)


async def test_the_rebalance_barrier_maps_the_consumers_assignment_before_resuming(
        index_dir: Path) -> None:
    index = load_slices(index_dir, ())
    follower = SliceFollower(index, NAMES)
    await follower.barrier(_App(assigned(3)))
    assert index.loaded == (3,)


async def test_a_reloaded_version_maps_the_same_slices_and_keeps_following(
        index_dir: Path, tmp_path: Path) -> None:
    import shutil

    shutil.copytree(index_dir, tmp_path / "index")
    first = load_slices(tmp_path / "index", ())
    follower = SliceFollower(first, NAMES)
    await follower.follow(assigned(0, 2))
    live = LiveIndex(first, first.version)
    reloader = IndexReloader(tmp_path / "index", live, follower.load_version)
    build_slices(TINY, tmp_path / "index", P)
    assert reloader.poll(1000.0) is not None
    second = live.current
    assert isinstance(second, SlicedIndex) and second is not first
    assert second.loaded == (0, 2), "not every slice of the new version"
    await follower.follow(assigned(1))
    assert second.loaded == (1,) and first.loaded == (1,)


def test_a_version_loaded_while_the_assignment_changed_catches_up(index_dir: Path) -> None:
    first = load_slices(index_dir, (0,))
    follower = SliceFollower(first, NAMES)
    follower._needed = frozenset({1, 2})  # what a follow() on the loop set meanwhile
    version = load_slices(index_dir).path
    again = follower.load_version(version)
    assert isinstance(again, SlicedIndex) and again.loaded == (1, 2)


class _Feed:
    def __init__(self, index: SlicedIndex) -> None:
        self.index = index
        self.saw: tuple[int, ...] | None = None

    def start(self) -> None:
        self.saw = self.index.loaded


class _Nothing:
    async def maybe_declare(self) -> None:
        return None

    def start(self) -> None:
        return None

    def forget(self, *_: Any) -> None:
        return None


async def test_the_network_feed_starts_only_once_every_slice_is_mapped(
        index_dir: Path) -> None:
    index = load_slices(index_dir, ())
    feed = _Feed(index)
    nothing: Any = _Nothing()
    ownership = NetworkOwnership(NAMES, feed, nothing, nothing, nothing, nothing, nothing,
                                 nothing, SliceFollower(index, NAMES))  # type: ignore[arg-type]
    await ownership.on_assigned(None, assigned(1, network=True))
    await ownership.started()
    assert feed.saw == (0, 1, 2, 3)


def _ownership(index: SlicedIndex, release: threading.Event) -> tuple[NetworkOwnership, _Feed]:
    """An owner whose slice change is followed by a derivation that waits for ``release``
    (the served counts of 10M customers: 10-30 s on a busy machine)."""
    def slow() -> Callable[[], None]:
        release.wait(10)
        return lambda: None

    feed = _Feed(index)
    nothing: Any = _Nothing()
    return NetworkOwnership(NAMES, feed, nothing, nothing, nothing, nothing, nothing, nothing,
                            SliceFollower(index, NAMES, on_change=slow)), feed


async def test_the_assignment_signal_returns_before_the_slices_are_mapped(
        index_dir: Path) -> None:
    index = load_slices(index_dir, ())
    release = threading.Event()
    ownership, feed = _ownership(index, release)
    try:
        # Faust's rebalance listener awaits this signal: the worker cannot rejoin the group
        # until it returns.
        await asyncio.wait_for(ownership.on_assigned(None, assigned(1, network=True)), 1.0)
        await asyncio.sleep(0.2)
        assert feed.saw is None, "the feed waits for the slices"
    finally:
        release.set()
    await asyncio.wait_for(ownership.started(), 10)
    assert feed.saw == (0, 1, 2, 3)


async def test_a_revocation_while_the_slices_are_mapped_keeps_the_feed_stopped(
        index_dir: Path) -> None:
    index = load_slices(index_dir, ())
    release = threading.Event()
    ownership, feed = _ownership(index, release)
    await ownership.on_assigned(None, assigned(1, network=True))
    await ownership.on_revoked(None, set())
    release.set()
    await asyncio.wait_for(ownership.started(), 10)
    assert feed.saw is None, "the network was revoked before its slices were mapped"


def _pipeline(index: SlicedIndex, tmp_path: Path) -> Any:
    from forewarn.config import Settings
    from forewarn.streams.kafka.app import PipelineOptions, build_pipeline

    async def deliver(notification: Any) -> Any:
        return notification

    settings = Settings.model_validate({"kafka": {"partitions": P, "topic_prefix": "t."}})
    return build_pipeline(index, PipelineOptions(
        bootstrap="localhost:9092", settings=settings, deliver=deliver, datadir=str(tmp_path)))


async def test_the_pipeline_holds_new_partitions_until_their_slices_are_mapped(
        index_dir: Path, tmp_path: Path) -> None:
    index = load_slices(index_dir, ())
    pipeline = _pipeline(index, tmp_path)
    pipeline.app.consumer = _Consumer(assigned(2))
    # Faust's recovery awaits this signal before it resumes the assigned partitions.
    await pipeline.app.on_rebalance_complete.send()
    assert index.loaded == (2,)


async def test_the_network_owners_suspicion_test_counts_every_slices_customers(
        index_dir: Path, tmp_path: Path) -> None:
    from forewarn.streams.network.serving import served_counts

    index = load_slices(index_dir, ())
    pipeline = _pipeline(index, tmp_path)
    suspicion = pipeline.network.correlator.suspicion
    whole = served_counts(load_slices(index_dir))
    busiest = max(whole, key=whole.__getitem__)
    assert whole[busiest] > 0 and suspicion.served(busiest) == 0, "nothing mapped yet"
    pipeline.app.consumer = _Consumer(assigned(1, network=True))
    await pipeline.app.on_rebalance_complete.send()
    assert all(suspicion.served(e) == n for e, n in whole.items())
