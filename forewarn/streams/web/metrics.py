"""Prometheus metrics of the stream processor, exported at ``GET /metrics``.

The registry is injected (tests and several apps in one process must not share the global
one). Hot paths are not touched: what the stages already count (``NormaliseStage.outcomes``,
the board's live sets, Faust's monitor offsets) is read at scrape time by a collector, and
only what no stage counts (HTTP ingest) is counted here. Delivery keeps its own
``DeliveryMetrics`` registries (dispatcher and delivery stage); the scrape merges them by
family name, so one family never appears twice in the exposition.

Families (``_total`` added by the exposition for counters):

* ``forewarn_alarms_in{format, outcome, source}``: records accepted/rejected by the
  normaliser (``source="topic"``) and by HTTP ingest (``source="http"``);
* ``forewarn_dead_letters{topic}``: records on ``alarms.dead-letter`` and
  ``notifications.dead-letter`` that this worker wrote and the broker acknowledged
  (``letters``, counted in the shell); rejected records are ``forewarn_alarms_in{outcome=
  "rejected"}`` and ``forewarn_network_records_refused``: more than the letters when a
  request's letters were capped, a body was refused whole (413) or a letter was not stored;
* ``forewarn_incidents_open{kind}`` (``outage``/``planned``) and
  ``forewarn_customers_affected{service}``: from the incident board;
* ``forewarn_incident_contacts{when}`` (``before_notice``/``after_notice``/``never_told``):
  contacts of ended incidents' affected customers, split by whether they had been told
  (calls saved, CONTRACT §8; the README says how to read it);
* ``forewarn_network_records_refused{reason}``: parsed records the network stage refused
  (implausible event time, too many open alarms on one element), each also a dead letter;
* ``forewarn_consumer_lag{topic, partition}``: end offset minus read offset, as Faust's
  monitor last saw them (no broker round trip);
* ``forewarn_index_info{version}`` and ``forewarn_index_customers``; with a sliced index,
  ``forewarn_index_slices_mapped`` (slices this worker maps: ``kafka.slice_mapping``);
* ``forewarn_ingest_inflight_bytes`` (request-body bytes held now) and
  ``forewarn_ingest_inflight_refused`` (requests answered 503 because
  ``api.max_inflight_bytes`` was reached): the worker-wide body budget (``web.inflight``);
* customers as sensors (CONTRACT §8): ``forewarn_contacts{channel, reason}`` (contacts the
  network saw), ``forewarn_suspicions{event}`` (suspected / updated / confirmed /
  cancelled), ``forewarn_suspected_incidents_open`` (from the board),
  ``forewarn_suspicion_webhooks{outcome}`` (sent / failed / dropped: the NOC's webhook);
* from delivery: ``forewarn_notifications{channel, stage, outcome}``,
  ``forewarn_decision_to_delivery_seconds`` (histogram, buckets explained in
  ``forewarn.notifiers.metrics``) and the per-attempt families.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

__all__ = ["CONTENT_TYPE", "StreamMetrics"]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
LagSource = Callable[[], Mapping[tuple[str, int], int]]
HealthSource = Callable[[], Mapping[str, tuple[bool, float]]]  # stage -> (stalled, seconds)


class StreamMetrics:
    """The worker's metrics: a collector over the live pipeline plus HTTP ingest counts."""

    def __init__(self, registry: CollectorRegistry | None = None, *, board: Any = None,
                 index: Any = None, normalise: Any = None, network: Any = None,
                 delivery_registries: Iterable[CollectorRegistry] = (),
                 lag: LagSource | None = None, webhook: Any = None,
                 letters: Callable[[], Mapping[str, int]] | None = None,
                 inflight: Any = None, stages_health: HealthSource | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        self.board = board
        self.index = index
        self.normalise = normalise
        self.network = network
        self.lag = lag
        self.stages_health = stages_health  # the stall watchdog's view, per stage
        self.webhook = webhook  # the suspicion webhook sender, when configured
        self.letters = letters  # dead letters acknowledged, by topic (kafka.dead_letters_acked)
        self.inflight = inflight  # the ingest's InflightBudget, when serving ingest
        self._delivery = list({id(r): r for r in delivery_registries}.values())
        self._http: Counter[tuple[str, str]] = Counter()
        self._lock = threading.Lock()
        self.registry.register(_Collector(self))

    def alarm_in(self, format: str, outcome: str, n: int = 1) -> None:
        """Count ``n`` HTTP-ingested records of ``format`` as ``accepted`` or ``rejected``."""
        if n:
            with self._lock:
                self._http[(format or "unknown", outcome)] += n

    def exposition(self) -> bytes:
        """The text exposition of every family (ours and the merged delivery ones)."""
        return generate_latest(self.registry)

    # -- read at scrape time --------------------------------------------------------------

    def families(self) -> Iterator[Metric]:
        yield self._alarms()
        dead_letters = CounterMetricFamily("forewarn_dead_letters", "Records this worker "
                                           "wrote to a dead-letter topic, acknowledged by "
                                           "the broker.", labels=["topic"])
        merged = list(_merge(self._delivery))
        acked = dict(self.letters() if self.letters is not None else {})
        for topic in ("alarms.dead-letter", "notifications.dead-letter"):
            dead_letters.add_metric([topic], float(acked.get(topic, 0)))
        yield dead_letters
        yield from self._board()
        yield from self._network()
        yield from self._sensors()
        yield from self._index()
        yield self._lag()
        yield from self._inflight()
        yield from self._stalls()
        yield from merged

    def _alarms(self) -> Metric:
        family = CounterMetricFamily("forewarn_alarms_in", "Input records by detected format "
                                     "and outcome.", labels=["format", "outcome", "source"])
        outcomes = dict(getattr(self.normalise, "outcomes", {}) or {})
        for key, n in sorted(outcomes.items()):
            fmt, _, outcome = str(key).rpartition(":")
            family.add_metric([fmt or "unknown", outcome, "topic"], n)
        with self._lock:
            http = dict(self._http)
        for (fmt, outcome), n in sorted(http.items()):
            family.add_metric([fmt, outcome, "http"], n)
        return family

    def _board(self) -> Iterator[Metric]:
        incidents = self.board.incidents() if self.board is not None else []
        open_ = GaugeMetricFamily("forewarn_incidents_open", "Incidents with customers out "
                                  "now.", labels=["kind"])
        affected = GaugeMetricFamily("forewarn_customers_affected", "Customers out now, per "
                                     "service.", labels=["service"])
        active = [i for i in incidents if i["active"]]
        for kind, planned in (("outage", False), ("planned", True)):
            open_.add_metric([kind], sum(1 for i in active if i["planned"] == planned))
        totals: Counter[str] = Counter()
        for incident in active:
            totals.update(incident["affected_now"])
        for service in ("mobile", "fibre"):
            affected.add_metric([service], totals.get(service, 0))
        yield open_
        yield affected
        contacts = CounterMetricFamily("forewarn_incident_contacts", "Contacts of ended "
                                       "incidents' affected customers, by whether they had "
                                       "been told before.", labels=["when"])
        totals_of = getattr(self.board, "contacts_total", None)
        for when, n in sorted((totals_of() if totals_of is not None else {}).items()):
            contacts.add_metric([when], n)
        yield contacts

    def _network(self) -> Iterator[Metric]:
        """What the correlator noticed: alarms on elements the region does not know (a sign
        of stale inventory), NOC updates that matched no incident, flapping elements."""
        correlator = getattr(self.network, "correlator", None)
        counts = getattr(correlator, "counts", None)
        if counts is None:
            return
        family = CounterMetricFamily("forewarn_network_records_unmatched", "Records the "
                                     "network could not place.", labels=["kind"])
        family.add_metric(["unknown_element"], getattr(counts, "unknown_elements", 0))
        family.add_metric(["unmatched_update"], getattr(counts, "unmatched_updates", 0))
        family.add_metric(["unmatched_confirm"], getattr(counts, "unmatched_confirms", 0))
        yield family
        refused = CounterMetricFamily("forewarn_network_records_refused", "Parsed records the "
                                      "network refused (dead-lettered) and why.", labels=["reason"])
        for reason, n in sorted(_refused(self.network).items()):
            refused.add_metric([reason], n)
        yield refused
        unstable = GaugeMetricFamily("forewarn_elements_unstable", "Elements flapping now.")
        unstable.add_metric([], len(getattr(correlator, "unstable", ())))
        yield unstable

    def _sensors(self) -> Iterator[Metric]:
        """Contacts, suspicions and the NOC's webhook (the correlator's counts, the board)."""
        counts = getattr(getattr(self.network, "correlator", None), "counts", None)
        contacts = CounterMetricFamily("forewarn_contacts", "Customer contacts the network "
                                       "saw, by channel and reason.", labels=["channel", "reason"])
        for (channel, reason), n in sorted((getattr(counts, "contacts", None) or {}).items()):
            contacts.add_metric([channel, reason], n)
        yield contacts
        events = CounterMetricFamily("forewarn_suspicions", "Suspected-incident events.",
                                     labels=["event"])
        for event, n in sorted((getattr(counts, "suspicions", None) or {}).items()):
            events.add_metric([event], n)
        yield events
        open_ = GaugeMetricFamily("forewarn_suspected_incidents_open", "Suspected incidents "
                                  "(customers' reports, no alarm) open now.")
        open_.add_metric([], len(self.board.suspicions()) if self.board is not None else 0)
        yield open_
        if self.webhook is not None:
            hooks = CounterMetricFamily("forewarn_suspicion_webhooks", "Suspicion webhooks to "
                                        "the NOC by outcome.", labels=["outcome"])
            for outcome in ("sent", "failed", "dropped"):
                hooks.add_metric([outcome], getattr(self.webhook, outcome, 0))
            yield hooks

    def _index(self) -> Iterator[Metric]:
        if self.index is None:
            return
        info = GaugeMetricFamily("forewarn_index_info", "The region index in use (value 1).",
                                 labels=["version"])
        info.add_metric([_index_version(self.index)], 1)
        yield info
        size = GaugeMetricFamily("forewarn_index_customers", "Customers in the region index.")
        size.add_metric([], len(self.index))
        yield size
        loaded = getattr(self.index, "loaded", None)  # a sliced index (``geo.slices``)
        if loaded is not None:
            slices = GaugeMetricFamily("forewarn_index_slices_mapped", "Partition slices of "
                                       "the sliced index this worker maps now (those of its "
                                       "customer partitions; all while it owns alarms.raw).")
            slices.add_metric([], len(loaded))
            yield slices

    def _inflight(self) -> Iterator[Metric]:
        if self.inflight is None:
            return
        held = GaugeMetricFamily("forewarn_ingest_inflight_bytes", "Request-body bytes the "
                                 "ingest holds now (api.max_inflight_bytes bounds them).")
        held.add_metric([], self.inflight.in_use)
        yield held
        refused = CounterMetricFamily("forewarn_ingest_inflight_refused", "Ingest requests "
                                      "answered 503 because api.max_inflight_bytes was reached.")
        refused.add_metric([], self.inflight.refused)
        yield refused

    def _lag(self) -> Metric:
        family = GaugeMetricFamily("forewarn_consumer_lag", "Messages not yet read, per topic "
                                   "partition this worker consumes.", labels=["topic", "partition"])
        try:
            lags = dict(self.lag()) if self.lag is not None else {}
        except Exception:
            lags = {}
        for (topic, partition), n in sorted(lags.items()):
            family.add_metric([topic, str(partition)], max(0, n))
        return family


    def _stalls(self) -> Iterator[Metric]:
        health = dict(self.stages_health()) if self.stages_health is not None else {}
        stalled = GaugeMetricFamily("forewarn_stage_stalled", "1 while the stage has input "
                                    "waiting and made no progress for [worker] stall_after_s.",
                                    labels=["stage"])
        waiting = GaugeMetricFamily("forewarn_stage_last_progress_seconds", "Seconds the "
                                    "stage has had input waiting without progress (0: caught "
                                    "up, paused or moving).", labels=["stage"])
        for stage, (is_stalled, seconds) in sorted(health.items()):
            stalled.add_metric([stage], 1.0 if is_stalled else 0.0)
            waiting.add_metric([stage], seconds)
        yield stalled
        yield waiting


def _refused(network: Any) -> dict[str, int]:
    """The correlator's refusals by reason (``forewarn.streams.network.refusals``)."""
    counts = getattr(getattr(network, "correlator", None), "counts", None)
    return dict(getattr(counts, "refused", None) or {})


def _index_version(index: Any) -> str:
    version = getattr(index, "version", None)
    if version:
        return str(version)
    region = getattr(index, "region", None)
    return f"{getattr(region, 'path', 'region')}".rsplit("/", 1)[-1] + f"@{len(index)}"


def _merge(registries: list[CollectorRegistry]) -> Iterator[Metric]:
    """Families of several registries, one per name, samples of equal labels summed."""
    merged: dict[str, Metric] = {}
    values: dict[str, dict[tuple[str, tuple[tuple[str, str], ...]], Any]] = {}
    for registry in registries:
        for family in registry.collect():
            if family.name not in merged:
                merged[family.name] = Metric(family.name, family.documentation, family.type,
                                             family.unit)
                values[family.name] = {}
            seen = values[family.name]
            for sample in family.samples:
                key = (sample.name, tuple(sorted(sample.labels.items())))
                if key in seen and not sample.name.endswith("_created"):
                    old = seen[key]
                    seen[key] = old._replace(value=old.value + sample.value)
                elif key not in seen:
                    seen[key] = sample
    for name, family in merged.items():
        family.samples = list(values[name].values())
        yield family


class _Collector:
    def __init__(self, metrics: StreamMetrics) -> None:
        self.metrics = metrics

    def describe(self) -> list[Metric]:
        return []  # families vary with the delivery registries: no up-front name check

    def collect(self) -> Iterator[Metric]:
        return self.metrics.families()
