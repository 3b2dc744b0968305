"""Every template fits its channel whatever the NOC sends (issue 16, finding 8 and item 4).

What reaches a template from outside: the incident id (a ``maintenance_id`` *is* the incident
id of planned works; up to ``limits.MAX_ID_LENGTH`` characters, percent-encoded into the status
link), the NOC's free text (``message``, up to ``limits.MAX_TEXT_LENGTH``), the window and ETA
instants (2000..2100), and the region's ``cause_type``. Rendered at their maximal lengths and
with adversarial characters, for every stage x channel x language:

* an SMS is GSM-7 and one segment (the incident's link gives way to the status site);
* a push title and body fit a push payload (4 KB on FCM/APNs, with room for the envelope);
* an e-mail's HTML holds only the layout's own tags and links: NOC text is escaped.
"""

from __future__ import annotations

import itertools
from html.parser import HTMLParser

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forewarn.config import NotifySettings
from forewarn.domain import Customer, Decision, Stage
from forewarn.streams.input.formats.limits import (
    EARLIEST,
    LATEST,
    MAX_ID_LENGTH,
    MAX_TEXT_LENGTH,
    id_problem,
    text_problem,
)
from forewarn.templates import MessageRenderer, fits_one_segment, gsm7
from forewarn.templates.context import NOTICES
from forewarn.templates.samples import LONGEST_INCIDENT_ID, sample_customer, sample_decision

PUSH_BUDGET_BYTES = 3500  # of a 4,096-byte push payload; the rest is the JSON envelope
LAYOUT_TAGS = {"html", "head", "meta", "title", "body", "div", "h1", "p", "br", "a"}
LAYOUT_ATTRIBUTES = {"lang", "charset", "name", "content", "style", "href"}

#: Maximal and adversarial ids, each one a valid id by the parser's limits.
MAXIMAL_IDS = [
    "M" * MAX_ID_LENGTH,
    "€" * MAX_ID_LENGTH,  # 9 characters each once percent-encoded
    "\U0001f600" * MAX_ID_LENGTH,  # 12 each
    "%&;=?#/ " * (MAX_ID_LENGTH // 8),
    "MW-2026-11-22-" + "x" * (MAX_ID_LENGTH - 14),
]
MARKUP = '<script>alert("x")</script><img src=x onerror=alert(1)>&amp; “quotes” – €😀\n'
MAXIMAL_MESSAGES = [
    (MARKUP * 20)[:MAX_TEXT_LENGTH],
    "\U0001f600" * MAX_TEXT_LENGTH,
    "w" * MAX_TEXT_LENGTH,
]


@pytest.fixture(scope="module")
def default_renderer() -> MessageRenderer:
    return MessageRenderer(status_url=NotifySettings().status_url)


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: set[str] = set()
        self.attributes: set[str] = set()
        self.hrefs: set[str | None] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attributes.update(name for name, _ in attrs)
        self.hrefs.update(value for name, value in attrs if name == "href")


def check_every_channel(renderer: MessageRenderer, decision: Decision, customer: Customer) -> None:
    """Render ``decision`` on every channel and check each fits it."""
    sms = renderer.render(decision, customer, "sms").text
    assert fits_one_segment(sms), (gsm7.first_non_gsm7(sms), len(sms), sms)

    push = renderer.render(decision, customer, "push")
    assert push.title is not None
    assert "\n" not in push.title and "\n" not in push.text
    assert len(push.title.encode()) + len(push.text.encode()) <= PUSH_BUDGET_BYTES

    email = renderer.render(decision, customer, "email")
    assert email.subject is not None and email.html is not None
    assert "\n" not in email.subject and "\r" not in email.subject
    parsed = _Tags()
    parsed.feed(email.html)
    status_url = renderer.status_url.replace("{incident_id}", "")
    assert parsed.tags <= LAYOUT_TAGS, parsed.tags - LAYOUT_TAGS
    assert parsed.attributes <= LAYOUT_ATTRIBUTES, parsed.attributes - LAYOUT_ATTRIBUTES
    assert all(href and href.startswith(status_url) for href in parsed.hrefs), parsed.hrefs
    assert "<script" not in email.html.lower()


def customer_for(language: str | None, timezone: str = "Europe/Berlin") -> Customer:
    base = sample_customer(language, "sms")
    return Customer(customer_id=base.customer_id, services=base.services, language=language,
                    channels=("sms", "push", "email"), phone=base.phone,
                    email="jane.doe@example.org", push_token="fcm:token", timezone=timezone)


@pytest.mark.parametrize(("language", "stage", "incident_id"), list(itertools.product(
    ("de", "en"), list(Stage), MAXIMAL_IDS)))
def test_a_maximal_incident_id_still_fits_every_channel(
    default_renderer: MessageRenderer, language: str, stage: Stage, incident_id: str
) -> None:
    assert id_problem(incident_id) is None  # an id the parser lets through
    decision = sample_decision(stage, incident_id=incident_id, message=MAXIMAL_MESSAGES[0])
    check_every_channel(default_renderer, decision, customer_for(language))


def test_a_long_maintenance_id_keeps_the_planned_sms_in_one_segment(
    default_renderer: MessageRenderer,
) -> None:
    """Finding 8 as reported: the planned SMS of a long ``maintenance_id``."""
    decision = sample_decision(Stage.PLANNED, incident_id="MW-" + "7" * (MAX_ID_LENGTH - 3))
    for language in ("de", "en"):
        text = default_renderer.render(decision, customer_for(language), "sms").text
        assert fits_one_segment(text), text
        assert text.endswith("https://status.example.net")  # the site, not a broken link


def test_a_short_incident_id_keeps_its_own_link(default_renderer: MessageRenderer) -> None:
    decision = sample_decision(Stage.PLANNED, incident_id=LONGEST_INCIDENT_ID)
    text = default_renderer.render(decision, customer_for("de"), "sms").text
    assert text.endswith(f"/i/{LONGEST_INCIDENT_ID}")


@pytest.mark.parametrize("message", MAXIMAL_MESSAGES)
def test_a_maximal_noc_message_fits_every_channel_and_is_escaped(
    default_renderer: MessageRenderer, message: str
) -> None:
    assert text_problem(message) is None  # a text the parser lets through
    for language, stage in itertools.product(("de", "en"), (Stage.UPDATE, Stage.PLANNED)):
        decision = sample_decision(stage, message=message, incident_id=MAXIMAL_IDS[2])
        check_every_channel(default_renderer, decision, customer_for(language))


_id_alphabet = st.characters(blacklist_categories=("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"))
valid_ids = st.one_of(
    st.sampled_from([*MAXIMAL_IDS, LONGEST_INCIDENT_ID]),
    st.text(_id_alphabet, min_size=1, max_size=MAX_ID_LENGTH),
).filter(lambda s: bool(s.strip()) and id_problem(s) is None)
valid_messages = st.one_of(
    st.none(),
    st.sampled_from(MAXIMAL_MESSAGES),
    st.text(max_size=MAX_TEXT_LENGTH).filter(lambda s: text_problem(s) is None),
)
instants = st.floats(min_value=EARLIEST + 40 * 86400, max_value=LATEST - 40 * 86400)
offsets = st.floats(min_value=0, max_value=30 * 86400)


@settings(max_examples=200, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much])
@given(
    stage=st.sampled_from(list(Stage)),
    language=st.sampled_from(["de", "en", "fr", None]),
    services=st.sampled_from([("mobile",), ("fibre",), ("mobile", "fibre")]),
    incident_id=valid_ids,
    message=valid_messages,
    decided=instants,
    since_before=offsets,
    eta_after=st.one_of(st.none(), st.floats(min_value=-86400, max_value=30 * 86400)),
    ended_before=st.one_of(st.none(), offsets),
    cause=st.one_of(st.sampled_from(["power", "site", "olt", "maintenance", ""]),
                    st.text(max_size=MAX_ID_LENGTH)),
    reason=st.sampled_from([*sorted(NOTICES), "noc_update", "preview"]),
    timezone=st.sampled_from(["Europe/Berlin", "Pacific/Kiritimati", "America/St_Johns",
                              "Not/AZone"]),
)
def test_any_input_the_parser_accepts_renders_within_every_channel(
    default_renderer: MessageRenderer,
    stage: Stage,
    language: str | None,
    services: tuple[str, ...],
    incident_id: str,
    message: str | None,
    decided: float,
    since_before: float,
    eta_after: float | None,
    ended_before: float | None,
    cause: str,
    reason: str,
    timezone: str,
) -> None:
    decision = Decision(
        customer_id="c-000001", incident_id=incident_id, stage=stage, services=services,
        decided_at=decided, since=decided - since_before, reason=reason, cause_type=cause,
        ended_at=None if ended_before is None else decided - ended_before,
        eta=None if eta_after is None else decided + eta_after, message=message,
    )
    check_every_channel(default_renderer, decision, customer_for(language, timezone))



def test_a_push_clips_a_long_noc_message_at_a_word_with_an_ellipsis(
    default_renderer: MessageRenderer,
) -> None:
    words = " ".join(f"word{i}" for i in range(200))  # ~1,000 characters
    decision = sample_decision(Stage.UPDATE, message=words)
    body = default_renderer.render(decision, customer_for("en"), "push").text
    shown = body.split("From our engineers: ", 1)[1].split("\u2026", 1)[0]
    assert 180 <= len(shown) <= 250
    assert words.startswith(shown) and words[len(shown)] == " "  # cut between words
