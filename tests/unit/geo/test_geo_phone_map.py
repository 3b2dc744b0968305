"""The phone -> (partition, position) map in a sliced index's shared part: every number finds
its customers' partitions whatever slices a worker holds, exactly as a dict of
``normalise_phone`` over every customer would."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from forewarn.geo import RegionIndex, load_region, write_synthetic_region
from forewarn.geo.artifact import version_dir
from forewarn.geo.slice_build import build_slices
from forewarn.geo.slices import SlicedIndex, load_slices
from forewarn.streams.input.phones import normalise_phone
from forewarn.streams.partitioning import partition_of
from forewarn.streams.web.desk import PhoneBook

PARTITIONS = 4
SHARED = "+49 170 5550000"  # given to two customers, in two spellings


@pytest.fixture(scope="module")
def region(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A synth region whose numbers come in every form people type: international with
    ``+`` and ``00``, national (leading 0), with spaces and brackets, none, not a number,
    and one line shared by two customers."""
    folder = tmp_path_factory.mktemp("phones")
    write_synthetic_region(folder, 600, 11)
    customers = pd.read_csv(folder / "customers.csv", dtype=str, keep_default_na=False)
    phones = customers["phone"].tolist()
    for k, phone in enumerate(phones):
        digits = phone.removeprefix("+49")
        if phone and k % 5 == 1:
            phones[k] = "0" + digits  # national form
        elif phone and k % 5 == 2:
            phones[k] = "0049 " + digits[:3] + " " + digits[3:]
        elif phone and k % 5 == 3:
            phones[k] = f"(0{digits[:3]}) {digits[3:]}"
    phones[7], phones[8] = "", "not a number"
    phones[100], phones[450] = SHARED, "0170-5550000"
    phones[200] = "+44 20 7946 0000"  # a foreign number
    customers["phone"] = phones
    customers.to_csv(folder / "customers.csv", index=False)
    return folder


@pytest.fixture(scope="module")
def built(region: Path) -> RegionIndex:
    return RegionIndex.build(load_region(region))


@pytest.fixture(scope="module")
def index_dir(region: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("phones-index")
    build_slices(region, out, PARTITIONS)
    return out


def _brute_force(index: RegionIndex, country_code: str | None) -> dict[str, list[str]]:
    """What the phone book was before the map: normalised number -> ids in position order."""
    numbers: dict[str, list[str]] = {}
    for customer_id in index.customer_ids:
        phone = index.customer(customer_id).phone
        key = normalise_phone(phone, country_code) if phone else None
        if key:
            numbers.setdefault(key, []).append(customer_id)
    return numbers


def test_every_customers_number_resolves_to_its_partition_and_position(
        built: RegionIndex, index_dir: Path) -> None:
    sliced = load_slices(index_dir)
    phone_map = sliced.phone_map(PARTITIONS)
    with_phone = [c for c in built.customer_ids if built.customer(c).phone]
    assert len(phone_map) == len(with_phone) - 1  # "not a number" is no number
    for customer_id in with_phone:
        phone = built.customer(customer_id).phone
        assert phone is not None
        found = phone_map.find(phone, "49")
        if normalise_phone(phone, "49") is None:
            assert found == []
            continue
        assert (partition_of(customer_id, PARTITIONS), sliced.position(customer_id)) in found


@pytest.mark.parametrize("country_code", ["49", "44", None])
def test_map_answers_like_a_dict_of_normalised_numbers_for_any_country(
        built: RegionIndex, index_dir: Path, country_code: str | None) -> None:
    """The keys do not depend on the country, so one index serves any ``[legal] country``;
    national numbers take the configured country's code, as ``normalise_phone`` does."""
    sliced = load_slices(index_dir)
    expected = _brute_force(built, country_code)
    queries = [f"+{key}" for key in expected] + ["0170 5550000", "+49 170 5550001",
                                                 "020 7946 0000", "+44 20 7946 0000"]
    for query in queries:
        want = sorted(expected.get(normalise_phone(query, country_code) or "", []))
        for index in (sliced, built):
            got = [index.id_at(p) for _, p in index.phone_map(PARTITIONS).find(query,
                                                                              country_code)]
            assert sorted(got) == want, (query, type(index).__name__)


def test_a_shared_number_finds_both_customers_in_position_order(
        built: RegionIndex, index_dir: Path) -> None:
    sliced = load_slices(index_dir)
    first, second = built.customer_ids[100], built.customer_ids[450]
    found = sliced.phone_map(PARTITIONS).find("0170 555 0000", "49")
    by_position = sorted([first, second], key=sliced.position)
    assert found == [(partition_of(c, PARTITIONS), sliced.position(c)) for c in by_position]
    assert PhoneBook(sliced, "DE", PARTITIONS).lookup(SHARED) == by_position
    assert PhoneBook(built, "DE", PARTITIONS).lookup(SHARED) == [first, second]  # region order


@pytest.mark.parametrize("query", ["+49 170 5550001", "+1 555 0100", "0000", "", "hello",
                                   "+49" + "1" * 400, "+49 170 55500000"])
def test_unknown_malformed_and_overlong_numbers_find_nobody(index_dir: Path, query: str) -> None:
    assert load_slices(index_dir).phone_map(PARTITIONS).find(query, "49") == []
    book = PhoneBook(load_slices(index_dir), "DE", PARTITIONS)
    assert book.lookup(query) == [] and book.partition(query) is None


def test_a_worker_holding_some_slices_routes_every_number_to_the_owning_partition(
        built: RegionIndex, index_dir: Path) -> None:
    held = [1, 3]
    book = PhoneBook(SlicedIndex(version_dir(index_dir), partitions=held), "DE", PARTITIONS)
    checked = {"held": 0, "elsewhere": 0}
    for customer_id in built.customer_ids:
        phone = built.customer(customer_id).phone
        if not phone or normalise_phone(phone, "49") is None or phone in (SHARED, "0170-5550000"):
            continue
        owner = partition_of(customer_id, PARTITIONS)
        assert book.partition(phone) == owner
        if owner in held:
            assert book.lookup(phone) == [customer_id]
            checked["held"] += 1
        else:
            assert book.lookup(phone) == []  # known, routed, but not answered here
            checked["elsewhere"] += 1
    assert min(checked.values()) > 50


def test_an_index_built_before_the_map_gets_one_over_its_loaded_slices(
        built: RegionIndex, index_dir: Path) -> None:
    sliced = load_slices(index_dir)
    sliced._shared.phones = None  # as read from an older build's shared part
    phone = built.customer(built.customer_ids[3]).phone
    assert phone is not None
    assert PhoneBook(sliced, "DE", PARTITIONS).lookup(phone) == [built.customer_ids[3]]


def test_an_older_builds_map_follows_the_slices_that_come_and_go(
        built: RegionIndex, index_dir: Path) -> None:
    sliced = load_slices(index_dir, [0])
    sliced._shared.phones = None  # as read from an older build's shared part
    customer = next(c for c in built.customer_ids
                    if partition_of(c, PARTITIONS) == 1 and built.customer(c).phone)
    phone = built.customer(customer).phone
    assert phone is not None
    assert sliced.phone_map(PARTITIONS).find(phone, "49") == []
    sliced.add_slice(1)
    assert [p for p, _ in sliced.phone_map(PARTITIONS).find(phone, "49")] == [1]
    sliced.drop_slice(1)
    assert sliced.phone_map(PARTITIONS).find(phone, "49") == []
