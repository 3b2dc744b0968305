"""Every SMS fits one GSM-7 segment, for every combination and the worst-case values."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forewarn.config import NotifySettings
from forewarn.domain import Decision, Stage
from forewarn.templates import MessageRenderer, fits_one_segment, gsm7
from forewarn.templates.samples import LONGEST_INCIDENT_ID, sample_customer, sample_decision

SERVICE_SETS = [("mobile",), ("fibre",), ("mobile", "fibre")]
COMBOS = list(
    itertools.product(
        ("de", "en"), [str(s) for s in Stage], SERVICE_SETS, (True, False), (True, False)
    )
)


@pytest.fixture(scope="module")
def default_renderer() -> MessageRenderer:
    """Renderer with the status URL pattern straight from the default configuration."""
    return MessageRenderer(status_url=NotifySettings().status_url)


@pytest.mark.parametrize(("language", "stage", "services", "eta", "other_day"), COMBOS)
def test_sms_fits_one_segment_in_the_worst_case(
    default_renderer: MessageRenderer,
    language: str,
    stage: str,
    services: tuple[str, ...],
    eta: bool,
    other_day: bool,
) -> None:
    d = sample_decision(stage, services, eta=eta, other_day=other_day)
    text = default_renderer.render(d, sample_customer(language, "sms"), "sms").text
    assert LONGEST_INCIDENT_ID in text
    assert gsm7.is_gsm7(text), gsm7.first_non_gsm7(text)
    assert gsm7.septets(text) <= 160, (gsm7.septets(text), text)


def test_sms_never_carries_the_noc_free_text(default_renderer: MessageRenderer) -> None:
    for language, stage in itertools.product(("de", "en"), ("update", "planned")):
        d = sample_decision(stage, message="Ersatzteil kommt – “bald”")
        assert "Ersatzteil" not in default_renderer.render(d, sample_customer(language), "sms").text


_incident_ids = st.from_regex(r"\AINC-[0-9]{8}-[0-9]{4}-[a-z0-9]{1,6}\Z")
_berlin_day = datetime(2026, 3, 28, tzinfo=UTC).timestamp()  # spans a DST change


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    language=st.sampled_from(["de", "en", "fr", None]),
    stage=st.sampled_from(list(Stage)),
    services=st.sampled_from(SERVICE_SETS),
    incident_id=_incident_ids,
    decided=st.floats(min_value=0, max_value=3 * 86400),
    since_before=st.floats(min_value=0, max_value=10 * 86400),
    eta_after=st.one_of(st.none(), st.floats(min_value=-3600, max_value=10 * 86400)),
    ended_before=st.one_of(st.none(), st.floats(min_value=0, max_value=3600)),
    cause=st.sampled_from(["power", "site", "cell", "olt", "pon", "cabinet", "x", ""]),
    tz=st.sampled_from(
        ["Europe/Berlin", "Europe/London", "Pacific/Kiritimati", "America/St_Johns"]
    ),
)
def test_any_realistic_sms_fits_one_segment(
    default_renderer: MessageRenderer,
    language: str | None,
    stage: Stage,
    services: tuple[str, ...],
    incident_id: str,
    decided: float,
    since_before: float,
    eta_after: float | None,
    ended_before: float | None,
    cause: str,
    tz: str,
) -> None:
    decided_at = _berlin_day + decided
    decision = Decision(
        customer_id="c-000001",
        incident_id=incident_id,
        stage=stage,
        services=services,
        decided_at=decided_at,
        since=decided_at - since_before,
        reason="property",
        cause_type=cause,
        ended_at=None if ended_before is None else decided_at - ended_before,
        eta=None if eta_after is None else decided_at + eta_after,
        message="irrelevant for SMS",
    )
    customer = sample_customer(language, "sms")
    customer = type(customer)(
        **{**{f: getattr(customer, f) for f in customer.__dataclass_fields__}, "timezone": tz}
    )
    text = default_renderer.render(decision, customer, "sms").text
    assert fits_one_segment(text), text


def test_worst_case_sample_times_really_carry_dates() -> None:
    d = sample_decision("outage")
    assert d.eta is not None
    assert timedelta(seconds=d.decided_at - d.since) > timedelta(hours=9)
    assert len(LONGEST_INCIDENT_ID) == 24
