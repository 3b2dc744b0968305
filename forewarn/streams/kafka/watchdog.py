"""``Watchdog``: a stage that is stuck without crashing must not look alive.

A stage that *fails* ends the worker (``runner.worker_failure``). A stage that hangs (an
await that never returns, a consumer that stops handing records over) failed nothing: the
worker answered 200 on ``/healthz`` for ever while input piled up. Every second or so this
samples, for each stage the worker runs, how far it got (``position``) and how far its
input goes (``end``: the high watermark its consumer last saw), and hands the samples to
the pure ``stall.StallDetector``, which decides. A stall is logged once at ERROR and makes
``failure`` a ``StageStalled`` (so ``/healthz`` and ``/readyz`` answer 503 naming it, the
same path as a failed stage); if it lasts ``stall_exit_s`` more, the failure becomes final
and the runner stops the worker, which exits non-zero; if the stage moves first, the worker
is healthy again (logged at INFO).

The stages and where their numbers come from:

- ``customers`` (``impacts``), ``delivery`` (``notifications.outbox``) and ``contacts``
  (``contacts.raw``), Faust agents: the agents note in a ``ProgressLog`` the offset they
  start and finish (delivery also each notification delivered, progress inside one large
  outbox batch, and every delivery attempt that ended, failed ones included, so retries
  with backoff are work, not a stall); the end is Faust's fetched high watermark
  (``monitor.tp_end_offsets``); a partition Faust has paused, or a stopped flow
  (rebalance, recovery), is idle on purpose.
- ``network`` (``alarms.raw``, on its owner) and ``receipts`` (``notifications.delivered``),
  our own consumers: their ``progress()`` (position and high watermark per partition);
  not sampled while not running or while the journal loads.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from forewarn.errors import ForewarnError
from forewarn.streams.kafka.stall import Stall, StallDetector

__all__ = ["STAGES", "ProgressLog", "StageStalled", "Watchdog", "stage_health"]

log = logging.getLogger(__name__)

STAGES = ("network", "customers", "delivery", "contacts", "receipts")

Progress = Callable[[], Mapping[int, tuple[int | None, int | None]]]


class StageStalled(ForewarnError):
    """A stage has had input waiting and made no progress for ``stall_after_s``; ``final``
    once it lasted ``stall_exit_s`` more (the worker stops)."""

    def __init__(self, stall: Stall, *, final: bool) -> None:
        super().__init__(stall.describe())
        self.stage = stall.stage
        self.partition = stall.partition
        self.final = final


class ProgressLog:
    """What the Faust agents have finished, per (stage, partition): the next offset to
    finish, and a counter of work done inside one message."""

    def __init__(self) -> None:
        self.positions: dict[tuple[str, int], int] = {}
        self.activity: Counter[tuple[str, int]] = Counter()

    def taking(self, stage: str, partition: int, offset: int) -> None:
        """The agent starts on ``offset``: if nothing was finished yet, it is the position."""
        self.positions.setdefault((stage, partition), offset)

    def done(self, stage: str, partition: int, offset: int) -> None:
        self.positions[(stage, partition)] = offset + 1

    def active(self, stage: str, partition: int) -> None:
        self.activity[(stage, partition)] += 1

    def forget(self, stage: str, partitions: Iterable[int]) -> None:
        for partition in partitions:
            self.positions.pop((stage, partition), None)
            self.activity.pop((stage, partition), None)


class Watchdog:
    """Samples the stages of one worker into a ``StallDetector``; ``check`` is its timer."""

    def __init__(self, app: Any, detector: StallDetector, progress: ProgressLog, *,
                 agent_topics: Mapping[str, str], feeds: Mapping[str, Any],
                 work: Mapping[str, Callable[[], int]] | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.app = app
        self.detector = detector
        self.progress = progress
        self.agent_topics = dict(agent_topics)  # topic -> stage
        self.feeds = dict(feeds)  # stage -> NetworkFeed / ReceiptFeed
        self.work = dict(work or {})  # stage -> a counter of its steps (delivery attempts)
        self.clock = clock
        self.failure: StageStalled | None = None
        self._sampled: set[tuple[str, int]] = set()

    async def check(self) -> None:
        """One round (a Faust timer): sample, decide, log what began or ended."""
        now = self.clock()
        try:
            self._sample(now)
        except Exception:  # a sampling bug must not crash a worker that is fine
            log.exception("the stall watchdog could not sample the stages; skipping a round")
            return
        report = self.detector.check(now)
        for stall in report.began:
            log.error("stalled: %s; the worker is unhealthy and stops in %.0f s unless it "
                      "moves", stall.describe(), self.detector.stall_exit_s)
        for stage, partition in report.ended:
            log.info("stage %s partition %d moves again; healthy", stage, partition)
        if self.failure is not None and self.failure.final:
            return  # the worker is stopping; a final failure stays
        if report.expired:
            self.failure = StageStalled(report.expired[0], final=True)
            log.critical("%s; stopping the worker", report.expired[0].describe())
        else:
            self.failure = (StageStalled(report.stalled[0], final=False)
                            if report.stalled else None)

    def stages(self) -> dict[str, tuple[bool, float]]:
        """Per stage: stalled now, and seconds with input waiting and no progress."""
        now = self.clock()
        stalled = {s.stage for s in self.detector.stalls(now)}
        return {stage: (stage in stalled, self.detector.waiting_for(stage, now))
                for stage in STAGES}

    def _sample(self, now: float) -> None:
        seen: set[tuple[str, int]] = set()
        for stage, partition, position, end, paused, activity in self._samples():
            seen.add((stage, partition))
            self.detector.observe(stage, partition, position=position, end=end, now=now,
                                  paused=paused, activity=activity)
        for stage, partition in self._sampled - seen:  # revoked, or the feed stopped
            self.detector.forget(stage, partition)
            self.progress.forget(stage, [partition])
        self._sampled = seen

    def _samples(self) -> Iterator[tuple[str, int, int | None, int | None, bool, int]]:
        consumer = self.app.consumer
        try:
            assigned = set(consumer.assignment())
        except Exception:  # not started, or stopping
            assigned = set()
        paused_tps = set(getattr(consumer, "_paused_partitions", ()) or ())
        flowing = self.app.flow_control.is_active()
        ends = dict(self.app.monitor.tp_end_offsets)
        work = {stage: steps() for stage, steps in self.work.items()}
        for tp in assigned:
            stage = self.agent_topics.get(tp.topic)
            if stage is None:
                continue
            key = (stage, tp.partition)
            yield (stage, tp.partition, self.progress.positions.get(key), ends.get(tp),
                   tp in paused_tps or not flowing,
                   self.progress.activity[key] + work.get(stage, 0))
        for stage, feed in self.feeds.items():
            for partition, (position, end) in feed.progress().items():
                yield stage, partition, position, end, False, 0


def stage_health(app: object) -> dict[str, tuple[bool, float]]:
    """Per stage: stalled now, and seconds with input waiting and no progress (all healthy
    on an app without a watchdog)."""
    watchdog = getattr(app, "watchdog", None)
    if isinstance(watchdog, Watchdog):
        return watchdog.stages()
    return dict.fromkeys(STAGES, (False, 0.0))
