"""Sandbox, strict variables, HTML escaping and the SMS guard, through operator overrides."""

from __future__ import annotations

from pathlib import Path

import pytest

from forewarn.errors import TemplateError
from forewarn.templates import MessageRenderer
from forewarn.templates.samples import HOSTILE_MESSAGE, sample_customer, sample_decision


def _override(tmp_path: Path, name: str, body: str) -> MessageRenderer:
    target = tmp_path / name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(body, encoding="utf-8")
    return MessageRenderer(template_dirs=[tmp_path])


def test_a_hostile_noc_message_is_escaped_in_html(renderer: MessageRenderer) -> None:
    for language in ("de", "en"):
        for stage in ("update", "planned"):
            message = renderer.render(
                sample_decision(stage, message=HOSTILE_MESSAGE),
                sample_customer(language, "email"),
                "email",
            )
            assert message.html is not None
            assert "<script>" not in message.html
            assert "&lt;script&gt;" in message.html
            assert "&amp; Ersatzteile" in message.html
            assert "<script>" in message.text  # plain text stays literal; it is not HTML


def test_only_the_status_link_becomes_a_link(renderer: MessageRenderer) -> None:
    d = sample_decision("update", message="Details: https://evil.example.com/login")
    html = renderer.render(d, sample_customer("en", "email"), "email").html
    assert html is not None
    assert 'href="https://evil' not in html
    assert f'href="https://status.example.net/i/{d.incident_id}"' in html


def test_plain_text_parts_are_not_html_escaped(renderer: MessageRenderer) -> None:
    d = sample_decision("outage", ("mobile", "fibre"))
    text = renderer.render(d, sample_customer("de", "sms"), "sms").text
    assert "Mobilfunk & Internet" in text and "&amp;" not in text


def test_a_missing_variable_raises_instead_of_rendering_empty(tmp_path: Path) -> None:
    r = _override(tmp_path, "de/outage/sms.txt.j2", "Störung seit {{ sinse }}")
    with pytest.raises(TemplateError, match=r"de/outage/sms\.txt\.j2.*sinse"):
        r.render(sample_decision("outage"), sample_customer("de"), "sms")


@pytest.mark.parametrize(
    "body",
    [
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ since.__class__.__init__.__globals__ }}",
        "{{ cycler.__init__.__globals__.os }}",
        "{{ services.append('x') }}",
        "{{ services.__len__() }}",
    ],
)
def test_the_sandbox_blocks_reaching_python_internals(tmp_path: Path, body: str) -> None:
    r = _override(tmp_path, "en/outage/sms.txt.j2", body)
    with pytest.raises(TemplateError, match=r"en/outage/sms\.txt\.j2"):
        r.render(sample_decision("outage"), sample_customer("en"), "sms")


def test_an_sms_longer_than_one_segment_is_refused_naming_template_and_length(
    tmp_path: Path,
) -> None:
    r = _override(tmp_path, "de/resolved/sms.txt.j2", "{{ 'x' * 161 }}")
    with pytest.raises(TemplateError, match=r"de/resolved/sms\.txt\.j2 rendered 161 septets"):
        r.render(sample_decision("resolved"), sample_customer("de"), "sms")


def test_an_sms_with_a_non_gsm7_character_is_refused(tmp_path: Path) -> None:
    r = _override(tmp_path, "de/outage/sms.txt.j2", "Störung – wir arbeiten daran")
    with pytest.raises(TemplateError, match=r"U\+2013"):
        r.render(sample_decision("outage"), sample_customer("de"), "sms")


def test_a_template_syntax_error_fails_at_construction(tmp_path: Path) -> None:
    with pytest.raises(TemplateError, match=r"en/outage/email\.txt\.j2, line 1"):
        _override(tmp_path, "en/outage/email.txt.j2", "{% if %}")


def test_an_override_replaces_one_file_and_keeps_the_rest(tmp_path: Path) -> None:
    r = _override(tmp_path, "en/outage/push_title.txt.j2", "Heads up")
    push = r.render(sample_decision("outage"), sample_customer("en", "push"), "push")
    assert push.title == "Heads up"
    assert push.text.startswith("We know your")


def test_html_is_autoescaped_but_text_templates_are_not(tmp_path: Path) -> None:
    (tmp_path / "en" / "outage").mkdir(parents=True)
    (tmp_path / "en" / "outage" / "email_subject.txt.j2").write_text(
        "{{ message or '<b>&' }}", encoding="utf-8"
    )
    (tmp_path / "en" / "outage" / "email.html.j2").write_text(
        "<p>{{ subject }}</p>", encoding="utf-8"
    )
    r = MessageRenderer(template_dirs=[tmp_path])
    m = r.render(sample_decision("outage"), sample_customer("en", "email"), "email")
    assert m.subject == "<b>&"
    assert m.html == "<p>&lt;b&gt;&amp;</p>"
