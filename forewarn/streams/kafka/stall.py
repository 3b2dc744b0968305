"""``StallDetector``: when a stage that has input waiting has stopped making progress.

Pure on purpose (no Faust, no clock of its own): the watchdog (``watchdog``) samples every
stage this worker runs and hands the samples here with the time; tests drive it with a fake
clock.

Definitions, per (stage, partition):

- **position**: the next offset the stage will finish (everything before it is done);
  **end**: the partition's high watermark as our consumer last saw it.
- **input waiting**: ``position < end``, the partition is not paused, and both are known.
- **progress**: the position moved, or the stage reported work inside one message
  (``activity``, e.g. a notification delivered out of a large outbox batch).
- **stalled**: input has been waiting for ``stall_after_s`` with no progress at all.

A paused partition (Faust's flow control during a rebalance or recovery, a partition paused
for back-pressure) is deliberately idle: it stops the clock, like a caught-up partition. A
slow stage is moving as long as each of its steps ends within ``stall_after_s``, so that
setting must exceed the longest single wait a stage takes on purpose (one delivery attempt
with its retries and backoff). A stall ends when the stage moves again.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Stall", "StallDetector", "StallReport"]


@dataclass(frozen=True, slots=True)
class Stall:
    """A stage partition with input waiting and no progress for ``seconds``."""

    stage: str
    partition: int
    position: int
    end: int
    seconds: float

    def describe(self) -> str:
        return (f"stage {self.stage} partition {self.partition} made no progress for "
                f"{self.seconds:.0f} s at offset {self.position} with input up to {self.end}")


@dataclass(frozen=True, slots=True)
class StallReport:
    """One check: what stalls now, what just began (log once at ERROR), what ended (INFO),
    and the stalls that have lasted ``stall_after_s + stall_exit_s`` (the worker exits)."""

    stalled: tuple[Stall, ...] = ()
    began: tuple[Stall, ...] = ()
    ended: tuple[tuple[str, int], ...] = ()
    expired: tuple[Stall, ...] = ()


@dataclass(slots=True)
class _Track:
    position: int | None = None
    end: int | None = None
    activity: int = 0
    waiting_since: float | None = None  # the stall clock: input waiting, no progress since


class StallDetector:
    """Per stage partition: the stall clock, started by waiting input, reset by progress."""

    def __init__(self, stall_after_s: float, stall_exit_s: float) -> None:
        if stall_after_s <= 0:
            raise ValueError(f"stall_after_s must be > 0, not {stall_after_s}")
        if stall_exit_s < 0:
            raise ValueError(f"stall_exit_s must be >= 0, not {stall_exit_s}")
        self.stall_after_s = stall_after_s
        self.stall_exit_s = stall_exit_s
        self._tracks: dict[tuple[str, int], _Track] = {}
        self._reported: set[tuple[str, int]] = set()

    def observe(self, stage: str, partition: int, *, position: int | None, end: int | None,
                now: float, paused: bool = False, activity: int = 0) -> None:
        """One sample of a stage partition; ``activity`` is a counter the stage bumps for
        work inside one message (any change counts as progress)."""
        track = self._tracks.setdefault((stage, partition), _Track())
        moved = position != track.position or activity != track.activity
        track.position, track.end, track.activity = position, end, activity
        waiting = (not paused and position is not None and end is not None
                   and position < end)
        if not waiting:
            track.waiting_since = None
        elif moved or track.waiting_since is None:
            track.waiting_since = now

    def forget(self, stage: str, partition: int) -> None:
        """The partition is no longer this worker's (revoked)."""
        self._tracks.pop((stage, partition), None)
        self._reported.discard((stage, partition))

    def stalls(self, now: float) -> list[Stall]:
        """Every stage partition stalled at ``now`` (exactly at the limit counts)."""
        found = []
        for (stage, partition), track in sorted(self._tracks.items()):
            since = track.waiting_since
            if since is None or now - since < self.stall_after_s:
                continue
            assert track.position is not None and track.end is not None  # waiting
            found.append(Stall(stage, partition, track.position, track.end, now - since))
        return found

    def waiting_for(self, stage: str, now: float) -> float:
        """Seconds the stage's longest-waiting partition has had input and no progress (0:
        caught up, paused or moving): ``forewarn_stage_last_progress_seconds``."""
        return max((now - t.waiting_since for (s, _), t in self._tracks.items()
                    if s == stage and t.waiting_since is not None), default=0.0)

    def check(self, now: float) -> StallReport:
        """The stalls now, and which began or ended since the last check."""
        stalled = self.stalls(now)
        keys = {(s.stage, s.partition) for s in stalled}
        began = tuple(s for s in stalled if (s.stage, s.partition) not in self._reported)
        ended = tuple(sorted(self._reported - keys))
        self._reported = keys
        expired = tuple(s for s in stalled
                        if s.seconds >= self.stall_after_s + self.stall_exit_s)
        return StallReport(tuple(stalled), began, ended, expired)
