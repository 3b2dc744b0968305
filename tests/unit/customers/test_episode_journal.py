"""The episode table changelogged in batches (``episode_journal.py``): what a recovery from
the changelog alone rebuilds is what the live stage had, with far fewer records."""

from __future__ import annotations

import json
from collections.abc import Iterator, MutableMapping
from typing import Any

from forewarn.domain import Decision
from forewarn.streams import records
from forewarn.streams.customers.episode_changelog import JournaledEpisodes, is_journal_key
from forewarn.streams.customers.stage import CustomerStage
from forewarn.streams.partitioning import partition_of

P = 4
T0 = 1_000_000.0


class ChangelogTable(MutableMapping[str, Any]):
    """A Faust table's contract: ``data`` is the local store; every set/del is a changelog
    record (JSON, as Faust writes it)."""

    def __init__(self) -> None:
        self.data: dict[str, Any] = {}
        self.changelog: list[tuple[str, str | None]] = []

    def send_changelog(self, *args: Any) -> None:  # marks a changelogged table
        raise AssertionError("not called by the journal")

    def __getitem__(self, key: str) -> Any:
        return self.data[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.changelog.append((key, json.dumps(value)))
        self.data[key] = value

    def __delitem__(self, key: str) -> None:
        self.changelog.append((key, None))
        del self.data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.data)

    def __len__(self) -> int:
        return len(self.data)

    def recovered(self, upto: int | None = None) -> ChangelogTable:
        """A fresh table restored from this one's changelog (what a new worker gets), or
        from its first ``upto`` records (a new owner that read the changelog while the old
        one was still writing)."""
        fresh = ChangelogTable()
        for key, value in self.changelog[:upto]:
            if value is None:
                fresh.data.pop(key, None)
            else:
                fresh.data[key] = json.loads(value)
        return fresh


def _customers(state: MutableMapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in state.items() if not is_journal_key(k)}


def _impact(ids: list[str], at: float, out: bool = True, incident: str = "inc-1") -> dict[str, Any]:
    return {"kind": "impact", "at": at, "incident_id": incident, "cause_element": "pw-1",
            "cause_type": "power", "out": {"mobile": ids} if out else {},
            "back": {} if out else {"mobile": ids}}


def _by_partition(ids: list[str]) -> dict[int, list[str]]:
    parts: dict[int, list[str]] = {p: [] for p in range(P)}
    for c in ids:
        parts[partition_of(c, P)].append(c)
    return parts


def _decisions(out: list[dict[str, Any]]) -> list[Decision]:
    return [records.decision_from_record(item) for record in out if "items" in record
            for item in record["items"]]


def _run(stage: CustomerStage, story: list[tuple[int, dict[str, Any]]]) -> list[Decision]:
    decided: list[Decision] = []
    for partition, message in story:
        decided += _decisions(stage.handle(partition, message))
    return decided


def test_a_faust_table_is_journalled_and_a_dict_is_not() -> None:
    assert CustomerStage(ChangelogTable(), P, 120, 300).journal is not None
    assert CustomerStage({}, P, 120, 300).journal is None


def test_a_fan_out_writes_one_record_per_message_chunk_and_none_for_confirmations() -> None:
    table = ChangelogTable()
    stage = CustomerStage(table, P, 5, 300)
    ids = [f"c{n:05d}" for n in range(3000)]
    story = [(p, _impact(part, T0)) for p, part in _by_partition(ids).items()]
    _run(stage, story)
    opened = len(table.changelog)
    assert opened <= 2 * P + 3000 // 500 + P  # markers + chunks, not one per customer
    decided = _run(stage, [(p, {"kind": "tick", "at": T0 + 6}) for p in range(P)])
    assert len(decided) == 3000
    assert len(table.changelog) == opened  # confirmations are derived, not journalled
    assert all(e["episodes"]["mobile"]["notified"] for e in _customers(table.data).values())


def test_recovery_from_the_changelog_rebuilds_the_live_state() -> None:
    table = ChangelogTable()
    stage = CustomerStage(table, P, 5, 30)
    ids = [f"c{n:05d}" for n in range(1200)]
    parts = _by_partition(ids)
    story = [(p, _impact(part, T0)) for p, part in parts.items()]
    story += [(p, {"kind": "tick", "at": T0 + 6}) for p in range(P)]
    # some come back (and close after resolve_after_s), some flap, some stay out
    story += [(p, _impact(part[:100], T0 + 10, out=False)) for p, part in parts.items()]
    story += [(p, _impact(part[50:60], T0 + 12)) for p, part in parts.items()]
    story += [(p, {"kind": "tick", "at": T0 + 50}) for p in range(P)]
    first = _run(stage, story)
    live = _customers(table.data)

    fresh = table.recovered()
    again = CustomerStage(fresh, P, 5, 30)
    # the first message after the assignment replays the journal
    refired = _run(again, [(p, {"kind": "tick", "at": T0 + 51}) for p in range(P)])
    assert _customers(fresh.data) == live
    # confirmations of those nothing changed since are decided again, identically
    # (same notification_id: delivery drops the repeat)
    assert refired and {d.notification_id for d in refired} <= {d.notification_id for d in first}


def test_a_confirmation_lost_in_a_crash_is_decided_again_identically() -> None:
    table = ChangelogTable()
    stage = CustomerStage(table, P, 5, 300)
    ids = [f"c{n:04d}" for n in range(400)]
    _run(stage, [(p, _impact(part, T0)) for p, part in _by_partition(ids).items()])
    before = _run(stage, [(p, {"kind": "tick", "at": T0 + 6}) for p in range(P)])
    fresh = table.recovered()  # crashed right after deciding: the confirmations are not there
    again = CustomerStage(fresh, P, 5, 300)
    after = _run(again, [(p, {"kind": "tick", "at": T0 + 8}) for p in range(P)])
    assert sorted(d.notification_id for d in after) == sorted(d.notification_id for d in before)
    assert _customers(fresh.data) == _customers(table.data)


def test_compaction_bounds_the_journal_and_keeps_the_state() -> None:
    table = ChangelogTable()
    journal = JournaledEpisodes(table, lambda c: 0, chunk=10)
    journal.load(0)
    for round_ in range(30):
        for n in range(1000):
            journal[f"c{n}"] = {"t": float(round_), "episodes": {}}
        journal.flush(0)
    for n in range(0, 1000, 2):
        del journal[f"c{n}"]
    journal.flush(0)
    live = {k: v for k, v in table.data.items() if not is_journal_key(k)}
    assert len(live) == 500
    records_now = [k for k in table.data if is_journal_key(k)]
    assert len(records_now) < 30 * 100  # old records were deleted (tombstones)
    fresh = table.recovered()
    again = JournaledEpisodes(fresh, lambda c: 0)
    again.load(0)
    assert {k: v for k, v in fresh.data.items() if not is_journal_key(k)} == live


def test_per_customer_records_of_the_old_format_are_migrated() -> None:
    table = ChangelogTable()
    table["c1"] = {"t": 1.0, "episodes": {}, "planned": {"fibre": "mw-1"}}
    table["c2"] = {"t": 2.0, "episodes": {}, "planned": {"fibre": "mw-1"}}
    journal = JournaledEpisodes(table, lambda c: 0)
    journal.load(0)
    assert journal["c1"]["t"] == 1.0
    fresh = table.recovered()
    assert "c1" not in fresh.data  # the old record is tombstoned ...
    again = JournaledEpisodes(fresh, lambda c: 0)
    again.load(0)
    # ... and journalled
    assert fresh.data["c2"] == {"t": 2.0, "episodes": {}, "planned": {"fibre": "mw-1"}}


def test_a_stale_local_copy_is_dropped_on_load() -> None:
    table = ChangelogTable()
    journal = JournaledEpisodes(table, lambda c: 0)
    journal.load(0)
    journal["c1"] = {"t": 1.0, "episodes": {}, "planned": {"fibre": "mw-1"}}
    journal.flush(0)
    table.data["ghost"] = {"t": 0.0, "episodes": {}}  # e.g. left from before a rebalance
    journal.forget()
    journal.load(0)
    assert "ghost" not in table.data and "c1" in table.data


def test_decision_records_are_what_asdict_gives() -> None:
    from dataclasses import asdict

    from forewarn.domain import Stage

    decision = Decision("c1", "inc-1", Stage.RESOLVED, ("mobile", "fibre"), T0 + 9, T0,
                        "restored", "power", ended_at=T0 + 8, eta=T0 + 99, message="m")
    expected = asdict(decision)
    expected["stage"], expected["services"] = "resolved", ["mobile", "fibre"]
    assert records.decision_to_record(decision) == expected
    assert records.decision_from_record(records.decision_to_record(decision)) == decision


def test_a_former_owner_still_writing_after_a_takeover_never_overwrites_the_new_owners_records(
) -> None:
    # The former owner was thrown out of the group in the middle of its work and does not
    # know yet: its records keep landing in the changelog after the new owner recovered.
    former_table = ChangelogTable()
    former = JournaledEpisodes(former_table, lambda c: 0)
    former.load(0)
    former["c1"] = {"t": 1.0, "episodes": {}}
    former.flush(0)
    owner_table = former_table.recovered()
    owner_table.changelog = former_table.changelog  # one changelog partition, two writers
    owner = JournaledEpisodes(owner_table, lambda c: 0)
    owner.load(0)
    owner["c3"] = {"t": 3.0, "episodes": {}}  # the owner's work after the takeover
    owner.flush(0)
    former["c2"] = {"t": 2.0, "episodes": {}}  # the former owner's last record, landing later
    former.flush(0)

    next_owner_table = former_table.recovered()  # the partition moves on again
    JournaledEpisodes(next_owner_table, lambda c: 0).load(0)
    assert next_owner_table.data["c3"] == {"t": 3.0, "episodes": {}}
    assert {"c1", "c2", "c3"} <= set(next_owner_table.data)


class _Draw:
    """A ``random.Random`` stand-in whose ``randint`` answers ``value``."""

    def __init__(self, value: int) -> None:
        self.value = value

    def randint(self, low: int, high: int) -> int:
        assert low <= self.value <= high
        return self.value


def test_a_former_owner_none_of_whose_records_had_landed_writes_in_another_range() -> None:
    former_table = ChangelogTable()
    former_table["\x00episodes:0:meta"] = {"format": 2}
    owner_table = former_table.recovered()  # recovered before any record of the former
    owner_table.changelog = former_table.changelog
    former = JournaledEpisodes(former_table, lambda c: 0, rng=_Draw(1))  # type: ignore[arg-type]
    owner = JournaledEpisodes(owner_table, lambda c: 0, rng=_Draw(2))  # type: ignore[arg-type]
    former.load(0)
    owner.load(0)
    owner["c3"] = {"t": 3.0, "episodes": {}}
    owner.flush(0)
    former["c2"] = {"t": 2.0, "episodes": {}}
    former.flush(0)

    next_owner_table = former_table.recovered()
    JournaledEpisodes(next_owner_table, lambda c: 0).load(0)
    assert {"c2", "c3"} <= set(next_owner_table.data)
