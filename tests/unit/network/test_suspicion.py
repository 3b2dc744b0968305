"""Suspected incidents from customers' no-service reports (CONTRACT §8): the test, the
suspected element, the lifecycle and the bounds, on a 100,000-customer synthetic region."""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Iterable, Sequence
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forewarn.config import SensorSettings
from forewarn.geo import RegionIndex
from forewarn.streams.network.events import SuspicionEvent, incident_id_for
from forewarn.streams.network.serving import served_counts, serving_elements
from forewarn.streams.network.suspicion import (
    SuspicionDetector,
    comparisons_per_day,
    detection_threshold,
    log_poisson_tail,
)
from tests.unit.network.conftest import SynthRegion

T0 = 1_780_000_000.0  # 2026-05-28 20:26:40 UTC
DAY = 86400.0
Report = tuple[float, str, int]  # (event time, contact id, customer position)


# -- helpers -----------------------------------------------------------------------------


def detector(region: SynthRegion, state: dict | None = None, **options: float) -> SuspicionDetector:
    return SuspicionDetector(SensorSettings(**options), region.served, region.index.element_type,
                             {} if state is None else state)


def feed(det: SuspicionDetector, region: SynthRegion, reports: Iterable[Report],
         until: float | None = None) -> list[SuspicionEvent]:
    events: list[SuspicionEvent] = []
    ids = region.index.customer_ids
    for at, contact_id, p in reports:
        events += det.report(at, contact_id, ids[p], region.serving[p])
    if until is not None:
        events += det.advance(until)
    return events


def background(seed: int, customers: int, start: float, duration: float,
               rate: float = 0.002) -> list[Report]:
    """Contacts from random customers at ``rate`` per customer and day (vectorised)."""
    rng = np.random.default_rng(seed)
    count = rng.poisson(customers * rate * duration / DAY)
    times = np.sort(rng.uniform(start, start + duration, count))
    who = rng.integers(customers, size=count)
    return [(float(t), f"bg{seed}-{i}", int(p))
            for i, (t, p) in enumerate(zip(times.tolist(), who.tolist()))]


def burst(seed: int, members: Sequence[int], count: int, start: float,
          within: float) -> list[Report]:
    """``count`` distinct members reporting at random instants within ``within`` seconds."""
    rng = np.random.default_rng(seed)
    who = rng.choice(np.asarray(members), size=count, replace=False)
    times = np.sort(rng.uniform(start, start + within, count))
    return [(float(t), f"fail{seed}-{i}", int(p))
            for i, (t, p) in enumerate(zip(times.tolist(), who.tolist()))]


def merged(*streams: list[Report]) -> list[Report]:
    return sorted((r for s in streams for r in s), key=lambda r: (r[0], r[1]))


def tipping_time(reports: Sequence[Report], members: set[int], k: int,
                 window: float) -> float | None:
    """Independently: the first report at which ``k`` distinct members reported within the
    window ending at it."""
    latest: dict[int, float] = {}
    for at, _, p in reports:
        if p in members:
            latest[p] = at
            if sum(1 for t in latest.values() if t > at - window) >= k:
                return at
    return None


def suspected(events: Iterable[SuspicionEvent]) -> list[tuple[str, float]]:
    return [(e.element_id, e.at) for e in events if e.event == "suspected"]


def members_of(index: RegionIndex, element: str) -> list[int]:
    return index.dependents([element]).tolist()


# -- the test ----------------------------------------------------------------------------


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
    assert log_poisson_tail(k, mu) <= math.log(alpha)
    if k > options.min_reports:
        assert log_poisson_tail(k - 1, mu) > math.log(alpha)


def test_a_larger_element_needs_more_reports_and_min_reports_bounds_small_ones() -> None:
    options = SensorSettings(min_reports=3)
    tests = comparisons_per_day(5000, options.window_s)
    ks = [detection_threshold(n, options, tests) for n in (10, 1_000, 100_000, 1_000_000)]
    assert ks == sorted(ks)
    assert ks[0] == 3 and ks[-1] > ks[-2] > 3


def test_background_alone_is_expected_to_raise_at_most_false_alarms_per_day(
        synth_100k: SynthRegion) -> None:
    """The union bound over every element and window of a day: the correction's promise."""
    options = SensorSettings()
    det = detector(synth_100k)
    tested = [(e, n) for e, n in synth_100k.served.items() if n > 0]
    windows = DAY / options.window_s
    expected = sum(windows * math.exp(log_poisson_tail(
        det.threshold(e), n * options.background_per_customer_day * options.window_s / DAY))
        for e, n in tested)
    assert expected <= options.false_alarms_per_day


# -- the suspected element ---------------------------------------------------------------

_SERVED = {"OLT": 100, "PON-a": 10, "PON-b": 10, "CELL": 50, "SITE": 150}


def _crafted(serving: list[tuple[str, ...]]) -> list[SuspicionEvent]:
    """Reports from customers ``c0, c1, ...`` served by the given elements, 1 s apart."""
    det = SuspicionDetector(SensorSettings(), _SERVED, lambda e: e.split("-")[0].lower(), {})
    events: list[SuspicionEvent] = []
    for i, elements in enumerate(serving):
        events += det.report(T0 + i, f"k{i}", f"c{i}", elements)
    return events + det.advance(T0 + 100)


def test_the_suspected_element_serves_at_least_80_percent_of_the_reporters() -> None:
    four_of_five = [("PON-a", "OLT")] * 4 + [("PON-b", "OLT")]
    assert [(e.event, e.element_id, e.reports) for e in _crafted(four_of_five)] == [
        ("suspected", "PON-a", 4)]
    three_of_five = [("PON-a", "OLT")] * 3 + [("PON-b", "OLT")] * 2
    assert suspected(_crafted(three_of_five)) == [("OLT", T0 + 4)]


def test_the_suspected_element_is_the_one_serving_fewest_customers() -> None:
    both = [("CELL", "SITE", "PON-a", "OLT")] * 3 + [("CELL", "SITE", "PON-b", "OLT")] * 2
    assert suspected(_crafted(both)) == [("CELL", T0 + 4)]  # 50 customers, the OLT 100


# -- the done-when cases on 100,000 customers ---------------------------------------------


def _pon(region: SynthRegion) -> str:
    pons = sorted(e for e, n in region.served.items()
                  if region.index.element_type(e) == "pon" and n >= 20)
    return pons[len(pons) // 3]


def test_a_silent_pon_is_suspected_at_the_report_that_tips_it(synth_100k: SynthRegion) -> None:
    index, pon = synth_100k.index, _pon(synth_100k)
    members = members_of(index, pon)
    start = T0 + 5 * 3600
    noise = background(1, len(index), T0, DAY)
    failure = burst(2, members, 6, start, 600)
    reports = merged(noise, failure)
    det = detector(synth_100k)
    assert det.threshold(pon) == 5  # mu ~ 1e-3: min_reports decides
    events = feed(det, synth_100k, reports, until=T0 + DAY)
    tip = tipping_time(reports, set(members), 5, 900)
    assert tip is not None and failure[0][0] < tip <= failure[-1][0]
    assert suspected(events) == [(pon, tip)]  # not its OLT, not a cell
    first = next(e for e in events if e.event == "suspected")
    assert first.incident_id == incident_id_for(pon, tip)
    assert first.cause_type == "pon" and first.customers == len(members)
    assert first.reports == 5


def test_a_silent_cell_whose_customers_have_no_other_cell_is_suspected(
        synth_100k: SynthRegion) -> None:
    index = synth_100k.index
    alone: dict[str, list[int]] = {}
    for p, customer_id in enumerate(index.customer_ids):
        cells = index.covering_cells(customer_id)
        if len(cells) == 1 and not index.serving_nodes(customer_id):
            alone.setdefault(cells[0], []).append(p)
    cell = sorted(c for c, ps in alone.items() if len(ps) >= 8)[0]
    start = T0 + 14 * 3600
    noise = background(3, len(index), T0, DAY)
    failure = burst(4, alone[cell], 6, start, 600)
    reports = merged(noise, failure)
    events = feed(detector(synth_100k), synth_100k, reports, until=T0 + DAY)
    tip = tipping_time(reports, set(members_of(index, cell)), 5, 900)
    assert tip is not None
    assert suspected(events) == [(cell, tip)]


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_a_day_of_background_contacts_raises_no_suspicion(synth_100k: SynthRegion,
                                                         seed: int) -> None:
    reports = background(seed, len(synth_100k.index), T0, DAY)
    assert len(reports) > 100  # ~200 a day at 0.2 % of 100,000 customers
    det = detector(synth_100k)
    assert feed(det, synth_100k, reports, until=T0 + 2 * DAY) == []
    assert det.counts.reports == len(reports) - det.counts.unserved


def test_a_suspicion_without_new_reports_is_cancelled_after_the_window(
        synth_100k: SynthRegion) -> None:
    index, pon = synth_100k.index, _pon(synth_100k)
    failure = burst(5, members_of(index, pon), 6, T0, 600)
    det = detector(synth_100k)
    last = failure[-1][0]
    events = feed(det, synth_100k, failure, until=last + 899.0)
    assert suspected(events) == [(pon, tipping_time(failure, set(members_of(index, pon)), 5,
                                                     900))]
    assert "cancelled" not in [e.event for e in events]
    assert [s.element_id for s in det.open()] == [pon]
    cancelled = det.advance(last + 900.0)
    assert [(e.event, e.element_id, e.at) for e in cancelled] == [("cancelled", pon, last + 900)]
    assert det.open() == []


def test_the_same_input_gives_the_same_events(synth_100k: SynthRegion) -> None:
    index, pon = synth_100k.index, _pon(synth_100k)
    reports = merged(background(6, len(index), T0, DAY / 4),
                     burst(7, members_of(index, pon), 8, T0 + 3600, 900))
    runs = [feed(detector(synth_100k), synth_100k, reports, until=T0 + DAY) for _ in range(2)]
    assert runs[0] == runs[1] and suspected(runs[0])


def test_a_rebuilt_detector_continues_exactly_where_the_state_left_off(
        synth_100k: SynthRegion) -> None:
    index, pon = synth_100k.index, _pon(synth_100k)
    reports = merged(background(8, len(index), T0, DAY / 4),
                     burst(9, members_of(index, pon), 8, T0 + 3600, 900))
    whole = feed(detector(synth_100k), synth_100k, reports, until=T0 + DAY)
    cut = next(i for i, r in enumerate(reports) if r[1].startswith("fail")) + 6
    first = detector(synth_100k)
    events = feed(first, synth_100k, reports[:cut])
    state = json.loads(json.dumps(first.state))  # what the journal would hold
    second = detector(synth_100k, state)
    events += feed(second, synth_100k, reports[cut:], until=T0 + DAY)
    assert events == whole


def test_reporters_explained_by_a_suspected_pon_do_not_make_its_olt_suspected_too(
        synth_100k: SynthRegion) -> None:
    index = synth_100k.index
    pon = _pon(synth_100k)
    olt = index.ancestors(pon)[0]
    siblings = sorted(set(members_of(index, olt)) - set(members_of(index, pon)))
    failure = burst(26, members_of(index, pon), 6, T0, 120)
    # two more of the OLT's customers: eight reporters, the PON serves 75 % of them
    others = [(T0 + 200, "sib-0", siblings[0]), (T0 + 210, "sib-1", siblings[-1])]
    events = feed(detector(synth_100k), synth_100k, merged(failure, others), until=T0 + 300)
    assert [e for e, _ in suspected(events)] == [pon]


# -- lifecycle ---------------------------------------------------------------------------


def _scenario(region: SynthRegion, count: int, start: float = T0,
              within: float = 300.0) -> tuple[str, list[Report]]:
    pon = _pon(region)
    return pon, burst(21, members_of(region.index, pon), count, start, within)


def test_further_reports_update_the_suspicion_at_most_once_per_interval(
        synth_100k: SynthRegion) -> None:
    _, reports = _scenario(synth_100k, 12, within=120)
    events = feed(detector(synth_100k, update_interval_s=60), synth_100k, reports,
                  until=reports[-1][0] + 1)
    kinds = [e.event for e in events]
    assert kinds[0] == "suspected"
    updates = [e for e in events if e.event == "updated"]
    assert 1 <= len(updates) < 12 - 5
    times = [events[0].at] + [e.at for e in updates]
    assert all(b - a >= 60 for a, b in itertools.pairwise(times))
    assert [e.reports for e in events] == sorted(e.reports for e in events)


def test_a_pending_update_is_emitted_when_due_without_new_reports(
        synth_100k: SynthRegion) -> None:
    _, reports = _scenario(synth_100k, 7, within=30)
    det = detector(synth_100k, update_interval_s=60)
    events = feed(det, synth_100k, reports, until=reports[-1][0] + 1)
    assert [(e.event, e.reports) for e in events] == [("suspected", 5)]
    later = det.advance(events[0].at + 60)
    assert [(e.event, e.reports, e.at) for e in later] == [("updated", 7, events[0].at + 60)]


def test_a_noc_confirmation_by_incident_id_confirms_under_the_same_id(
        synth_100k: SynthRegion) -> None:
    pon, reports = _scenario(synth_100k, 6)
    det = detector(synth_100k)
    opened = feed(det, synth_100k, reports, until=reports[-1][0] + 1)[0]
    assert det.confirm(opened.at + 5, incident_id="INC-unknown") is None
    event = det.confirm(opened.at + 10, incident_id=opened.incident_id)
    assert event is not None
    assert (event.event, event.incident_id, event.element_id, event.at) == (
        "confirmed", opened.incident_id, pon, opened.at + 10)
    assert det.open() == []
    assert det.advance(opened.at + 10 * DAY) == []  # confirmed: never cancelled


def test_a_noc_confirmation_by_element_confirms_its_suspicion(synth_100k: SynthRegion) -> None:
    pon, reports = _scenario(synth_100k, 6)
    det = detector(synth_100k)
    opened = feed(det, synth_100k, reports, until=reports[-1][0] + 1)[0]
    event = det.confirm(opened.at + 1, element_id=pon)
    assert event is not None and event.incident_id == opened.incident_id
    assert det.confirm(opened.at + 2, element_id=pon) is None  # once


def test_a_confirmation_after_the_cancellation_was_due_confirms_nothing(
        synth_100k: SynthRegion) -> None:
    pon, reports = _scenario(synth_100k, 6)
    det = detector(synth_100k)
    feed(det, synth_100k, reports, until=reports[-1][0] + 1)
    assert det.confirm(reports[-1][0] + 900, element_id=pon) is None


def test_an_alarm_on_the_suspected_element_joins_it(synth_100k: SynthRegion) -> None:
    pon, reports = _scenario(synth_100k, 6)
    det = detector(synth_100k)
    opened = feed(det, synth_100k, reports, until=reports[-1][0] + 1)[0]
    olt = synth_100k.index.ancestors(pon)[0]
    assert det.join(olt, opened.at + 3) is None  # not the suspected element
    joined = det.join(pon, opened.at + 4)
    assert joined is not None
    assert (joined.event, joined.incident_id) == ("confirmed", opened.incident_id)


def test_reporters_of_a_confirmed_suspicion_no_longer_count_for_other_elements(
        synth_100k: SynthRegion) -> None:
    index = synth_100k.index
    pon = _pon(synth_100k)
    olt = index.ancestors(pon)[0]
    det = detector(synth_100k)
    opened = feed(det, synth_100k, burst(22, members_of(index, pon), 6, T0, 60),
                  until=T0 + 61)[0]
    assert det.confirm(T0 + 62, element_id=pon) is not None
    siblings = sorted(set(members_of(index, olt)) - set(members_of(index, pon)))
    # one more report under the OLT: with the PON's six it would make five of the OLT's
    events = feed(det, synth_100k, [(T0 + 70, "sib-0", siblings[0])], until=T0 + 80)
    assert events == [] and opened.element_id == pon


def test_reports_outside_the_window_are_ignored_and_old_ones_forgotten(
        synth_100k: SynthRegion) -> None:
    _, reports = _scenario(synth_100k, 5, within=10)
    det = detector(synth_100k)
    # four reports, then the fifth just after the first four left the window
    spaced = [(T0 + i, c, p) for i, (_, c, p) in enumerate(reports[:4])]
    spaced.append((T0 + 3 + 900, reports[4][1], reports[4][2]))
    assert feed(det, synth_100k, spaced, until=T0 + 4000) == []
    assert det.state == {}  # everything left the window
    late = detector(synth_100k)
    feed(late, synth_100k, [(T0 + 2000, "now", reports[0][2])])
    feed(late, synth_100k, [(T0 + 2000 - 900, "too-old", reports[1][2])])
    assert late.counts.too_old == 1


def test_a_repeated_contact_id_changes_nothing(synth_100k: SynthRegion) -> None:
    pon, reports = _scenario(synth_100k, 5, within=10)
    first, others = reports[0], reports[1:]
    # the first reporter's contact again 800 s later: were it counted as a new report, the
    # first reporter would still be in the window when the other four report
    repeated = [(T0, first[1], first[2]), (T0 + 800, first[1], first[2])]
    repeated += [(T0 + 901 + i, c, p) for i, (_, c, p) in enumerate(others)]
    det = detector(synth_100k)
    assert feed(det, synth_100k, repeated, until=T0 + 1000) == []
    assert det.counts.duplicates == 1
    fresh = [(T0, first[1], first[2]), (T0 + 800, "a-new-contact", first[2])]
    fresh += repeated[2:]
    assert suspected(feed(detector(synth_100k), synth_100k, fresh, until=T0 + 1000)) == [
        (pon, T0 + 904)]


def test_a_hostile_burst_of_one_customers_reports_counts_once(synth_100k: SynthRegion) -> None:
    _, reports = _scenario(synth_100k, 4, within=10)
    at, _, p = reports[0]
    flood = [(at + i * 0.01, f"flood-{i}", p) for i in range(2000)]
    det = detector(synth_100k)
    assert feed(det, synth_100k, merged(flood, reports[1:]), until=T0 + 100) == []
    entry = det.state[f"r:{synth_100k.index.customer_ids[p]}"]
    assert len(entry["contacts"]) == 16  # bounded memory of contact ids


def test_reporters_per_element_are_capped(synth_100k: SynthRegion) -> None:
    index = synth_100k.index
    pon = _pon(synth_100k)
    members = members_of(index, pon)
    cap = 10
    det = detector(synth_100k, max_reports_per_element=cap, min_reports=cap)
    feed(det, synth_100k, [(T0 + i, f"c{i}", p) for i, p in enumerate(members[:cap])])
    assert det.reporting(pon) == cap and det.counts.trimmed == 0  # at the limit
    feed(det, synth_100k, [(T0 + cap, "one-more", members[cap])])
    assert det.reporting(pon) == cap and det.counts.trimmed >= 1
    assert index.customer_ids[members[0]] not in det._trackers[pon]  # the oldest went


def test_reporting_customers_overall_are_capped(synth_100k: SynthRegion) -> None:
    reports = background(23, len(synth_100k.index), T0, 600, rate=50.0)[:60]
    det = detector(synth_100k, max_reporters=50)
    feed(det, synth_100k, reports[:50])
    assert sum(k.startswith("r:") for k in det.state) == 50 - det.counts.unserved
    feed(det, synth_100k, reports[50:])
    assert sum(k.startswith("r:") for k in det.state) <= 50
    assert det.counts.forgotten >= 1


def test_open_suspicions_are_capped(synth_100k: SynthRegion) -> None:
    index = synth_100k.index
    pons = sorted(e for e, n in synth_100k.served.items()
                  if index.element_type(e) == "pon" and n >= 20)[:2]
    reports = merged(burst(24, members_of(index, pons[0]), 5, T0, 60),
                     burst(25, members_of(index, pons[1]), 5, T0 + 100, 60))
    det = detector(synth_100k, max_open=1)
    events = feed(det, synth_100k, reports, until=T0 + 200)
    assert suspected(events) == [(pons[0], reports[4][0])]
    assert det.counts.refused >= 1


def test_a_new_index_version_changes_thresholds(synth_100k: SynthRegion) -> None:
    det = detector(synth_100k)
    root = max(synth_100k.served, key=lambda e: synth_100k.served[e])
    before = det.threshold(root)
    det.swap({e: n * 10 for e, n in synth_100k.served.items()})
    assert det.threshold(root) > before


def test_served_as_a_function_needs_the_number_of_tested_elements(
        tiny_index: RegionIndex) -> None:
    counts = served_counts(tiny_index)
    with pytest.raises(ValueError, match="tested_elements"):
        SuspicionDetector(SensorSettings(), counts.__getitem__, tiny_index.element_type, {})
    det = SuspicionDetector(SensorSettings(), counts.__getitem__, tiny_index.element_type, {},
                            tested_elements=len(counts))
    assert det.threshold("PON-1") == 5


def test_a_report_at_a_non_finite_time_is_refused(tiny_index: RegionIndex) -> None:
    det = SuspicionDetector(SensorSettings(), served_counts(tiny_index),
                            tiny_index.element_type, {})
    with pytest.raises(ValueError, match="finite"):
        det.report(math.nan, "c", "007", ("A1",))


# -- order does not matter ---------------------------------------------------------------

_TINY_REPORTERS = ["007", "0012", "c-east", "c-south", "c-diag", "f-explicit", "f-fttb",
                   "f-geo", "f-overlap"]


@st.composite
def _report_streams(draw: st.DrawFn) -> tuple[list[tuple[float, str, str]], list[int], list[int]]:
    """Reports at a few instants (many equal), a shuffle within each instant, and the
    positions after which a copy of an earlier report is repeated."""
    n = draw(st.integers(2, 30))
    times = sorted(draw(st.lists(st.sampled_from([0.0, 10.0, 10.0, 50.0, 400.0, 950.0, 1000.0]),
                                 min_size=n, max_size=n)))
    who = draw(st.lists(st.sampled_from(_TINY_REPORTERS), min_size=n, max_size=n))
    reports = [(T0 + t, f"k{i}", c) for i, (t, c) in enumerate(zip(times, who))]
    keys = draw(st.lists(st.floats(0, 1), min_size=n, max_size=n))
    repeats = draw(st.lists(st.integers(0, n - 1), max_size=6))
    return reports, [int(k * 1000) for k in keys], repeats


@settings(max_examples=150, deadline=None)
@given(_report_streams())
def test_reordering_equal_times_or_repeating_contacts_never_changes_the_events(
        tiny_index: RegionIndex,
        streams: tuple[list[tuple[float, str, str]], list[int], list[int]]) -> None:
    reports, keys, repeats = streams
    counts = served_counts(tiny_index)

    def run(sequence: list[tuple[float, str, str]]) -> list[SuspicionEvent]:
        det = SuspicionDetector(SensorSettings(min_reports=2, update_interval_s=20), counts,
                                tiny_index.element_type, {})
        events: list[SuspicionEvent] = []
        for at, contact_id, customer_id in sequence:
            events += det.report(at, contact_id, customer_id,
                                 serving_elements(tiny_index, tiny_index.position(customer_id)))
        return events + det.advance(T0 + 10 * DAY)

    expected = run(reports)
    shuffled = sorted(reports, key=lambda r: (r[0], keys[int(r[1][1:])]))
    assert run(shuffled) == expected
    repeated = list(reports)
    for i in sorted(repeats, reverse=True):
        repeated.insert(i + 1, reports[i])  # the copy right after, or after later ones
        repeated.append(reports[i])
    assert run(repeated) == expected
