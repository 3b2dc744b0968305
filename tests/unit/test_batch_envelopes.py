"""The network feed packs a fetch's impacts messages per partition into batch envelopes."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from forewarn.streams.kafka.network_feed import Outgoing, batch_envelopes
from forewarn.streams.records import messages_of


def message(partition: int, n: int, pad: int = 0) -> Outgoing:
    value = json.dumps({"kind": "tick", "at": n, "pad": "x" * pad}).encode()
    return Outgoing("impacts", partition, value)


def unpacked(packed: list[Outgoing], partition: int) -> list[dict]:
    return [m for out in packed if out.topic == "impacts" and out.partition == partition
            for m in messages_of(json.loads(out.value))]


def test_each_partition_gets_one_envelope_with_its_messages_in_order() -> None:
    outgoing = [message(n % 3, n) for n in range(30)]
    packed = batch_envelopes("impacts", outgoing)
    assert sorted(out.partition for out in packed) == [0, 1, 2]
    for partition in range(3):
        assert [m["at"] for m in unpacked(packed, partition)] == list(range(partition, 30, 3))


def test_other_topics_and_a_lone_message_pass_through_unchanged() -> None:
    dead = Outgoing("alarms.dead-letter", None, b'{"reason": "bad"}')
    lone = message(1, 7)
    packed = batch_envelopes("impacts", [dead, lone])
    assert packed == [dead, lone]


def test_envelopes_stay_under_the_size_limit_and_a_big_message_travels_alone() -> None:
    outgoing = [message(0, n, pad=300) for n in range(20)] + [message(0, 99, pad=5000)]
    packed = batch_envelopes("impacts", outgoing, max_bytes=2000)
    assert all(len(out.value) <= 2000 for out in packed[:-1])
    assert packed[-1] == outgoing[-1]
    assert [m["at"] for m in unpacked(packed, 0)] == [*range(20), 99]


@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 400)), max_size=60),
       st.integers(50, 3000))
def test_packing_keeps_every_message_once_in_partition_order(
    spec: list[tuple[int, int]], max_bytes: int,
) -> None:
    outgoing = [message(p, n, pad) for n, (p, pad) in enumerate(spec)]
    packed = batch_envelopes("impacts", outgoing, max_bytes=max_bytes)
    for partition in range(4):
        assert unpacked(packed, partition) == [json.loads(o.value) for o in outgoing
                                               if o.partition == partition]
