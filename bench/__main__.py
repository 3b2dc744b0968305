"""``python -m bench NAME [ARGS...]``: run one benchmark; without a name, list them.

Each benchmark is a module of this package with a ``main(argv) -> int | None``.
"""

from __future__ import annotations

import importlib
import sys

BENCHMARKS = {
    "fanout": "bench.fanout",  # delivery of one incident's fan-out to a local webhook
    "geo": "bench.geo",        # region indexing and storm impact
    "storm": "bench.storm",    # alarm storm through the real pipeline, 1 and 2 workers
    "lookup": "bench.lookup",  # service-desk customer lookup latency, 1M customers
    "callers": "bench.callers",  # IVR caller lookup latency, 1M customers
    "ingest-hostile": "bench.ingest_hostile",  # 50k invalid records in one 1 MB request
    "messages": "bench.messages",  # cost of typed internal messages on the fan-out path
    "lifecycle": "bench.lifecycle",  # what incident events add to the network stage
    "sensors": "bench.sensors",  # suspected incidents: detection delay vs false suspicions
    "slices": "bench.slices",  # sliced index: streaming build of 10M customers, per-slice load
    "element-bytes": "bench.element_bytes",  # network -> customer stages bytes per incident
    "scale": "bench.scale",  # 1, 2, 4 workers on a sliced index: ready, peak RSS, fan-out
    "network-cost": "bench.network_cost",  # network stage + partition expansion per alarm
    "worker-cost": "bench.worker_cost",  # one worker's customer side of an incident, CPU s
}


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in BENCHMARKS:
        print("usage: python -m bench {" + ",".join(BENCHMARKS) + "} [ARGS...]", file=sys.stderr)
        return 2
    module = importlib.import_module(BENCHMARKS[argv[0]])
    return int(module.main(argv[1:]) or 0)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
