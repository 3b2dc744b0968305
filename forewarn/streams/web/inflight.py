"""A worker-wide bound on the request-body bytes being read and parsed at once.

Each request reads at most ``api.max_body_bytes``, but many at once would still hold many
times that (500 concurrent 1 MB bodies hold 500 MB before parsing multiplies it). A request
reserves its declared Content-Length before its body is read, or grows its reservation chunk
by chunk when the body is chunked; a reservation that would pass ``api.max_inflight_bytes``
is refused (the caller answers 503 with Retry-After, nothing of the request is published).
A reservation is released when its request ends, however it ends (answer, error, a client
that went away mid-body: ``with`` / ``release`` in a ``finally``).

Pure accounting, no IO: the event loop is single-threaded and every call here is
synchronous, so no lock is needed.
"""

from __future__ import annotations

from types import TracebackType

__all__ = ["InflightBudget", "InflightFull", "Reservation"]


class InflightFull(Exception):
    """The budget cannot hold the bytes asked for (the request answers 503)."""

    def __init__(self, wanted: int, in_use: int, limit: int) -> None:
        super().__init__(f"{wanted} more body bytes would pass api.max_inflight_bytes "
                         f"({in_use} of {limit} in use)")
        self.wanted, self.in_use, self.limit = wanted, in_use, limit


class InflightBudget:
    """Bytes of request bodies held at once, at most ``limit`` (inclusive)."""

    def __init__(self, limit: int) -> None:
        if limit <= 0:
            raise ValueError(f"api.max_inflight_bytes must be positive, got {limit}")
        self.limit = limit
        self.in_use = 0
        self.refused = 0  # reservations refused so far (a gauge of overload)

    def reserve(self, size: int = 0) -> Reservation:
        """A reservation of ``size`` bytes; ``InflightFull`` when they do not fit."""
        reservation = Reservation(self)
        reservation.grow(size)
        return reservation

    def _take(self, size: int) -> None:
        if size < 0:
            raise ValueError(f"cannot reserve a negative size ({size})")
        if self.in_use + size > self.limit:
            self.refused += 1
            raise InflightFull(size, self.in_use, self.limit)
        self.in_use += size

    def _give(self, size: int) -> None:
        self.in_use -= size


class Reservation:
    """One request's share of the budget; grows as its body arrives, released once."""

    def __init__(self, budget: InflightBudget) -> None:
        self._budget = budget
        self.held = 0
        self._released = False

    def grow(self, size: int) -> None:
        """Hold ``size`` more bytes, or raise ``InflightFull`` holding no more than before."""
        if self._released:
            raise RuntimeError("the reservation was already released")
        self._budget._take(size)
        self.held += size

    def cover(self, total: int) -> None:
        """Hold at least ``total`` bytes in all (a body read so far, when it passes what
        was declared up front)."""
        if total > self.held:
            self.grow(total - self.held)

    def release(self) -> None:
        """Give the bytes back; a second call does nothing."""
        if not self._released:
            self._released = True
            self._budget._give(self.held)
            self.held = 0

    def __enter__(self) -> Reservation:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.release()
