"""``OutageRules.confirm_many`` (one pass per confirmation instant) decides, stores and
counts exactly what ``confirm`` per (customer, service) followed by ``merge_decisions`` does."""

from __future__ import annotations

import copy
import json
from collections.abc import Sequence
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from forewarn.domain import Decision, Stage
from forewarn.streams.customers.episode_book import EpisodeBook
from forewarn.streams.customers.episodes import OutageRules
from forewarn.streams.customers.legal_clocks import GermanyTkg58, UkAutomaticCompensation
from forewarn.streams.customers.notices import NoticeRules, merge_decisions

DEADLINE = 1_790_000_000.0
SERVICES = ["mobile", "fibre", "tv"]
ZONES = ["Europe/Berlin", "Europe/London", "America/New_York", ""]


class LoggingTable(dict[str, dict[str, Any]]):
    """A dict that logs every derived write as JSON (what was stored, in order)."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.log: list[str] = []

    def set_derived(self, key: str, value: dict[str, Any]) -> None:
        self.log.append(key + " " + json.dumps(value))
        self[key] = value


episode = st.fixed_dictionaries({
    "incident_id": st.sampled_from(["inc-1", "inc-2"]),
    "cause_type": st.sampled_from(["power", "cell"]),
    "since": st.floats(DEADLINE - 5 * 86400, DEADLINE),
    "out": st.booleans(),
    "notified": st.just(False),
    "report": st.one_of(st.none(), st.floats(DEADLINE - 86400, DEADLINE)),
})
customer = st.dictionaries(st.sampled_from(SERVICES), episode, max_size=3)
scenario = st.fixed_dictionaries({
    "customers": st.lists(customer, max_size=12),
    "missing": st.sets(st.integers(0, 11)),  # entries gone from the state
    "zones": st.lists(st.sampled_from(ZONES), min_size=12, max_size=12),
    "legal": st.sampled_from([None, GermanyTkg58(), UkAutomaticCompensation()]),
    "clock_start": st.sampled_from(["outage", "report"]),
    "batch": st.booleans(),  # zones looked up for all due customers at once
})


def setup(case: dict[str, Any]) -> tuple[OutageRules, LoggingTable, list[tuple[str, str]]]:
    state = LoggingTable()
    due: list[tuple[str, str]] = []
    for n, episodes in enumerate(case["customers"]):
        customer_id = f"c-{n:02d}"
        stored = {}
        for service, fields in episodes.items():
            value = {k: v for k, v in fields.items() if v is not None}
            stored[service] = {**value, "back_since": None, "deadline": DEADLINE}
            due.append((customer_id, service))
        if n not in case["missing"]:
            state[customer_id] = {"t": DEADLINE - 10, "episodes": stored}
    zones = case["zones"]

    def zone(customer_id: str) -> str:
        if customer_id == "c-01":
            raise LookupError(customer_id)
        return str(zones[int(customer_id[2:])])

    def zones_at_once(customer_ids: Sequence[str]) -> list[str | None]:
        batches.append(list(customer_ids))
        return [None if c == "c-01" else zone(c) for c in customer_ids]

    batches: list[list[str]] = []
    notices = NoticeRules(case["legal"], timezone=zone, clock_start=case["clock_start"],
                          timezones=zones_at_once if case["batch"] else None)
    notices.batches = batches  # type: ignore[attr-defined]
    return OutageRules(EpisodeBook(state), notices, 5.0, 300.0), state, due


def one_by_one(rules: OutageRules, due: list[tuple[str, str]]) -> list[Decision]:
    decided: list[Decision] = []
    for customer_id, service in due:
        entry = rules.book.state.get(customer_id)
        if entry is not None:
            decision = rules.confirm(customer_id, entry, service, DEADLINE)
            if decision is not None:
                decided.append(decision)
    return merge_decisions(decided)


@settings(max_examples=300, deadline=None)
@given(scenario)
def test_confirming_a_run_equals_confirming_each_and_merging(case: dict[str, Any]) -> None:
    rules, state, due = setup(case)
    twin, twin_state, _ = setup(copy.deepcopy(case))
    expected = one_by_one(twin, due)
    assert rules.confirm_many(due, DEADLINE) == expected
    assert state == twin_state
    assert state.log == twin_state.log  # the same writes, in the same order
    assert rules.book.reasons == twin.book.reasons
    assert rules.book.armed == twin.book.armed
    assert len(rules.notices.batches) <= 1  # type: ignore[attr-defined]


def test_a_customer_out_on_two_services_of_one_incident_gets_one_outage_record() -> None:
    state = {"c-1": {"t": 0.0, "episodes": {
        service: {"incident_id": "inc-1", "cause_type": "power", "since": since, "out": True,
                  "back_since": None, "notified": False, "deadline": DEADLINE}
        for service, since in (("fibre", 10.0), ("mobile", 20.0))}}}
    rules = OutageRules(EpisodeBook(state), NoticeRules(), 5.0, 300.0)
    (decision,) = rules.confirm_many([("c-1", "mobile"), ("c-1", "fibre")], DEADLINE)
    assert (decision.stage, decision.services, decision.since) == (
        Stage.OUTAGE, ("mobile", "fibre"), 10.0)


def test_an_outage_decision_built_through_its_slots_equals_the_constructors() -> None:
    from forewarn.streams.customers.episodes import _outage_decision
    from forewarn.streams.reasons import Reason

    built = _outage_decision("c-1", "inc-1", ("mobile", "fibre"), DEADLINE, 10.0,
                             Reason.CONFIRMED, "power")
    assert built == Decision("c-1", "inc-1", Stage.OUTAGE, ("mobile", "fibre"), DEADLINE, 10.0,
                             Reason.CONFIRMED, "power")
    assert hash(built) == hash(Decision("c-1", "inc-1", Stage.OUTAGE, ("mobile", "fibre"),
                                        DEADLINE, 10.0, Reason.CONFIRMED, "power"))
    assert built.notification_id.startswith("n-")
