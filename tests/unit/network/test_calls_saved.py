"""Calls saved: contacts split by whether the caller had been told before (CONTRACT §8)."""

from __future__ import annotations

from forewarn.streams.network.calls_saved import (
    CallsSaved,
    ContactNote,
    ToldLedger,
    split_contacts,
    told_at_from,
)

T0 = 1_780_000_000.0


def note(contact_id: str, customer: str, at: float) -> ContactNote:
    return ContactNote(contact_id, customer, at)


def test_contact_before_the_notice_counts_before_and_after_it_after() -> None:
    told = {"a": T0 + 120}
    got = split_contacts([note("1", "a", T0 + 60), note("2", "a", T0 + 121)], told, T0)
    assert got == CallsSaved(before_notice=1, after_notice=1, never_told=0)


def test_contact_at_the_notice_instant_counts_after_notice() -> None:
    assert split_contacts([note("1", "a", T0 + 120)], {"a": T0 + 120}, T0).after_notice == 1


def test_customer_never_told_counts_never_told() -> None:
    got = split_contacts([note("1", "b", T0 + 10)], {"a": T0 + 120}, T0)
    assert got == CallsSaved(0, 0, 1)


def test_contact_outside_the_incident_does_not_count() -> None:
    contacts = [note("early", "a", T0 - 1), note("late", "a", T0 + 601), note("in", "a", T0)]
    assert split_contacts(contacts, {}, T0, T0 + 600) == CallsSaved(0, 0, 1)


def test_a_repeated_contact_id_counts_once() -> None:
    contacts = [note("1", "a", T0 + 10), note("1", "a", T0 + 10), note("1", "a", T0 + 200)]
    assert split_contacts(contacts, {"a": T0 + 120}, T0) == CallsSaved(1, 0, 0)


def test_told_at_is_the_earliest_outage_or_update_notice_per_incident() -> None:
    records = [
        {"incident_id": "I", "customer_id": "a", "stage": "update",
         "decided_at": "2026-05-28T20:36:40+00:00"},
        {"incident_id": "I", "customer_id": "a", "stage": "outage",
         "decided_at": "2026-05-28T20:28:40+00:00"},
        {"incident_id": "I", "customer_id": "b", "stage": "resolved",
         "decided_at": "2026-05-28T20:30:00+00:00"},
        {"incident_id": "J", "customer_id": "b", "stage": "planned",
         "decided_at": "2026-05-28T20:30:00+00:00"},
    ]
    assert told_at_from(records) == {"I": {"a": T0 + 120}}


def test_ledger_keeps_the_earliest_told_instant_across_merged_ids() -> None:
    ledger = ToldLedger()
    ledger.note("I", "a", "outage", T0 + 120)
    ledger.note("I", "a", "update", T0 + 500)
    ledger.note("OLD", "a", "outage", T0 + 60)
    ledger.note("I", "b", "resolved", T0 + 900)  # a resolved notice tells nothing new
    assert ledger.told_at("I") == {"a": T0 + 120}
    assert ledger.told_at("I", "OLD") == {"a": T0 + 60}
    ledger.forget("I", "OLD")
    assert ledger.told_at("I", "OLD") == {}


def test_ledger_at_its_bound_forgets_the_oldest_incident_whole() -> None:
    ledger = ToldLedger(max_entries=3)
    ledger.note("first", "a", "outage", T0)
    ledger.note("first", "b", "outage", T0)
    ledger.note("second", "c", "outage", T0)
    assert ledger.told_at("first") == {"a": T0, "b": T0}  # at the bound: all kept
    ledger.note("second", "d", "outage", T0)
    assert ledger.told_at("first") == {}
    assert ledger.told_at("second") == {"c": T0, "d": T0}
    assert ledger.forgotten == 1
