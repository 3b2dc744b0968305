"""ElementStates against a plain model on random raise/clear sequences (CONTRACT §4).

The model keeps the active alarms as a set of tuples and answers "down?" by looking for a
critical or major one; clears follow the documented matching rules, including the memory of
cleared ids that makes a repeated clear a no-op.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from forewarn.domain import SEVERITIES, Alarm
from forewarn.streams.network.elements import ElementStates
from tests.unit.customers.json_table import JsonTable

ELEMENTS = ("site-1", "site-2", "cell-1")
DOWN = ("critical", "major")

alarms = st.lists(
    st.builds(
        Alarm,
        alarm_id=st.sampled_from(("a-1", "a-2", "a-3", "a-4")),
        element_id=st.sampled_from(ELEMENTS),
        state=st.sampled_from(("raised", "cleared")),
        severity=st.sampled_from(SEVERITIES),
        event_time=st.integers(0, 1000).map(float),
        probable_cause=st.sampled_from((None, "powerProblem", "linkDown")),
        specific_problem=st.sampled_from((None, "fan 1", "fan 2")),
    ),
    max_size=60,
)

# (element, alarm_id, severity, probable_cause, specific_problem)
Active = set[tuple[str, str, str, str | None, str | None]]


class Model:
    """Active alarms as tuples, plus the cleared ids each element with alarms remembers."""

    def __init__(self) -> None:
        self.active: Active = set()
        self.cleared: dict[str, set[str]] = {}

    def apply(self, alarm: Alarm) -> None:
        element, alarm_id = alarm.element_id, alarm.alarm_id
        cleared = self.cleared.setdefault(element, set())
        on_element = {a for a in self.active if a[0] == element}
        if alarm.state == "raised":
            cleared.discard(alarm_id)
            old = {a for a in on_element if a[1] == alarm_id}
            fields = (alarm.severity, alarm.probable_cause, alarm.specific_problem)
            self.active = (self.active - old) | {(element, alarm_id, *fields)}
        elif any(a[1] == alarm_id for a in on_element):
            self.active = {a for a in self.active if (a[0], a[1]) != (element, alarm_id)}
            cleared.add(alarm_id)
        elif alarm_id not in cleared and (alarm.probable_cause or alarm.specific_problem):
            gone = {
                a
                for a in on_element
                if alarm.probable_cause in (None, a[3]) and alarm.specific_problem in (None, a[4])
            }
            self.active -= gone
            if gone:
                cleared |= {alarm_id} | {a[1] for a in gone}
        if not any(a[0] == element for a in self.active):
            del self.cleared[element]  # forgotten with the element's entry


def model_down(active: Active) -> set[str]:
    return {a[0] for a in active if a[2] in DOWN}


@settings(max_examples=400, deadline=None)
@given(alarms)
def test_element_states_follow_the_model(sequence):
    table = JsonTable()
    elements = ElementStates(table)
    model = Model()
    for alarm in sequence:
        before = model_down(model.active)
        model.apply(alarm)
        after = model_down(model.active)
        change = elements.apply(alarm)
        assert change.element_id == alarm.element_id
        assert change.at == alarm.event_time
        assert change.was_down == (alarm.element_id in before)
        assert change.is_down == (alarm.element_id in after)
        assert elements.down_elements() == after
        # The table holds every element that is down and nothing the model has not active;
        # new alarms below the down severities stay out of it (memory only).
        assert model_down(model.active) <= set(table) <= {a[0] for a in model.active}
    stored = {
        (element, alarm_id, v["severity"], v["probable_cause"], v["specific_problem"])
        for element, entry in table.snapshot().items()
        for alarm_id, v in entry["alarms"].items()
    }
    assert stored <= model.active
    assert {a for a in model.active if a[2] in DOWN} <= stored
    recovered = ElementStates(table)
    recovered.rebuild()
    assert recovered.down_elements() == model_down(model.active)


@settings(max_examples=200, deadline=None)
@given(alarms)
def test_applying_every_alarm_twice_in_a_row_changes_nothing_the_second_time(sequence):
    elements = ElementStates({})
    for alarm in sequence:
        elements.apply(alarm)
        again = elements.apply(alarm)
        assert not again.changed
