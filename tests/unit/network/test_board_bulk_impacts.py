"""The incident board records a storm's impact message in bulk: the same board as the
customers recorded one at a time, whoever moves between incidents and in whatever order."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from forewarn.streams import records
from forewarn.streams.network.incident_board import IncidentBoard

CUSTOMERS = [f"C{n}" for n in range(8)]
step = st.tuples(st.sampled_from(["I1", "I2", "I3"]),
                 st.sampled_from(["mobile", "fibre"]),
                 st.sampled_from(["out", "back"]),
                 st.lists(st.sampled_from(CUSTOMERS), min_size=1, max_size=8))


def _message(at: float, incident_id: str, service: str, state: str,
             ids: list[str]) -> records.ImpactMessage:
    hit = {service: ids}
    return records.ImpactMessage(at, incident_id, f"E-{incident_id}", "power",
                                 hit if state == "out" else {}, hit if state == "back" else {})


def _state(board: IncidentBoard) -> tuple[object, ...]:
    return (board.incidents(), board.affected(),
            {c: board.incidents_of(c) for c in CUSTOMERS})


@settings(max_examples=80, deadline=None)
@given(st.lists(step, max_size=12))
def test_a_message_naming_many_customers_records_like_one_message_each(steps) -> None:
    bulk, single = IncidentBoard(), IncidentBoard()
    for at, (incident_id, service, state, ids) in enumerate(steps):
        bulk.record(_message(float(at), incident_id, service, state, ids))
        for customer_id in ids:
            single.record(_message(float(at), incident_id, service, state, [customer_id]))
    assert _state(bulk) == _state(single)


@settings(max_examples=80, deadline=None)
@given(st.lists(step, max_size=12))
def test_each_customer_is_affected_by_the_incident_that_took_them_out_last(steps) -> None:
    board = IncidentBoard()
    owner: dict[tuple[str, str], str] = {}  # the model: (customer, service) -> incident
    for at, (incident_id, service, state, ids) in enumerate(steps):
        board.record(_message(float(at), incident_id, service, state, ids))
        for customer_id in ids:
            if state == "out":
                owner[(customer_id, service)] = incident_id
            else:
                owner.pop((customer_id, service), None)
    expected: dict[str, dict[str, set[str]]] = {}
    for (customer_id, service), incident_id in owner.items():
        expected.setdefault(incident_id, {}).setdefault(service, set()).add(customer_id)
    got = {i: {s: set(c) for s, c in by.items() if c} for i, by in board.affected().items()}
    assert {i: by for i, by in got.items() if by} == expected
