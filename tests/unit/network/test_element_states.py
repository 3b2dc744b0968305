"""ElementStates: an element is down while it has an active critical/major alarm (CONTRACT §4)."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forewarn.streams.network.elements import ElementChange, ElementStates
from forewarn.streams.network.transitions import set_print
from tests.unit.customers.json_table import JsonTable


@pytest.fixture
def table() -> JsonTable:
    return JsonTable()


@pytest.fixture
def elements(table: JsonTable) -> ElementStates:
    return ElementStates(table)


@pytest.mark.parametrize("severity", ["critical", "major"])
def test_critical_or_major_raise_takes_the_element_down(elements, alarm, severity):
    change = elements.apply(alarm(severity=severity, at=5.0))
    assert change == ElementChange("site-7", was_down=False, is_down=True, at=5.0)
    assert change.changed
    assert elements.is_down("site-7")
    assert elements.down_elements() == {"site-7"}


@pytest.mark.parametrize("severity", ["minor", "warning"])
def test_minor_or_warning_raise_does_not_take_the_element_down(elements, alarm, table, severity):
    change = elements.apply(alarm(severity=severity))
    assert not change.changed
    assert not change.is_down
    assert not elements.is_down("site-7")
    assert elements.apply(alarm(severity="critical")).is_down  # an escalation still counts
    assert not elements.apply(alarm(state="cleared", severity=severity)).is_down


def test_clear_of_a_quiet_alarm_clears_nothing_else_with_its_cause(elements, alarm):
    elements.apply(alarm("noise", severity="minor", probable_cause="x"))
    elements.apply(alarm("real", severity="critical", probable_cause="x"))
    assert elements.is_down("site-7")
    elements.apply(alarm("noise", state="cleared", severity="minor", probable_cause="x"))
    assert elements.is_down("site-7"), "the clear of a minor alarm must not clear a major one"


def test_a_noise_alarm_is_still_recognised_by_its_clear_after_a_restart(table, alarm):
    before = ElementStates(table)
    before.apply(alarm("noise", severity="minor", probable_cause="x"))
    before.apply(alarm("real", severity="critical", probable_cause="x"))
    after = ElementStates(table)  # a new owner: the same (journalled) state
    after.rebuild()
    after.apply(alarm("noise", state="cleared", severity="minor", probable_cause="x"))
    assert after.is_down("site-7"), "a restart must not turn a noise clear into a cause clear"


def test_element_stays_down_until_its_last_down_alarm_clears(elements, alarm):
    elements.apply(alarm("a-1"))
    elements.apply(alarm("a-2", severity="major"))
    assert not elements.apply(alarm("a-1", "cleared")).changed
    assert elements.is_down("site-7")
    change = elements.apply(alarm("a-2", "cleared", at=9.0))
    assert change == ElementChange("site-7", was_down=True, is_down=False, at=9.0)


def test_clear_matches_its_raise_by_alarm_id(elements, alarm):
    elements.apply(alarm("a-1", probable_cause="powerProblem"))
    assert elements.apply(alarm("a-1", "cleared", probable_cause="somethingElse")).changed
    assert not elements.is_down("site-7")


def test_clear_without_id_match_matches_by_probable_cause(elements, alarm):
    elements.apply(alarm("a-1", probable_cause="powerProblem"))
    elements.apply(alarm("a-2", probable_cause="linkDown"))
    elements.apply(alarm("clear-99", "cleared", probable_cause="powerProblem"))
    assert elements.is_down("site-7")  # linkDown is still active
    assert elements.apply(alarm("clear-100", "cleared", probable_cause="linkDown")).changed


def test_clear_without_id_match_matches_by_specific_problem(elements, alarm):
    elements.apply(alarm("a-1", specific_problem="rectifier 2"))
    assert elements.apply(alarm("x", "cleared", specific_problem="rectifier 2")).changed


def test_clear_naming_cause_and_problem_clears_only_alarms_with_both(elements, alarm):
    elements.apply(alarm("fan-1", probable_cause="equipment", specific_problem="fan 1"))
    elements.apply(alarm("fan-2", probable_cause="equipment", specific_problem="fan 2"))
    elements.apply(alarm("x", "cleared", probable_cause="equipment", specific_problem="fan 1"))
    assert elements.is_down("site-7")
    elements.apply(alarm("y", "cleared", probable_cause="equipment"))
    assert not elements.is_down("site-7")


def test_cause_clear_clears_every_alarm_of_that_cause_on_the_element(elements, alarm):
    elements.apply(alarm("a-1", probable_cause="powerProblem"))
    elements.apply(alarm("a-2", severity="major", probable_cause="powerProblem"))
    assert elements.apply(alarm("x", "cleared", probable_cause="powerProblem")).changed


def test_cause_clear_only_touches_the_element_it_names(elements, alarm):
    elements.apply(alarm("a-1", element_id="site-7", probable_cause="powerProblem"))
    elements.apply(alarm("a-2", element_id="site-8", probable_cause="powerProblem"))
    elements.apply(alarm("x", "cleared", element_id="site-8", probable_cause="powerProblem"))
    assert elements.down_elements() == {"site-7"}


def test_id_clear_only_touches_the_element_it_names(elements, alarm):
    elements.apply(alarm("a-1", element_id="site-7"))
    assert not elements.apply(alarm("a-1", "cleared", element_id="site-8")).changed
    assert elements.is_down("site-7")


def test_clear_without_id_match_or_cause_matches_nothing(elements, alarm):
    elements.apply(alarm("a-1", probable_cause="powerProblem"))
    change = elements.apply(alarm("other", "cleared"))
    assert not change.changed
    assert elements.is_down("site-7")


def test_major_reraised_as_minor_no_longer_counts_as_down(elements, alarm):
    elements.apply(alarm("a-1", severity="major"))
    change = elements.apply(alarm("a-1", severity="minor", at=3.0))
    assert change == ElementChange("site-7", was_down=True, is_down=False, at=3.0)
    assert elements.apply(alarm("a-1", severity="critical")).changed


def test_duplicate_raise_is_idempotent(elements, alarm, table):
    elements.apply(alarm("a-1", at=1.0))
    before, writes = table.snapshot(), table.writes
    change = elements.apply(alarm("a-1", at=2.0))
    assert (change.was_down, change.is_down, change.changed) == (True, True, False)
    assert table.snapshot() == before
    assert table.writes == writes  # nothing to changelog


def test_reraise_keeps_the_first_raise_time(elements, alarm, table):
    elements.apply(alarm("a-1", severity="major", at=1.0))
    elements.apply(alarm("a-1", severity="critical", at=2.0))
    assert table["site-7"]["alarms"]["a-1"]["raised_at"] == 1.0


def test_duplicate_clear_is_idempotent(elements, alarm):
    elements.apply(alarm("a-1"))
    assert elements.apply(alarm("a-1", "cleared")).changed
    change = elements.apply(alarm("a-1", "cleared"))
    assert (change.was_down, change.is_down, change.changed) == (False, False, False)


def test_repeated_clear_does_not_fall_through_to_another_alarm_of_its_cause(elements, alarm):
    elements.apply(alarm("a-1", probable_cause="powerProblem"))
    elements.apply(alarm("a-2", severity="major", probable_cause="powerProblem"))
    elements.apply(alarm("a-1", "cleared", probable_cause="powerProblem"))
    elements.apply(alarm("a-1", "cleared", probable_cause="powerProblem"))
    assert elements.is_down("site-7")  # a-2 is still active


def test_repeated_cause_clear_does_not_clear_a_later_alarm_of_that_cause(elements, alarm):
    elements.apply(alarm("a-1", probable_cause="linkDown"))
    elements.apply(alarm("a-2", probable_cause="powerProblem"))
    elements.apply(alarm("clr-1", "cleared", probable_cause="powerProblem"))
    elements.apply(alarm("a-3", probable_cause="powerProblem"))
    elements.apply(alarm("clr-1", "cleared", probable_cause="powerProblem"))  # repeated
    elements.apply(alarm("a-1", "cleared"))
    assert elements.is_down("site-7")  # a-3 is still active


def test_alarm_raised_again_after_its_clear_is_a_new_occurrence(elements, alarm):
    elements.apply(alarm("a-1"))
    elements.apply(alarm("a-2", severity="minor"))
    elements.apply(alarm("a-1", "cleared"))
    assert elements.apply(alarm("a-1")).changed
    assert elements.apply(alarm("a-1", "cleared")).changed


def test_clear_of_unknown_alarm_changes_nothing(elements, alarm, table):
    change = elements.apply(alarm("ghost", "cleared", probable_cause="powerProblem", at=4.0))
    assert change == ElementChange("site-7", was_down=False, is_down=False, at=4.0)
    assert len(table) == 0
    assert table.writes == 0


def test_element_without_active_alarms_leaves_the_state(elements, alarm, table):
    elements.apply(alarm("a-1", severity="warning"))
    elements.apply(alarm("a-1", "cleared"))
    assert "site-7" not in table


def test_state_is_json_and_names_each_active_alarm(elements, alarm, table):
    elements.apply(alarm("a-1", probable_cause="powerProblem", specific_problem="mains", at=7.0))
    assert json.loads(json.dumps(table.snapshot())) == {
        "site-7": {
            "alarms": {
                "a-1": {
                    "severity": "critical",
                    "probable_cause": "powerProblem",
                    "specific_problem": "mains",
                    "raised_at": 7.0,
                }
            },
            "cleared": [],
        }
    }


def test_rebuild_derives_the_down_set_from_recovered_state(elements, alarm, table):
    elements.apply(alarm("a-1", element_id="site-7"))
    elements.apply(alarm("a-2", element_id="cell-1", severity="minor"))
    recovered = ElementStates(table)
    assert recovered.down_elements() == set()  # nothing read until told to
    recovered.rebuild()
    assert recovered.down_elements() == {"site-7"}
    assert recovered.apply(alarm("a-1", "cleared")).changed


def test_apply_is_right_even_before_rebuild(alarm):
    state = {
        "site-7": {
            "alarms": {
                "a-1": {
                    "severity": "major",
                    "probable_cause": None,
                    "specific_problem": None,
                    "raised_at": 0.0,
                }
            }
        }
    }
    change = ElementStates(state).apply(alarm("a-1", "cleared"))
    assert (change.was_down, change.is_down) == (True, False)


def test_down_severities_are_configurable(alarm):
    elements = ElementStates({}, down_severities=("critical",))
    assert not elements.apply(alarm("a-1", severity="major")).is_down
    assert elements.apply(alarm("a-2", severity="critical")).is_down


def test_down_elements_is_a_copy(elements, alarm):
    elements.apply(alarm("a-1"))
    elements.down_elements().clear()
    assert elements.is_down("site-7")


def test_alarm_with_unknown_state_is_refused(elements, alarm):
    with pytest.raises(ValueError, match="raised' or 'cleared"):
        elements.apply(alarm("a-1", "acknowledged"))


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # a stateless factory
@given(steps=st.lists(st.tuples(st.sampled_from(["e1", "e2", "e3", "e4"]),
                                st.sampled_from(["a1", "a2"]),
                                st.sampled_from(["raised", "cleared"]),
                                st.sampled_from(["critical", "major", "minor"])), max_size=40))
def test_the_down_print_is_always_the_print_of_the_down_set(steps, alarm):
    """The correlator keys its impacts by this print per alarm instead of hashing a
    storm's down set each time: it must equal the print of the set after every change,
    and after a rebuild from the state."""
    table: dict = {}
    elements = ElementStates(table)
    for element_id, alarm_id, state, severity in steps:
        elements.apply(alarm(alarm_id, state, element_id=element_id, severity=severity))
        assert elements.down_print == set_print(elements.down_elements())
        assert set(elements.down_view()) == elements.down_elements()
    recovered = ElementStates(table)
    recovered.rebuild()
    assert recovered.down_print == set_print(elements.down_elements())
