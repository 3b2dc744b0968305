"""Addresses and secrets never reach a log line in full."""

from __future__ import annotations

import logging

import pytest

from forewarn.notifiers.masking import RedactingFilter, install_redaction, mask_address, redact


@pytest.mark.parametrize(
    ("address", "masked"),
    [
        ("+4915112345678", "+49151******78"),
        ("+49 151 12345667", "+49 151 ******67"),
        ("0151 1234567", "0151 1****67"),
        ("jane.doe@example.org", "j***@example.org"),
        ("fcm:dGVzdC10b2tlbi0xMjM0NTY3ODkw", "fcm:****"),
        ("short", "****"),
        (
            "mailto://user:secret@smtp.example.net:587?to=j%40x.org",
            "mailto://smtp.example.net:587/...",
        ),
        ("json://127.0.0.1:8080/sms?:to=%2B49151", "json://127.0.0.1:8080/..."),
        ("discord://123456789/webhooktoken", "discord://1234****/..."),
        ("", "<none>"),
        (None, "<none>"),
    ],
)
def test_mask_address(address: str | None, masked: str) -> None:
    assert mask_address(address) == masked


def test_masked_forms_do_not_contain_the_secret_parts() -> None:
    assert "secret" not in mask_address("mailtos://user:secret@smtp.example.net")
    assert "12345678" not in mask_address("+4915112345678")
    assert "jane.doe" not in mask_address("jane.doe@example.org")


def test_redact_masks_everything_inside_free_text_but_keeps_dates() -> None:
    line = ("Sent Email to jane.doe@example.org via mailto://u:pw@smtp.example.org:25 "
            "at 2026-11-22 for +49 151 12345678")
    out = redact(line)
    assert "jane.doe" not in out and "pw@" not in out and "12345678" not in out
    assert "2026-11-22" in out and "j***@example.org" in out


def test_the_filter_rewrites_third_party_log_records(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("forewarn.tests.thirdparty")
    install_redaction(logger.name)
    install_redaction(logger.name)
    assert sum(isinstance(f, RedactingFilter) for f in logger.filters) == 1
    with caplog.at_level(logging.INFO, logger=logger.name):
        logger.info("Sent Email to %s", "jane.doe@example.org")
    assert caplog.messages == ["Sent Email to j***@example.org"]
