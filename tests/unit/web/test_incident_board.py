"""The incident board: live counts, NOC news, merges, what customers were told."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from forewarn.streams import records
from forewarn.streams.network.incident_board import KEEP_ENDED, KEEP_NEWS, IncidentBoard
from tests.unit.web.web_helpers import T0, change, delivered


def test_outage_counts_now_and_at_peak(board: IncidentBoard) -> None:
    board.record_changes([change("007"), change("c-east"), change("f-geo", "fibre")])
    board.record_changes([change("c-east", out=False, at=T0 + 60)])
    (incident,) = board.incidents()
    assert incident["active"] and incident["services"] == ["mobile", "fibre"]
    assert incident["affected_now"] == {"mobile": 1, "fibre": 1}
    assert incident["affected_peak"] == {"mobile": 2, "fibre": 1}


def test_incident_ends_when_everyone_is_back(board: IncidentBoard) -> None:
    board.record_changes([change("007")])
    board.record_changes([change("007", out=False, at=T0 + 90)])
    (incident,) = board.incidents()
    assert not incident["active"] and incident["ended_at"] == "2023-11-14T22:14:50+00:00"


def test_deliveries_are_counted_per_stage_and_channel(board: IncidentBoard) -> None:
    board.record_changes([change("007"), change("c-east")])
    board.record_delivery(delivered("007"))
    board.record_delivery(delivered("c-east", channel="email"))
    told = board.incident("INC-1")["told"]["outage"]
    assert told == {"count": 2, "channels": {"sms": 1, "email": 1},
                    "first_at": "2023-11-14T22:15:21+00:00"}


def test_noc_news_sets_eta_and_message_from_any_record_shape(board: IncidentBoard) -> None:
    board.record_changes([change("007")])
    board.record({"kind": "update", "at": T0 + 10, "incident_id": "INC-1",
                  "eta": "2023-11-15T01:00:00+00:00", "message": "Techniker unterwegs"})
    incident = board.incident("INC-1")
    assert incident["eta"] == "2023-11-15T01:00:00+00:00"
    assert incident["message"] == "Techniker unterwegs"


def test_update_naming_an_element_reaches_the_incident_of_its_cause(board: IncidentBoard) -> None:
    board.record_changes([change("007", cause="S-A")])
    taken = board.record_update(None, "A1", T0, eta=T0 + 3600, message=None,
                                related=lambda cause, element: cause == "S-A" and element == "A1")
    assert taken == 1 and board.incident("INC-1")["eta"] is not None
    assert board.record_update(None, "ZZ", T0, eta=T0, message=None) == 0


def test_merge_moves_customers_to_the_root_incident(board: IncidentBoard) -> None:
    board.record_changes([change("007", incident="INC-cell", cause="A1", cause_type="cell"),
                          change("c-east", incident="INC-power", cause="PWR-1",
                                 cause_type="power")])
    board.record({"kind": "merge", "at": T0 + 5, "from_incident": "INC-cell",
                  "into_incident": "INC-power"})
    board.record({"kind": "merge", "at": T0 + 5, "from_incident": "INC-cell",
                  "into_incident": "INC-power"})  # once per partition: idempotent
    assert [i["incident_id"] for i in board.incidents()] == ["INC-power"]
    assert board.incident("INC-power")["affected_now"]["mobile"] == 2
    assert board.incidents_of("007") == {"mobile": "INC-power"}


def test_customer_moving_incident_leaves_the_old_one(board: IncidentBoard) -> None:
    board.record_changes([change("007", incident="INC-1")])
    board.record_changes([change("007", incident="INC-2", at=T0 + 1)])
    assert board.incident("INC-1")["affected_now"]["mobile"] == 0
    assert board.incident("INC-2")["affected_now"]["mobile"] == 1


def test_ended_incidents_are_pruned_beyond_the_limit(board: IncidentBoard) -> None:
    for n in range(KEEP_ENDED + 5):
        board.record_changes([change("007", incident=f"INC-{n}", at=T0 + n)])
        board.record_changes([change("007", out=False, incident=f"INC-{n}", at=T0 + n + 0.5)])
    assert len(board.incidents()) == KEEP_ENDED


def test_version_moves_on_every_change(board: IncidentBoard) -> None:
    before = board.version
    board.record_changes([change("007")])
    board.record_delivery(delivered("007"))
    assert board.version == before + 2


_impacts = st.lists(st.fixed_dictionaries({
    "incident_id": st.sampled_from(["INC-1", "INC-2", "MW-1"]),
    "at": st.integers(0, 5).map(lambda n: T0 + 60 * n),
    "out": st.dictionaries(st.sampled_from(["mobile", "fibre"]),
                           st.lists(st.sampled_from(["a", "b", "c", "d"]), max_size=4)),
    "back": st.dictionaries(st.sampled_from(["mobile", "fibre"]),
                            st.lists(st.sampled_from(["a", "b", "c", "d"]), max_size=4)),
    "planned": st.dictionaries(st.sampled_from(["mobile", "fibre"]),
                               st.lists(st.sampled_from(["a", "b", "c", "d"]), max_size=2)),
}), max_size=12)


@given(_impacts)
def test_an_impact_message_counts_as_its_changes_one_by_one(impacts: list[dict]) -> None:
    whole, one_by_one = IncidentBoard(), IncidentBoard()
    for value in impacts:
        message = {"kind": "impact", "cause_element": "PWR-1", "cause_type": "power", **value}
        whole.record(message)
        one_by_one.record_changes(records.changes_from_impact(message))
    assert whole.incidents() == one_by_one.incidents()
    assert all(whole.incidents_of(c) == one_by_one.incidents_of(c) for c in "abcd")


def test_noc_news_is_kept_once_each_in_time_order_up_to_keep_news() -> None:
    board = IncidentBoard()
    board.record_changes([change("007")])
    for k in reversed(range(KEEP_NEWS + 1)):  # arrive out of order, each one twice
        for _ in range(2):
            board.record_news("INC-1", T0 + k, eta=None, message=f"news {k}")
    news = board.incident("INC-1")["news"]
    assert len(news) == KEEP_NEWS
    assert [n["message"] for n in news] == [f"news {k}" for k in range(1, KEEP_NEWS + 1)]


def test_announced_window_is_upcoming_until_its_incident_starts_and_never_again() -> None:
    board = IncidentBoard()
    board.record({"kind": "planned", "at": T0, "maintenance_id": "MW-1", "start": T0 + 60,
                  "end": T0 + 120, "text": "new antenna", "customers": {"mobile": ["007"]},
                  "elements": ["A1"], "announced": T0})
    assert [w["incident_id"] for w in board.upcoming()] == ["MW-1"]
    assert board.story("MW-1")["window"]["text"] == "new antenna"
    board.record_changes([change("007", incident="MW-1", at=T0 + 60, cause_type="maintenance")])
    board.record_changes([change("007", incident="MW-1", at=T0 + 120, out=False)])
    assert board.upcoming() == []
    assert board.story("MW-1")["ended_at"] is not None
    assert board.story("unknown") is None


def test_incident_pruned_from_the_desk_keeps_its_story_for_keep_ended_s() -> None:
    board = IncidentBoard(keep_ended_s=1000)
    for n in range(KEEP_ENDED + 1):
        board.record_changes([change("007", incident=f"INC-{n}", at=T0 + n)])
        board.record_changes([change("007", out=False, incident=f"INC-{n}", at=T0 + n + 0.5)])
    assert board.incident("INC-0") is None, "no longer on the desk"
    assert board.story("INC-0")["ended_at"] == "2023-11-14T22:13:20.500+00:00"
    ended = T0 + 0.5
    board.record_changes([change("007", incident="INC-late", at=ended + 1000)])
    board.record_changes([change("007", out=False, incident="INC-late", at=ended + 1000)])
    assert board.story("INC-0") is not None, "ended exactly keep_ended_s ago: still kept"
    board.record_changes([change("007", incident="INC-later", at=ended + 1000.5)])
    board.record_changes([change("007", out=False, incident="INC-later", at=ended + 1000.5)])
    assert board.story("INC-0") is None
