"""TLS/SASL settings reach Faust and aiokafka; incomplete ones fail at start-up by key."""

from __future__ import annotations

from pathlib import Path

import pytest

from forewarn.config import load_settings
from forewarn.errors import ConfigError
from forewarn.streams.kafka.tls import aiokafka_security, faust_credentials


def settings_from(tmp_path: Path, text: str) -> object:
    path = tmp_path / "f.toml"
    path.write_text(text)
    return load_settings(path)


def test_plaintext_by_default_needs_no_credentials(tmp_path: Path) -> None:
    kafka = settings_from(tmp_path, "").kafka
    assert faust_credentials(kafka) is None
    assert aiokafka_security(kafka) == {"security_protocol": "PLAINTEXT"}


def test_sasl_password_comes_from_the_environment_first(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FOREWARN_KAFKA_SASL_PASSWORD", "from-env")
    kafka = settings_from(tmp_path, '[kafka]\nsecurity_protocol = "SASL_PLAINTEXT"\n'
                                    'sasl_username = "fw"\nsasl_password = "in-file"\n').kafka
    options = aiokafka_security(kafka)
    assert options["sasl_plain_password"] == "from-env"
    assert options["sasl_plain_username"] == "fw" and "ssl_context" not in options
    assert "from-env" not in repr(kafka) and "in-file" not in repr(kafka)


def test_sasl_ssl_carries_a_tls_context(tmp_path: Path) -> None:
    kafka = settings_from(tmp_path, '[kafka]\nsecurity_protocol = "SASL_SSL"\n'
                                    'sasl_username = "fw"\n').kafka
    assert aiokafka_security(kafka)["ssl_context"] is not None
    assert faust_credentials(kafka).ssl_context is not None


def test_sasl_without_a_username_fails_naming_the_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="sasl_username"):
        settings_from(tmp_path, '[kafka]\nsecurity_protocol = "SASL_SSL"\n')


def test_missing_certificate_file_fails_naming_the_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="ssl_cafile"):
        settings_from(tmp_path, '[kafka]\nsecurity_protocol = "SSL"\nssl_cafile = "/nope.pem"\n')


def test_unknown_protocol_fails_naming_the_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="security_protocol"):
        settings_from(tmp_path, '[kafka]\nsecurity_protocol = "KERBEROS"\n')


def test_delivery_url_comes_from_the_environment(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FOREWARN_CHANNELS_SMS_URL", "json://gw.example/sms?:to={to}")
    settings = settings_from(tmp_path, '[channels.sms]\nurl = "json://old/"\n')
    assert settings.channels["sms"].url.get_secret_value() == "json://gw.example/sms?:to={to}"
    assert "gw.example" not in repr(settings)
