"""Customers' contacts in the network's view (CONTRACT §8, issue 15 items 1-3): who they are,
whether they were already known to be out, suspicions from the rest, NOC confirmations and
alarms joining a suspicion, and the suspicion state across a restart. On the shipped sample
region, whose PON-0003 serves 36 customers (the detector's threshold there is 5 reports)."""

from __future__ import annotations

from typing import Any

import pytest

from forewarn.config import SensorSettings
from forewarn.domain import Contact, IncidentUpdate, MaintenanceWindow
from forewarn.geo import RegionIndex, load_region
from forewarn.streams.network.correlation import (
    ContactSeen,
    Impact,
    IncidentNews,
    NetworkCorrelator,
    SuspicionEvent,
)
from forewarn.streams.network.elements import ElementStates
from forewarn.streams.network.refusals import UNKNOWN_CUSTOMER, RecordRefused
from forewarn.streams.network.serving import served_counts
from forewarn.streams.network.stage import MAX_SENSED, NetworkStage
from forewarn.streams.network.suspicion import SuspicionDetector
from forewarn.streams.network.windows import MaintenanceSchedule
from forewarn.streams.partitioning import partitions_of
from tests.forewarn_testing import SAMPLE
from tests.unit.network.network_helpers import changes, cleared, raised

T0 = 1_795_000_000.0  # 2026-11-18, a quiet day
PON = "PON-0003"


@pytest.fixture(scope="module")
def sample() -> RegionIndex:
    return RegionIndex.build(load_region(SAMPLE))


@pytest.fixture(scope="module")
def pon_customers(sample: RegionIndex) -> list[str]:
    return [sample.customer_ids[p] for p in sample.dependents([PON]).tolist()]


def sensing(index: RegionIndex, state: dict[str, dict[str, Any]] | None = None,
            **settings: Any) -> NetworkCorrelator:
    """A correlator with the real detector over plain dicts; ``state`` from an earlier one
    simulates a restart (same mappings, fresh in-memory views)."""
    s = state if state is not None else {"elements": {}, "windows": {}, "incidents": {},
                                         "cuts": {}, "suspicions": {}}
    detector = SuspicionDetector(SensorSettings(**settings), served_counts(index),
                                 index.element_type, s["suspicions"])
    net = NetworkCorrelator(index, ElementStates(s["elements"]), MaintenanceSchedule(s["windows"]),
                            s["incidents"], cuts=s["cuts"], suspicion=detector, country="DE")
    net.rebuild()
    return net


def report(customer_id: str, at: float, n: int, reason: str = "no_service") -> Contact:
    return Contact(f"k-{n}", "app", reason, at, customer_id=customer_id)


def suspicions(events: list[Any]) -> list[SuspicionEvent]:
    return [e for e in events if isinstance(e, SuspicionEvent)]


def seen(events: list[Any]) -> list[ContactSeen]:
    return [e for e in events if isinstance(e, ContactSeen)]


def reports_from(net: NetworkCorrelator, customers: list[str], start: float = T0,
                 gap: float = 60.0) -> list[Any]:
    """One no-service report per customer, ``gap`` apart; then time moves on a second."""
    events: list[Any] = []
    for n, customer in enumerate(customers):
        events += net.apply(report(customer, start + n * gap, n))
    return events + net.advance(start + len(customers) * gap + 1)


def suspect_pon(net: NetworkCorrelator, pon_customers: list[str]) -> SuspicionEvent:
    [opened] = [e for e in suspicions(reports_from(net, pon_customers[:6]))
                if e.event == "suspected"]
    return opened


# -- who got in touch ----------------------------------------------------------------------


def test_a_contact_naming_an_unknown_customer_id_is_refused_naming_the_field(
        sample: RegionIndex) -> None:
    net = sensing(sample)
    with pytest.raises(RecordRefused) as refused:
        net.apply(report("C9999999", T0, 1))
    assert (refused.value.reason, refused.value.field) == (UNKNOWN_CUSTOMER, "customer_id")
    assert net.clock == -float("inf")  # refused before it changed anything
    assert net.counts.refused == {UNKNOWN_CUSTOMER: 1}
    assert net.counts.contacts == {}


def test_a_contact_naming_an_unknown_phone_number_is_refused_naming_phone(
        sample: RegionIndex) -> None:
    net = sensing(sample)
    with pytest.raises(RecordRefused) as refused:
        net.apply(Contact("k-1", "ivr", "no_service", T0, phone="+49 30 0000000"))
    assert (refused.value.reason, refused.value.field) == (UNKNOWN_CUSTOMER, "phone")


def test_a_contact_by_phone_finds_the_customer_as_the_desk_reads_numbers(
        sample: RegionIndex) -> None:
    net = sensing(sample)  # legal country DE: a national 0 means +49
    [contact] = seen(net.apply(Contact("k-1", "ivr", "other", T0, phone="0157 2786-3663")))
    assert contact.customer_id == "C0000001"


def test_every_valid_contact_is_seen_saying_whether_its_customer_was_known_to_be_out(
        sample: RegionIndex, pon_customers: list[str]) -> None:
    net = sensing(sample)
    net.apply(raised("a-1", PON, T0))
    inside, outside = pon_customers[0], "C0000001"
    events = net.apply(report(inside, T0 + 10, 1, "degraded"))
    events += net.apply(report(outside, T0 + 20, 2, "other"))
    assert [(c.customer_id, c.reason, c.known_outage) for c in seen(events)] == [
        (inside, "degraded", True), (outside, "other", False)]
    assert net.counts.contacts == {("app", "degraded"): 1, ("app", "other"): 1}


def test_a_customer_in_a_started_maintenance_window_is_in_a_known_outage(
        sample: RegionIndex, pon_customers: list[str]) -> None:
    net = sensing(sample)
    net.apply(MaintenanceWindow("m-1", (PON,), T0, T0 + 3600, None, T0 - 86400 * 3))
    [contact] = seen(net.apply(report(pon_customers[0], T0 + 60, 1)))
    assert contact.known_outage


# -- suspicions ------------------------------------------------------------------------------


def test_no_service_reports_from_a_silent_pons_customers_make_it_suspected_and_tell_nobody(
        sample: RegionIndex, pon_customers: list[str]) -> None:
    net = sensing(sample)
    events = reports_from(net, pon_customers[:6])
    opened = [e for e in suspicions(events) if e.event == "suspected"]
    assert [(e.element_id, e.cause_type, e.reports, e.at) for e in opened] == [
        (PON, "pon", 5, T0 + 4 * 60)]  # tipped by the fifth report, at its event time
    assert changes(events) == []  # a suspicion notifies nobody
    assert net.counts.suspicions["suspected"] == 1


def test_reports_from_customers_in_a_known_outage_do_not_count(
        sample: RegionIndex, pon_customers: list[str]) -> None:
    net = sensing(sample)
    net.apply(raised("a-1", PON, T0 - 60))
    assert suspicions(reports_from(net, pon_customers[:8])) == []


def test_contacts_that_report_no_outage_do_not_count(
        sample: RegionIndex, pon_customers: list[str]) -> None:
    net = sensing(sample)
    events: list[Any] = []
    for n, customer in enumerate(pon_customers[:8]):
        events += net.apply(report(customer, T0 + n, n, "degraded" if n % 2 else "other"))
    assert suspicions(events + net.advance(T0 + 60)) == []


# -- NOC confirmation and alarms joining ---------------------------------------------------


def confirm(at: float, **names: str) -> IncidentUpdate:
    return IncidentUpdate(at, confirm=True, **names)


@pytest.mark.parametrize("by", ["incident_id", "element_id"])
def test_a_noc_confirmation_takes_the_pon_down_under_the_suspected_incidents_id(
        sample: RegionIndex, pon_customers: list[str], by: str) -> None:
    net = sensing(sample)
    opened = suspect_pon(net, pon_customers)
    at = T0 + 900
    name = opened.incident_id if by == "incident_id" else PON
    events = net.apply(confirm(at, **{by: name}))
    assert [(e.event, e.incident_id) for e in suspicions(events)] == [
        ("confirmed", opened.incident_id)]
    outs = changes(events)
    assert {c.customer_id for c in outs} == set(pon_customers)  # every customer of the PON
    assert {(c.out, c.incident_id, c.cause_element, c.at) for c in outs} == {
        (True, opened.incident_id, PON, at)}
    assert net.incidents[PON]["incident_id"] == opened.incident_id
    assert isinstance(events[0], SuspicionEvent)  # confirmed before its customers go out


def test_a_later_alarm_on_the_confirmed_pon_changes_nobodys_service(
        sample: RegionIndex, pon_customers: list[str]) -> None:
    net = sensing(sample)
    opened = suspect_pon(net, pon_customers)
    net.apply(confirm(T0 + 900, incident_id=opened.incident_id))
    later = net.apply(raised("olt-port-7", PON, T0 + 1200))
    assert changes(later) == [] and suspicions(later) == []


def test_the_noc_ends_a_confirmed_outage_by_clearing_the_incident_id_as_alarm_id(
        sample: RegionIndex, pon_customers: list[str]) -> None:
    net = sensing(sample)
    opened = suspect_pon(net, pon_customers)
    net.apply(confirm(T0 + 900, incident_id=opened.incident_id))
    back = changes(net.apply(cleared(opened.incident_id, PON, T0 + 3600)))
    assert {c.customer_id for c in back} == set(pon_customers)
    assert {(c.out, c.incident_id) for c in back} == {(False, opened.incident_id)}


def test_an_alarm_on_a_suspected_pon_joins_it_under_the_suspected_id(
        sample: RegionIndex, pon_customers: list[str]) -> None:
    net = sensing(sample)
    opened = suspect_pon(net, pon_customers)
    events = net.apply(raised("a-1", PON, T0 + 700))
    assert [(e.event, e.incident_id) for e in suspicions(events)] == [
        ("confirmed", opened.incident_id)]
    assert {(c.out, c.incident_id) for c in changes(events)} == {(True, opened.incident_id)}
    assert net.apply(confirm(T0 + 900, incident_id=opened.incident_id)) == []  # already joined


def test_an_alarm_on_the_olt_above_confirms_the_pons_suspicion(
        sample: RegionIndex, pon_customers: list[str]) -> None:
    net = sensing(sample)
    opened = suspect_pon(net, pon_customers)
    events = net.apply(raised("a-1", "OLT-01", T0 + 700))
    assert [(e.event, e.element_id) for e in suspicions(events)] == [("confirmed", PON)]
    assert {c.cause_element for c in changes(events)} == {"OLT-01"}
    assert opened.incident_id not in {c.incident_id for c in changes(events)}


def test_a_confirmation_naming_no_open_suspicion_is_counted_and_changes_nothing(
        sample: RegionIndex) -> None:
    net = sensing(sample)
    net.apply(raised("a-1", "PON-0008", T0))
    assert net.apply(confirm(T0 + 60, element_id=PON)) == []
    assert net.apply(confirm(T0 + 61, incident_id="INC-unknown")) == []
    assert net.counts.unmatched_confirms == 2
    assert PON not in net.elements.down_elements()


def test_an_unanswered_suspicion_is_cancelled_a_window_after_the_last_report(
        sample: RegionIndex, pon_customers: list[str]) -> None:
    net = sensing(sample)
    suspect_pon(net, pon_customers)
    last_report = T0 + 5 * 60
    [cancelled] = suspicions(net.advance(last_report + 901))
    assert (cancelled.event, cancelled.at) == ("cancelled", last_report + 900)


# -- across a restart (the journal holds the detector's mapping) ----------------------------


def test_a_new_owner_confirms_a_suspicion_opened_before_the_restart(
        sample: RegionIndex, pon_customers: list[str]) -> None:
    state: dict[str, dict[str, Any]] = {"elements": {}, "windows": {}, "incidents": {},
                                        "cuts": {}, "suspicions": {}}
    opened = suspect_pon(sensing(sample, state), pon_customers)
    restarted = sensing(sample, state)
    events = restarted.apply(confirm(T0 + 900, element_id=PON))
    assert [e.incident_id for e in suspicions(events)] == [opened.incident_id]
    assert {c.incident_id for c in changes(events)} == {opened.incident_id}


# -- the stage -------------------------------------------------------------------------------


def test_suspicions_send_nothing_to_impacts_contacts_go_to_their_partition_in_order(
        sample: RegionIndex, pon_customers: list[str]) -> None:
    stage = NetworkStage(sensing(sample), 4)
    out = []
    for n, customer in enumerate(pon_customers[:6]):
        out += stage.handle(report(customer, T0 + n * 60, n))
    out += stage.handle(report("C0000001", T0 + 400, 99, "other"))
    assert {m["kind"] for _, m in out} <= {"tick", "contact"}
    contacts = [(p, m) for p, m in out if m["kind"] == "contact"]
    reporters = [*pon_customers[:6], "C0000001"]
    assert [m["customer_id"] for _, m in contacts] == reporters  # each once, in order
    assert [p for p, _ in contacts] == partitions_of(reporters, 4).tolist()
    assert [m["reason"] for _, m in contacts] == ["no_service"] * 6 + ["other"]
    sensed = stage.take_sensed()
    # the fifth report tips it, decided once time moves past that instant (the sixth)
    assert [getattr(e, "event", "contact") for e in sensed] == ["contact"] * 5 + [
        "suspected", "contact", "updated", "contact"]
    assert stage.take_sensed() == []
    assert not any(isinstance(e, Impact) for e in sensed)


def test_a_new_index_version_resolves_phone_numbers_by_its_own_customers(
        tiny_index: RegionIndex, region_variant: Any) -> None:
    net = sensing(tiny_index)
    assert [c.customer_id for c in seen(net.apply(
        Contact("k-1", "call", "other", T0, phone="+4915112345678")))] == ["007"]
    moved = region_variant("tiny", {"customers.csv": {"+4915112345678": "+4917000000007"}})
    net.swap_index(moved, T0 + 1)
    with pytest.raises(RecordRefused):
        net.apply(Contact("k-2", "call", "other", T0 + 2, phone="+4915112345678"))
    assert [c.customer_id for c in seen(net.apply(
        Contact("k-3", "call", "other", T0 + 3, phone="0170 0000 0007")))] == ["007"]


def test_the_stage_keeps_at_most_max_sensed_events_for_a_caller_that_never_takes_them(
        sample: RegionIndex) -> None:
    stage = NetworkStage(sensing(sample), 1)
    for n in range(MAX_SENSED + 3):
        stage.handle(report("C0000001", T0 + n, n, "other"))
    sensed = stage.take_sensed()
    assert len(sensed) == MAX_SENSED
    assert sensed[-1].contact_id == f"k-{MAX_SENSED + 2}"  # the oldest went first


def test_a_confirmation_with_an_eta_is_news_of_the_suspected_incident_after_its_outage(
        sample: RegionIndex, pon_customers: list[str]) -> None:
    net = sensing(sample)
    opened = suspect_pon(net, pon_customers)
    events = net.apply(IncidentUpdate(T0 + 900, incident_id=opened.incident_id, confirm=True,
                                      eta=T0 + 7200, message="crew on site"))
    assert [type(e).__name__ for e in events] == ["SuspicionEvent", "Impact", "IncidentNews"]
    news = events[-1]
    assert isinstance(news, IncidentNews)
    assert (news.incident_id, news.eta, news.message) == (
        opened.incident_id, T0 + 7200, "crew on site")
