"""MessageRenderer: every template renders, language choice, facts end up in the text."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import jinja2
import pytest

from forewarn.config import NotifySettings
from forewarn.domain import Customer, Decision, Stage
from forewarn.errors import TemplateError
from forewarn.templates import CHANNEL_PARTS, MessageRenderer, RenderedMessage
from forewarn.templates.context import TEMPLATE_VARIABLES, message_context
from forewarn.templates.samples import LONGEST_INCIDENT_ID

DecisionFactory = Callable[..., Decision]
CustomerFactory = Callable[..., Customer]

LANGUAGES = ("de", "en")
STAGES = [str(s) for s in Stage]


def test_shipped_languages_are_found_from_the_folders(renderer: MessageRenderer) -> None:
    assert renderer.languages == LANGUAGES


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("stage", STAGES)
@pytest.mark.parametrize("channel", list(CHANNEL_PARTS))
def test_every_template_renders_every_part_of_its_channel(
    renderer: MessageRenderer,
    decision: DecisionFactory,
    customer: CustomerFactory,
    language: str,
    stage: str,
    channel: str,
) -> None:
    message = renderer.render(decision(stage), customer(language, channel), channel)
    assert isinstance(message, RenderedMessage)
    assert message.language == language
    assert message.text.strip()
    assert (message.subject is not None) == (channel == "email")
    assert (message.html is not None) == (channel == "email")
    assert (message.title is not None) == (channel == "push")
    for one_line in (message.subject, message.title):
        assert one_line is None or ("\n" not in one_line and one_line.strip() == one_line)
    if channel in ("sms", "push"):
        assert "\n" not in message.text
    assert LONGEST_INCIDENT_ID in message.text or channel == "push"


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("de", "de"),
        ("en", "en"),
        ("EN", "en"),
        ("de-AT", "de"),
        ("en_GB", "en"),
        ("fr", "de"),
        ("", "de"),
        (None, "de"),
    ],
)
def test_language_is_the_customers_if_supported_else_the_default(
    renderer: MessageRenderer,
    decision: DecisionFactory,
    customer: CustomerFactory,
    language: str | None,
    expected: str,
) -> None:
    assert renderer.render(decision(), customer(language), "sms").language == expected


def test_default_language_is_configurable(
    decision: DecisionFactory, customer: CustomerFactory
) -> None:
    english = MessageRenderer(default_language="en")
    assert english.render(decision(), customer("fr"), "sms").language == "en"


def test_a_default_language_without_templates_fails_at_construction() -> None:
    with pytest.raises(TemplateError, match="'fr' has no templates"):
        MessageRenderer(default_language="fr")


def test_an_unknown_channel_is_a_template_error(
    renderer: MessageRenderer, decision: DecisionFactory, customer: CustomerFactory
) -> None:
    with pytest.raises(TemplateError, match="fax"):
        renderer.render(decision(), customer(), "fax")


def test_status_link_follows_the_configured_pattern(
    decision: DecisionFactory, customer: CustomerFactory
) -> None:
    default = NotifySettings().status_url
    assert default == "https://status.example.net/i/{incident_id}"
    mine = MessageRenderer(status_url="https://s.example.org/{incident_id}?src=sms")
    text = mine.render(decision(), customer(), "sms").text
    assert text.endswith(f"https://s.example.org/{LONGEST_INCIDENT_ID}?src=sms")


def test_times_are_in_the_customers_timezone(
    renderer: MessageRenderer, decision: DecisionFactory, customer: CustomerFactory
) -> None:
    d = decision(other_day=False, eta=False)  # 14:02 in Berlin
    berlin = renderer.render(d, customer("en", timezone="Europe/Berlin"), "sms").text
    london = renderer.render(d, customer("en", timezone="Europe/London"), "sms").text
    assert "since 14:02" in berlin
    assert "since 13:02" in london


def test_an_unknown_timezone_falls_back_to_berlin_rather_than_silencing_the_customer(
    renderer: MessageRenderer, decision: DecisionFactory, customer: CustomerFactory
) -> None:
    text = renderer.render(
        decision(other_day=False), customer("en", timezone="Mars/Olympus"), "sms"
    ).text
    assert "14:02" in text


def test_the_date_appears_only_when_the_outage_began_on_another_day(
    renderer: MessageRenderer, decision: DecisionFactory, customer: CustomerFactory
) -> None:
    assert "21.11. 14:02" in renderer.render(decision(other_day=True), customer(), "sms").text
    same_day = renderer.render(decision(other_day=False), customer(), "sms").text
    assert "14:02" in same_day and "22.11." not in same_day


def test_an_eta_already_past_is_not_mentioned(
    renderer: MessageRenderer, decision: DecisionFactory, customer: CustomerFactory
) -> None:
    d = decision(other_day=False)
    stale = type(d)(
        **{**{f: getattr(d, f) for f in d.__dataclass_fields__}, "eta": d.decided_at - 60}
    )
    email = renderer.render(stale, customer("en", "email"), "email").text
    assert "expect everything to work again" not in email
    assert "can't yet say" in email
    assert "Behebung" not in renderer.render(stale, customer("de"), "sms").text


@pytest.mark.parametrize(
    ("cause_type", "german", "english"),
    [
        ("power", "Stromausfall", "power cut"),
        ("site", "Mobilfunkanlage", "mobile mast"),
        ("cell", "Mobilfunkanlage", "mobile mast"),
        ("olt", "Glasfasernetz", "fibre network"),
        ("pon", "Glasfasernetz", "fibre network"),
        ("cabinet", "Glasfasernetz", "fibre network"),
        ("fibre_node", "Glasfasernetz", "fibre network"),
        ("transport", "technische Störung in unserem Netz", "technical fault in our network"),
        ("unknown", "technische Störung in unserem Netz", "technical fault in our network"),
    ],
)
def test_cause_is_told_in_plain_words(
    renderer: MessageRenderer,
    decision: DecisionFactory,
    customer: CustomerFactory,
    cause_type: str,
    german: str,
    english: str,
) -> None:
    d = decision(cause_type=cause_type)
    assert german in renderer.render(d, customer("de", "email"), "email").text
    assert english in renderer.render(d, customer("en", "email"), "email").text


@pytest.mark.parametrize(
    ("services", "german", "english"),
    [
        (("mobile",), "WLAN-Call", "Wi-Fi Calling in your phone"),
        (("fibre",), "Hotspot Ihres Smartphones", "mobile hotspot"),
        (
            ("mobile", "fibre"),
            "helfen Telefonieren über WLAN und ein Hotspot",
            "won't help this time",
        ),
    ],
)
def test_meanwhile_tip_matches_what_is_down(
    renderer: MessageRenderer,
    decision: DecisionFactory,
    customer: CustomerFactory,
    services: tuple[str, ...],
    german: str,
    english: str,
) -> None:
    d = decision("outage", services)
    assert german in renderer.render(d, customer("de", "email"), "email").text
    assert english in renderer.render(d, customer("en", "push"), "push").text


def test_resolved_says_since_when_and_what_to_restart(
    renderer: MessageRenderer, decision: DecisionFactory, customer: CustomerFactory
) -> None:
    d = decision("resolved", ("fibre",), other_day=False)
    de = renderer.render(d, customer("de", "email"), "email").text
    en = renderer.render(d, customer("en", "email"), "email").text
    assert "seit 13:59 Uhr" in de and "Ihren Router" in de
    assert "since 13:59" in en and "restart your router" in en
    assert "Internet geht seit 13:59 wieder" in renderer.render(d, customer("de"), "sms").text


def test_update_carries_the_new_eta_and_the_noc_message(
    renderer: MessageRenderer, decision: DecisionFactory, customer: CustomerFactory
) -> None:
    d = decision("update", message="Ein Techniker ist vor Ort.")
    email = renderer.render(d, customer("de", "email"), "email").text
    assert "bis zum 23.11. um 16:00 Uhr" in email
    assert "Ein Techniker ist vor Ort." in email
    assert "Techniker" not in renderer.render(d, customer("de"), "sms").text


def test_context_offers_exactly_the_documented_variables(
    decision: DecisionFactory, customer: CustomerFactory
) -> None:
    context = message_context(
        decision(), customer(), language="de", channel="sms", status_url="u/{incident_id}"
    )
    assert tuple(context) == TEMPLATE_VARIABLES
    assert context["status_url"] == f"u/{LONGEST_INCIDENT_ID}"


def test_templates_are_compiled_once_and_never_reloaded(
    monkeypatch: pytest.MonkeyPatch, decision: DecisionFactory, customer: CustomerFactory
) -> None:
    fresh = MessageRenderer()
    loads: list[str] = []
    original = jinja2.FileSystemLoader.get_source

    def counting(self: jinja2.FileSystemLoader, env: jinja2.Environment, name: str):  # type: ignore[no-untyped-def]
        loads.append(name)
        return original(self, env, name)

    monkeypatch.setattr(jinja2.FileSystemLoader, "get_source", counting)
    for _ in range(3):
        for channel in CHANNEL_PARTS:
            fresh.render(decision(), customer("en", channel), channel)
    assert loads == []


def test_preview_reports_every_template_with_its_sms_cost(renderer: MessageRenderer) -> None:
    entries = renderer.preview_all()
    assert len(entries) == len(LANGUAGES) * len(STAGES) * 6
    assert {e.template for e in entries} == set(renderer.template_names())
    sms = [e for e in entries if e.channel == "sms"]
    assert sms and all(e.gsm7 and e.segments == 1 and e.septets is not None for e in sms)


def test_a_language_is_added_with_files_only(
    tmp_path: Path, decision: DecisionFactory, customer: CustomerFactory
) -> None:
    package = Path(__file__).resolve().parents[3] / "forewarn" / "templates" / "en"
    target = tmp_path / "xx"
    for source in package.rglob("*.j2"):
        dest = target / source.relative_to(package)
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    extended = MessageRenderer(template_dirs=[tmp_path])
    assert extended.languages == ("de", "en", "xx")
    assert extended.render(decision(), customer("xx"), "sms").language == "xx"


def test_a_language_missing_a_template_fails_at_construction(tmp_path: Path) -> None:
    (tmp_path / "xx" / "outage").mkdir(parents=True)
    (tmp_path / "xx" / "outage" / "sms.txt.j2").write_text("hi", encoding="utf-8")
    with pytest.raises(TemplateError, match=r"xx/outage/push_title\.txt\.j2 is missing"):
        MessageRenderer(template_dirs=[tmp_path])
