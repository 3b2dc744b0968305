"""The numpy murmur2 behind ``partitions_of`` equals aiokafka's (and so Kafka's) exactly."""

from __future__ import annotations

from aiokafka.partitioner import murmur2
from hypothesis import given
from hypothesis import strategies as st

from forewarn.streams.partitioning import murmur2_one, murmur2_utf8, partition_of, partitions_of

# Kafka's own test vectors (UtilsTest.testMurmur2, signed Java ints) and ids of ours.
KAFKA_MURMUR2 = {
    "21": -973932308,
    "foobar": -790332482,
    "a-little-bit-long-string": -985981536,
    "a-little-bit-longer-string": -1486304829,
    "lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8": -58897971,
    "abc": 479470107,
}
PARTITIONS_OF_12 = {"C0000001": 1, "007": 10, "c-east": 2, "Kundé-42": 9, "": 9}


@given(st.lists(st.text(max_size=40), max_size=60))
def test_equals_aiokafka_for_any_texts(texts: list[str]) -> None:
    """Any unicode (NUL, astral planes), empty texts, lengths not a multiple of 4, mixed."""
    assert murmur2_utf8(texts).tolist() == [murmur2(t.encode("utf-8")) for t in texts]


@given(st.lists(st.text(max_size=40), max_size=60), st.integers(1, 64))
def test_one_id_in_plain_python_equals_aiokafka_and_the_numpy_path(
        texts: list[str], partitions: int) -> None:
    """``partition_of`` hashes one id without numpy; it must agree with both."""
    assert [murmur2_one(t.encode("utf-8")) for t in texts] == [
        murmur2(t.encode("utf-8")) for t in texts]
    assert [partition_of(t, partitions) for t in texts] == (
        partitions_of(texts, partitions).tolist() if texts else [])


# Code points of one UTF-8 width each: texts of one length drawn from one of them have
# one byte length too.
UTF8_WIDTHS = [(0, 0x7F), (0x80, 0x7FF), (0x800, 0xFFFF), (0x10000, 0x10FFFF)]


@given(st.data())
def test_equals_aiokafka_for_texts_of_one_byte_length(data: st.DataObject) -> None:
    """Texts of one byte length take the strided path (customer ids usually look alike)."""
    low, high = data.draw(st.sampled_from(UTF8_WIDTHS))
    length = data.draw(st.integers(0, 13))
    alphabet = st.characters(min_codepoint=low, max_codepoint=high, exclude_categories=["Cs"])
    texts = data.draw(st.lists(st.text(alphabet, min_size=length, max_size=length),
                               min_size=1, max_size=30))
    assert murmur2_utf8(texts).tolist() == [murmur2(t.encode("utf-8")) for t in texts]


@given(st.lists(st.text(max_size=12), max_size=30), st.integers(1, 64))
def test_many_at_once_agree_with_one_at_a_time(customer_ids: list[str], partitions: int) -> None:
    assert partitions_of(customer_ids, partitions).tolist() == [
        partition_of(c, partitions) for c in customer_ids]


def test_kafkas_test_vectors() -> None:
    hashes = murmur2_utf8(list(KAFKA_MURMUR2)).tolist()
    assert hashes == [h % 2**32 for h in KAFKA_MURMUR2.values()]


def test_known_ids_land_on_known_partitions() -> None:
    assert partitions_of(list(PARTITIONS_OF_12), 12).tolist() == list(PARTITIONS_OF_12.values())
    assert [partition_of(c, 12) for c in PARTITIONS_OF_12] == list(PARTITIONS_OF_12.values())


def test_no_ids_no_partitions() -> None:
    assert partitions_of([], 4).tolist() == []
