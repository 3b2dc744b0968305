"""The background test of suspected incidents: how many distinct reporters are improbable.

Under the null hypothesis every customer reports no service at ``background_per_customer_day``
when nothing is wrong, so an element serving ``n`` customers sees ``X ~ Poisson(mu)``,
``mu = n * rate * window_s / 86400`` reports in one window. The element fires at ``k``
distinct reporters, the smallest ``k >= min_reports`` whose false-alarm rate per window stays
below ``alpha = false_alarms_per_day / (tested elements * windows per day)`` (Bonferroni over
every element and every window of a day: background reports alone then raise at most
``false_alarms_per_day`` suspicions a day over all elements).

The window slides, so a day holds far more than ``86400 / window_s`` windows, and testing
``P(X >= k)`` per disjoint window under-counts (the benchmark measured ~3x the promise at
``k = 3``). The rate used instead is the scan bound ``mu * P(X >= k - 1)``: a window with
``k`` reports starts at one of them, and the expected number of reports followed by
``k - 1`` more within ``window_s`` is ``rate * time * P(X >= k - 1)`` (``mu`` per window
length), an upper bound on the chance that any window of that stretch fires. For small
``mu`` it is ``~k`` times ``P(X >= k)``.

Kept apart from ``suspicion`` (the detector's state machine) because it is pure arithmetic
the benchmark and the tests check on their own.
"""

from __future__ import annotations

import math
from typing import Protocol

__all__ = [
    "DetectorSettings",
    "comparisons_per_day",
    "detection_threshold",
    "log_poisson_tail",
    "log_window_false_alarms",
]

_DAY_S = 86400.0


class DetectorSettings(Protocol):
    """What the detector reads from ``forewarn.config.SensorSettings`` (``[sensors]``)."""

    @property
    def window_s(self) -> float: ...
    @property
    def min_reports(self) -> int: ...
    @property
    def background_per_customer_day(self) -> float: ...
    @property
    def false_alarms_per_day(self) -> float: ...
    @property
    def update_interval_s(self) -> float: ...
    @property
    def max_reports_per_element(self) -> int: ...
    @property
    def max_reporters(self) -> int: ...
    @property
    def max_open(self) -> int: ...


def log_poisson_tail(k: int, mu: float) -> float:
    """``log P(X >= k)`` for ``X ~ Poisson(mu)``.

    Computed from log-space terms ``-mu + j log mu - lgamma(j + 1)`` because the values that
    matter are far outside plain floats' comfort: ``alpha`` is ~1e-8, ``mu`` runs from ~1e-5
    (a small PON) to hundreds (a root over millions of customers), and ``mu**j / j!``
    overflows or underflows long before the tail does. Without scipy (not a dependency):
    above the mean the tail's terms fall at least geometrically, so it is summed until they
    are negligible; at or below the mean it is ``1 - P(X < k)``, a short sum of terms < 1.
    """
    if k <= 0:
        return 0.0
    if mu <= 0:
        return -math.inf
    log_mu = math.log(mu)

    def term(j: int) -> float:
        return -mu + j * log_mu - math.lgamma(j + 1)

    if k <= mu:
        below = math.fsum(math.exp(term(j)) for j in range(k))
        return math.log1p(-min(below, 1.0)) if below < 1.0 else -math.inf
    first = term(k)
    total, j, t = 0.0, k, first
    while t > first - 50.0:  # e**-50 relative: far below a double's precision of the sum
        total += math.exp(t - first)
        j += 1
        t = term(j)
    return first + math.log(total)


def comparisons_per_day(tested_elements: int, window_s: float) -> float:
    """How many tests a day the correction covers: every element in every window."""
    return max(1, tested_elements) * (_DAY_S / window_s)


def log_window_false_alarms(k: int, mu: float) -> float:
    """``log`` of the scan bound ``mu * P(X >= k - 1)``: the expected number of windows per
    ``window_s`` of background that hold ``k`` reports (``k >= 1``), an upper bound on the
    chance that a sliding window fires on background alone (module docstring)."""
    if mu <= 0:
        return -math.inf
    return math.log(mu) + log_poisson_tail(k - 1, mu)


def detection_threshold(served: int, settings: DetectorSettings, tests: float) -> int:
    """Distinct reporters within the window that make an element serving ``served``
    customers fire: the smallest ``k >= min_reports`` whose scan bound per window
    (``log_window_false_alarms``) is at most ``alpha``.

    Galloping then bisection over ``k`` (the bound falls with ``k``), so a root element with
    ``mu`` in the hundreds costs a few dozen tail evaluations, not hundreds.
    """
    mu = served * settings.background_per_customer_day * settings.window_s / _DAY_S
    log_alpha = math.log(settings.false_alarms_per_day / tests)
    low = settings.min_reports
    if log_window_false_alarms(low, mu) <= log_alpha:
        return low
    step, high = 1, low + 1
    while log_window_false_alarms(high, mu) > log_alpha:
        low, step = high, step * 2
        high = max(high + step, math.ceil(mu))
    while high - low > 1:  # rate(low) > alpha >= rate(high)
        middle = (low + high) // 2
        if log_window_false_alarms(middle, mu) <= log_alpha:
            high = middle
        else:
            low = middle
    return high
