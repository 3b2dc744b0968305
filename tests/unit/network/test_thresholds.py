"""The background test: the Poisson tail in log space, thresholds, the scan bound."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest

from forewarn.config import SensorSettings
from forewarn.streams.network.thresholds import (
    comparisons_per_day,
    detection_threshold,
    log_poisson_tail,
    log_window_false_alarms,
)

DAY = 86400.0


@pytest.mark.parametrize(("k", "mu"), [(0, 1.0), (1, 0.5), (3, 2.0), (5, 0.01), (7, 7.0),
                                       (2, 9.0), (12, 3.5), (20, 0.2)])
def test_poisson_tail_matches_the_exact_sum(k: int, mu: float) -> None:
    exact = 1.0 - math.fsum(math.exp(-mu) * mu**j / math.factorial(j) for j in range(k))
    if exact > 1e-6:
        assert math.exp(log_poisson_tail(k, mu)) == pytest.approx(exact, rel=1e-9)
    else:  # 1 - sum loses everything: compare with the upper terms summed exactly
        upper = sum(Fraction(mu) ** j / math.factorial(j) for j in range(k, k + 60))
        reference = math.log(upper) - mu
        assert log_poisson_tail(k, mu) == pytest.approx(reference, rel=1e-9)


def test_poisson_tail_stays_finite_where_plain_floats_underflow() -> None:
    # mu**60 / 60! is ~1e-382 for mu = 1e-5: zero in doubles; the log tail is exact.
    tail = log_poisson_tail(60, 1e-5)
    leading = -1e-5 + 60 * math.log(1e-5) - math.lgamma(61)
    assert math.isfinite(tail)
    assert tail == pytest.approx(leading, rel=1e-9)
    assert log_poisson_tail(400, 300.0) < math.log(1e-6)  # large mu, above the mean


def test_no_customers_means_no_background_and_the_minimum_threshold() -> None:
    assert log_poisson_tail(1, 0.0) == -math.inf
    assert detection_threshold(0, SensorSettings(), comparisons_per_day(1000, 900)) == 5


@pytest.mark.parametrize("served", [1, 40, 300, 5_000, 100_000, 1_000_000])
def test_the_threshold_is_the_smallest_count_improbable_enough(served: int) -> None:
    options = SensorSettings()
    tests = comparisons_per_day(5000, options.window_s)
    k = detection_threshold(served, options, tests)
    mu = served * options.background_per_customer_day * options.window_s / DAY
    alpha = options.false_alarms_per_day / tests
    assert k >= options.min_reports
    assert math.log(mu) + log_poisson_tail(k - 1, mu) <= math.log(alpha)
    if k > options.min_reports:
        assert math.log(mu) + log_poisson_tail(k - 2, mu) > math.log(alpha)


def test_a_larger_element_needs_more_reports_and_min_reports_bounds_small_ones() -> None:
    options = SensorSettings(min_reports=3)
    tests = comparisons_per_day(5000, options.window_s)
    ks = [detection_threshold(n, options, tests) for n in (10, 1_000, 100_000, 1_000_000)]
    assert ks == sorted(ks)
    assert ks[0] == 3 and ks[-1] > ks[-2] > 3


def test_the_scan_bound_holds_for_a_sliding_window_where_disjoint_windows_undercount() -> None:
    """Monte Carlo: 20 window lengths of background at mu = 0.5 per window; how often does
    some sliding window hold 4 reports? Below the scan bound, above the disjoint count."""
    rng = np.random.default_rng(5)
    mu, k, windows, trials = 0.5, 4, 20, 4000
    hits = 0
    for _ in range(trials):
        times = np.sort(rng.uniform(0, windows, rng.poisson(mu * windows)))
        hits += bool(times.size >= k and np.any(times[k - 1:] - times[:1 - k] < 1.0))
    seen = hits / trials
    disjoint = windows * math.exp(log_poisson_tail(k, mu))
    assert disjoint < seen <= windows * math.exp(log_window_false_alarms(k, mu))
