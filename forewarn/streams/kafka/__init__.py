"""The streaming shell: the only modules that import faust or aiokafka.

Owns the Faust app with its topics, tables and thin agents (``app``), starting and stopping
it inside our own asyncio program with bounded, signal-driven shutdown (``runner``,
``signals``), the network stage's own batched consumer (``network_feed``) and its compacted
state journal (``network_journal``), the delivery ledger (``delivery_ledger``), fences for
reading a partition exactly to "now" (``fence``), topic names and checks (``topics``,
``preflight``), the fetch-wait transport (``transport``), TLS/SASL (``tls``) and the
embedded Tansu broker (``embedded_broker``).

What the web layer may know of the shell is exported here, nothing else: whether this
worker is ready, why it can no longer make progress (``StageStalled``: a stage stuck, with
``stage_health`` per stage for the metrics), the dead letters the broker acknowledged
(``forewarn_dead_letters``), and the app type it is served on.
"""

from forewarn.streams.kafka.runner import worker_failure, worker_ready
from forewarn.streams.kafka.watchdog import StageStalled, stage_health
from forewarn.streams.kafka.worker_app import WorkerApp, dead_letters_acked

__all__ = ["StageStalled", "WorkerApp", "dead_letters_acked", "stage_health", "worker_failure",
           "worker_ready"]
