"""Pause Python's cyclic garbage collector for one allocation burst, and keep it off what
the burst left alive.

Confirming an incident of 200,000 customers allocates about a million containers (episode
entries, timers, decisions, outbox records) in one synchronous call. With the collector on,
every 700 new containers start a young collection and every few of those a full one that
walks all live state, so the burst paid ~30 % of its time to collections that free nothing
(measured on the 1M-customer fan-out: confirm 6.1-7.2 s with, 3.8-4.9 s without). Nothing in
such a burst forms reference cycles that need the collector.

Pausing alone only moved the cost: everything the burst left alive sat in the youngest
generation, so the first allocation after the pause started a young collection of all of it
(0.15-0.26 s each), the next ones walked it again in the middle generation, and a full
collection (0.4-0.8 s) followed once the survivors exceeded a quarter of the old state: 2.5
of the 8 CPU seconds between the confirmation instant and the last decision
(``python -m bench storm --only fanout``, 2026-12-06). So a pause whose block left at least
``FREEZE_AFTER`` new containers alive ends with ``gc.freeze()``: every object alive then
moves to the permanent generation, which collections never walk (freezing costs nothing
per object). What that gives up: a reference cycle among frozen objects that becomes
garbage is not collected while they stay frozen (plain reference counting still frees
everything else, which is almost all of it: entries, timers and records hold no cycles).
So the freeze is bounded in time: the first pause that is not itself a burst, at least
``THAW_AFTER_S`` after the last freeze, ends with ``gc.unfreeze()`` (the frozen objects
rejoin the oldest generation and the collector's usual schedule walks them again, outside
the burst). A worker in a storm of bursts thaws once a minute at most; one at rest, at its
next message (in live mode a tick every second).
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

__all__ = ["FREEZE_AFTER", "THAW_AFTER_S", "GcPolicy", "gc_paused"]

#: Containers a pause must leave alive (net of those it freed) to freeze them (and all
#: others): ~1,000 customers' episodes; an ordinary message leaves a few hundred.
FREEZE_AFTER = 20_000
#: How long frozen objects stay out of the collector's sight at most (see the module text).
THAW_AFTER_S = 60.0


class GcPolicy:
    """When a pause freezes what is alive and when it thaws it (one per process; injectable
    clock for tests)."""

    def __init__(self, freeze_after: int = FREEZE_AFTER, thaw_after_s: float = THAW_AFTER_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.freeze_after = freeze_after
        self.thaw_after_s = thaw_after_s
        self.clock = clock
        self.frozen_at: float | None = None  # when the last freeze happened (None: thawed)
        self.freezes = 0
        self.thaws = 0

    def after_pause(self, left_alive: int) -> None:
        """End of a pause that left ``left_alive`` new containers: freeze, thaw or neither."""
        now = self.clock()
        if left_alive >= self.freeze_after:
            gc.freeze()
            self.frozen_at = now
            self.freezes += 1
        elif self.frozen_at is not None and now - self.frozen_at >= self.thaw_after_s:
            gc.unfreeze()
            self.frozen_at = None
            self.thaws += 1


_POLICY = GcPolicy()


@contextmanager
def gc_paused(policy: GcPolicy | None = None) -> Iterator[None]:
    """Run the block with the cyclic collector off (re-entrant: an inner pause does
    nothing); at the end, freeze what a burst left alive or thaw an old freeze (``policy``,
    default the process's)."""
    if not gc.isenabled():
        yield
        return
    before = gc.get_count()[0]
    gc.disable()
    try:
        yield
    finally:
        try:
            (policy or _POLICY).after_pause(gc.get_count()[0] - before)
        finally:
            gc.enable()
