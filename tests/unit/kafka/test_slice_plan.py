"""Which index slices a worker maps for its assignment (``kafka.slice_plan``, pure)."""

from __future__ import annotations

from forewarn.streams.kafka.slice_plan import SlicePlan, needed_slices
from forewarn.streams.kafka.topics import TopicNames

NAMES = TopicNames("t.")


def test_customer_partitions_of_impacts_and_outbox_are_the_needed_slices() -> None:
    assigned = {("t.impacts", 1), ("t.notifications.outbox", 1), ("t.impacts", 3),
                ("t.notifications.outbox", 3), ("t.contacts.raw", 0)}
    assert needed_slices(assigned, NAMES, 4) == {1, 3}


def test_the_owner_of_alarms_raw_needs_every_slice() -> None:
    assigned = {("t.alarms.raw", 0), ("t.impacts", 2), ("t.notifications.outbox", 2)}
    assert needed_slices(assigned, NAMES, 4) == {0, 1, 2, 3}


def test_an_outbox_partition_alone_still_needs_its_slice() -> None:
    # co-partitioned topics, but a rebalance may hand them over separately
    assert needed_slices({("t.notifications.outbox", 2)}, NAMES, 4) == {2}


def test_other_prefixes_and_partitions_outside_the_index_need_nothing() -> None:
    assigned = {("u.impacts", 0), ("u.alarms.raw", 0), ("t.impacts", 7), ("t.delivered", 1)}
    assert needed_slices(assigned, NAMES, 4) == frozenset()


def test_no_assignment_needs_no_slice() -> None:
    assert needed_slices(set(), NAMES, 4) == frozenset()


def test_losing_alarms_raw_drops_the_slices_of_the_other_workers_partitions() -> None:
    before = needed_slices({("t.alarms.raw", 0), ("t.impacts", 0)}, NAMES, 4)
    after = needed_slices({("t.impacts", 0), ("t.notifications.outbox", 0)}, NAMES, 4)
    plan = SlicePlan.between(before, after)
    assert plan == SlicePlan(needed=(0,), add=(), drop=(1, 2, 3))
    assert plan.changes


def test_a_takeover_adds_the_orphaned_slices_and_keeps_the_mapped_ones() -> None:
    plan = SlicePlan.between({0, 2}, needed_slices(
        {("t.impacts", p) for p in range(4)}, NAMES, 4))
    assert (plan.add, plan.drop, plan.needed) == ((1, 3), (), (0, 1, 2, 3))


def test_an_unchanged_assignment_changes_nothing() -> None:
    plan = SlicePlan.between({1, 3}, {3, 1})
    assert not plan.changes and plan.needed == (1, 3)


def test_the_log_line_names_mapped_added_and_dropped_slices() -> None:
    assert SlicePlan.between({0, 1}, {1, 2}).describe() == \
        "index slices mapped: [1, 2] (added [2], dropped [0])"
