"""The renderer's cache: a fan-out renders each distinct text once, and a hit is always
the text a fresh render would give (everything a template can print is in the key)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forewarn.domain import Customer, Decision, Stage
from forewarn.templates import MessageRenderer
from forewarn.templates.context import message_context


def test_a_fan_out_of_one_incident_is_mostly_cache_hits(
    make_decision: Callable[..., Decision], make_customer: Callable[..., Customer]
) -> None:
    renderer = MessageRenderer()
    for i in range(200):
        customer = make_customer(customer_id=f"c-{i}", language=("de", "en")[i % 2])
        renderer.render(make_decision(customer_id=f"c-{i}"), customer, ("sms", "email")[i % 3 == 0])
    assert renderer.cache_misses <= 4 and renderer.cache_hits >= 196


def test_the_same_instant_in_another_timezone_is_rendered_afresh(
    make_decision: Callable[..., Decision], make_customer: Callable[..., Customer]
) -> None:
    renderer, decision = MessageRenderer(), make_decision()
    berlin = renderer.render(decision, make_customer(timezone="Europe/Berlin"), "sms")
    london = renderer.render(decision, make_customer(timezone="Europe/London"), "sms")
    assert renderer.cache_misses == 2
    assert berlin.text != london.text  # 15:00 vs 14:00


def test_cached_texts_equal_fresh_renders(
    make_decision: Callable[..., Decision], make_customer: Callable[..., Customer]
) -> None:
    cached, fresh = MessageRenderer(), MessageRenderer(cache_size=0)
    variants = [
        make_decision(),
        make_decision(services=("mobile", "fibre")),
        make_decision(eta=1_795_363_200.0),
        make_decision(message="Bagger hat Kabel beschaedigt"),
        make_decision(incident_id="INC-other"),
        make_decision(cause_type="power"),
    ]
    for decision in variants * 2:
        for channel in ("sms", "push", "email"):
            customer = make_customer()
            assert cached.render(decision, customer, channel) == fresh.render(
                decision, customer, channel)
    assert cached.cache_hits == len(variants) * 3
    assert fresh.cache_hits == 0


def test_update_notices_of_different_kinds_are_not_confused(
    make_decision: Callable[..., Decision], make_customer: Callable[..., Customer]
) -> None:
    renderer = MessageRenderer()
    plain = make_decision(stage=Stage.UPDATE, reason="incident_update", message="Bagger")
    for reason in ("incident_update", "eta_passed"):
        cached = renderer.render(replace(plain, reason=reason), make_customer(), "sms")
        fresh = MessageRenderer(cache_size=0).render(replace(plain, reason=reason),
                                                     make_customer(), "sms")
        assert cached == fresh


def test_the_cache_is_bounded(
    make_decision: Callable[..., Decision], make_customer: Callable[..., Customer]
) -> None:
    renderer = MessageRenderer(cache_size=3)
    for i in range(10):
        renderer.render(replace(make_decision(), incident_id=f"INC-{i}"), make_customer(), "sms")
    assert len(renderer._cache) == 3


@settings(max_examples=50, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # stateless factories
@given(other_id=st.text(min_size=1, max_size=12), phone=st.none() | st.text(max_size=15),
       priority=st.integers(0, 1), language=st.sampled_from(["de", "en", "fr", None]),
       channels=st.sampled_from([("sms",), ("email", "push")]))
def test_the_context_depends_on_nothing_outside_the_cache_key(
    make_decision: Callable[..., Decision], make_customer: Callable[..., Customer],
    other_id: str, phone: str | None, priority: int, language: str | None,
    channels: tuple[str, ...],
) -> None:
    """The key holds language, channel, timezone and every decision field but customer_id;
    anything else about the customer (or whose decision it is) must not reach a template."""
    decision, customer = make_decision(), make_customer()
    other = replace(customer, customer_id=other_id, phone=phone, priority=priority,
                    language=language, channels=channels, services=("fibre",))
    for channel in ("sms", "email"):
        assert message_context(decision, customer, language="de", channel=channel,
                               status_url="u") == message_context(
            replace(decision, customer_id=other_id), other, language="de", channel=channel,
            status_url="u")
