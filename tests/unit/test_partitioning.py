"""Customers land on the partition Kafka's default partitioner would choose for their id."""

from __future__ import annotations

from aiokafka.partitioner import DefaultPartitioner
from hypothesis import given
from hypothesis import strategies as st

from forewarn.streams.partitioning import partition_of, partitions_of


@given(st.text(min_size=1, max_size=40), st.integers(min_value=1, max_value=64))
def test_partition_matches_kafkas_default_partitioner(customer_id: str, partitions: int) -> None:
    all_partitions = list(range(partitions))
    expected = DefaultPartitioner()(customer_id.encode("utf-8"), all_partitions, all_partitions)
    assert partition_of(customer_id, partitions) == expected


def test_many_at_once_agree_with_one_at_a_time() -> None:
    ids = [f"C{i:07d}" for i in range(500)]
    assert partitions_of(ids, 8).tolist() == [partition_of(c, 8) for c in ids]
    assert set(partitions_of(ids, 8).tolist()) == set(range(8))
