"""Incident ids name the date and minute in the operator's local time (the zone the desk and
status pages show), and stay stable: same root and instant, same id."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import pandas as pd

from forewarn.geo import RegionIndex
from forewarn.streams.network.events import incident_id_for
from forewarn.streams.network.operator_zone import DEFAULT_ZONE, operator_zone
from tests.unit.network.network_helpers import changes, correlator, raised


def epoch(iso: str) -> float:
    return datetime.fromisoformat(iso).timestamp()


def region_with_zones(*zones: str) -> SimpleNamespace:
    return SimpleNamespace(region=SimpleNamespace(customers=pd.DataFrame({"timezone": zones})))


def test_id_names_local_date_and_minute_not_utc() -> None:
    late_evening_utc = epoch("2023-11-14T23:30:00+00:00")  # 00:30 the next day in Berlin
    assert incident_id_for("S-A", late_evening_utc).startswith("INC-20231115-0030-")
    assert incident_id_for("S-A", late_evening_utc, "Europe/London").startswith(
        "INC-20231114-2330-")


def test_summer_time_is_local_too() -> None:
    assert incident_id_for("S-A", epoch("2024-07-01T12:00:00+00:00")).startswith(
        "INC-20240701-1400-")


def test_same_root_and_instant_give_the_same_id_and_other_instants_another() -> None:
    at = epoch("2024-03-14T13:02:00+00:00")
    assert incident_id_for("PWR-1", at) == incident_id_for("PWR-1", at)
    assert incident_id_for("PWR-1", at) != incident_id_for("PWR-2", at)
    assert incident_id_for("PWR-1", at) != incident_id_for("PWR-1", at + 0.5)


def test_the_repeated_hour_of_a_dst_change_still_gives_distinct_ids() -> None:
    first, second = epoch("2024-10-27T00:30:00+00:00"), epoch("2024-10-27T01:30:00+00:00")
    ids = incident_id_for("S-A", first), incident_id_for("S-A", second)
    assert ids[0][:18] == ids[1][:18] == "INC-20241027-0230-"  # 02:30 twice in Berlin
    assert ids[0] != ids[1]


def test_operator_zone_is_where_most_customers_live() -> None:
    index = region_with_zones("Europe/London", "Europe/Berlin", "Europe/London", "")
    assert operator_zone(index) == "Europe/London"


def test_operator_zone_breaks_ties_by_name_and_defaults_to_berlin() -> None:
    assert operator_zone(region_with_zones("Europe/Vienna", "Europe/Berlin")) == "Europe/Berlin"
    assert operator_zone(SimpleNamespace()) == DEFAULT_ZONE  # an index artifact: no region
    assert operator_zone(region_with_zones("", "")) == DEFAULT_ZONE
    assert operator_zone(region_with_zones("Not/AZone")) == DEFAULT_ZONE


def test_correlator_names_its_incidents_in_the_regions_zone(tiny_index: RegionIndex) -> None:
    at = epoch("2023-11-14T23:30:00+00:00")
    net = correlator(tiny_index)
    assert net.zone == "Europe/Berlin"
    (incident,) = {c.incident_id for c in changes(net.apply(raised("A1", "S-A", at)))}
    assert incident == incident_id_for("S-A", at, "Europe/Berlin")
    assert incident.startswith("INC-20231115-0030-")
    assert datetime.fromtimestamp(at, UTC).hour == 23  # the UTC hour the id no longer shows
