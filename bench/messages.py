"""Micro-benchmark: what typed internal messages cost on the fan-out path.

    python -m bench messages [--rounds 20]

Why: every internal message became a typed value (``forewarn.streams.records.messages``);
the representation was chosen by what decoding and dispatching costs where volume is
highest, the fan-out of one incident to 200,000 customers:

* ``notifications.outbox``: 400 messages of 500 decisions each; per message the delivery
  stage decodes the envelope, dispatches on its type and turns each item into a
  ``Decision`` (``decision_from_record``, the per-customer work that was there before);
* ``impacts``: a storm's ``batch`` envelopes (here 2,000 messages of 100 customers each);
  per message the customer stage decodes it, dispatches on its type and builds its
  ``ImpactChange`` rows.

Each representation is timed for the envelope alone (decode + dispatch) and next to the
per-customer work it leads to, so the figure that matters is the share of the whole:

* ``dict``: the old way, string-keyed dicts dispatched by ``value.get("kind")`` if-chains
  (a ``TypedDict`` is the same object at run time, so it costs the same);
* ``dataclass``: frozen dataclasses with slots, ``match`` on the class (what forewarn uses);
* ``msgspec``: ``msgspec.Struct`` built from the decoded dict (only when msgspec is
  installed; it is not a dependency).

Best of ``--rounds`` runs (the machine is shared; the best run is the least disturbed).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

from forewarn.domain import Decision, ImpactChange, Stage
from forewarn.streams import records

__all__ = ["main"]

DECISION_MESSAGES, DECISIONS_EACH = 400, 500
IMPACT_MESSAGES, CUSTOMERS_EACH = 2_000, 100


def _outbox() -> list[dict[str, Any]]:
    decision = Decision("c-0", "inc-1", Stage.OUTAGE, ("mobile",), 1_700_000_000.0,
                        1_699_999_880.0, "confirmed", "site")
    item = records.decision_to_record(decision)
    return [{"kind": "decisions", "items": [{**item, "customer_id": f"c-{m}-{i}"}
                                            for i in range(DECISIONS_EACH)]}
            for m in range(DECISION_MESSAGES)]


def _impacts() -> list[dict[str, Any]]:
    return [records.ImpactMessage(1_700_000_000.0 + m, "inc-1", "S-1", "site",
                                  {"mobile": [f"c-{m}-{i}" for i in range(CUSTOMERS_EACH)]},
                                  {}).to_wire()
            for m in range(IMPACT_MESSAGES)]


# -- the old way: dicts and if-chains ----------------------------------------------------------

def _dict_outbox(value: dict[str, Any], work: bool) -> int:
    if "control" in value:
        return 0
    if value.get("kind") == "tick":
        return 0
    items = value.get("items", [])
    if work:
        return len([records.decision_from_record(item) for item in items])
    return len(items)


def _dict_impacts(value: dict[str, Any], work: bool) -> int:
    kind = value.get("kind")
    if kind == "impact":
        return len(_changes(value["at"], value["incident_id"], value["cause_element"],
                            value["cause_type"], value.get("out") or {})) if work else 1
    if kind == "tick":
        return 0
    return -1


# -- typed: frozen dataclasses with slots, match on the class ----------------------------------

def _typed_outbox(value: dict[str, Any], work: bool) -> int:
    match records.decode_outbox(value):
        case records.Decisions(items=items):
            if work:
                return len([records.decision_from_record(item) for item in items])
            return len(items)
        case records.EventTick() | records.Drain():
            return 0
    return -1


def _typed_impacts(value: dict[str, Any], work: bool) -> int:
    n = 0
    for message in records.decode_impacts(value):
        match message:
            case records.ImpactMessage():
                n += len(_changes(message.at, message.incident_id, message.cause_element,
                                  message.cause_type, message.out)) if work else 1
            case records.EventTick():
                pass
    return n


def _changes(at: float, incident: str, element: str, cause: str,
             out: dict[str, list[str]]) -> list[ImpactChange]:
    return [ImpactChange(c, service, True, float(at), incident, element, cause)
            for service, ids in out.items() for c in ids]


# -- msgspec (optional) ------------------------------------------------------------------------

def _msgspec_pair() -> tuple[Callable[[dict[str, Any], bool], int],
                             Callable[[dict[str, Any], bool], int]] | None:
    try:
        import msgspec
    except ImportError:
        return None

    class Decisions(msgspec.Struct, frozen=True):
        items: list[dict[str, Any]]

    class Impact(msgspec.Struct, frozen=True):
        at: float
        incident_id: str
        cause_element: str
        cause_type: str
        out: dict[str, list[str]]
        back: dict[str, list[str]]

    def outbox(value: dict[str, Any], work: bool) -> int:
        if value.get("kind") != "decisions":
            return 0
        message = Decisions(value.get("items", []))
        if work:
            return len([records.decision_from_record(item) for item in message.items])
        return len(message.items)

    def impacts(value: dict[str, Any], work: bool) -> int:
        if value.get("kind") != "impact":
            return 0
        message = Impact(float(value["at"]), value["incident_id"], value["cause_element"],
                         value["cause_type"], value.get("out") or {}, value.get("back") or {})
        return len(_changes(message.at, message.incident_id, message.cause_element,
                            message.cause_type, message.out)) if work else 1

    return outbox, impacts


def _best(fn: Callable[[dict[str, Any], bool], int], values: list[dict[str, Any]], work: bool,
          rounds: int) -> float:
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        for value in values:
            fn(value, work)
        best = min(best, time.perf_counter() - start)
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench messages", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args(argv)
    outbox, impacts = _outbox(), _impacts()
    kinds: dict[str, tuple[Callable[[dict[str, Any], bool], int],
                           Callable[[dict[str, Any], bool], int]]] = {
        "dict": (_dict_outbox, _dict_impacts), "dataclass": (_typed_outbox, _typed_impacts)}
    pair = _msgspec_pair()
    if pair is not None:
        kinds["msgspec"] = pair
    print(f"outbox: {DECISION_MESSAGES} messages x {DECISIONS_EACH} decisions; impacts: "
          f"{IMPACT_MESSAGES} messages x {CUSTOMERS_EACH} customers; best of {args.rounds}")
    for name, (out_fn, imp_fn) in kinds.items():
        o_env, o_all = (_best(out_fn, outbox, w, args.rounds) for w in (False, True))
        i_env, i_all = (_best(imp_fn, impacts, w, args.rounds) for w in (False, True))
        print(f"{name:>9}: outbox envelope {o_env / DECISION_MESSAGES * 1e6:6.2f} µs/message, "
              f"with decisions {o_all * 1e3:7.1f} ms ({o_env / o_all:6.2%}); impacts envelope "
              f"{i_env / IMPACT_MESSAGES * 1e6:6.2f} µs/message, with changes "
              f"{i_all * 1e3:7.1f} ms ({i_env / i_all:6.2%})")
    return 0
