"""The one typed, frozen settings object, built from TOML and the environment.

A wrong or unknown key fails at start-up with its dotted name (``ConfigError``). Secrets
(API tokens, delivery URLs with credentials) come from the environment and are ``SecretStr``
so they never appear in logs or reprs.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from forewarn.errors import ConfigError

__all__ = [
    "ApiSettings",
    "ChannelSettings",
    "CorrelationSettings",
    "KafkaSettings",
    "NotifySettings",
    "Settings",
    "load_settings",
]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CorrelationSettings(_Section):
    confirm_after_s: float = Field(120, ge=0)
    resolve_after_s: float = Field(300, ge=0)
    down_severities: tuple[str, ...] = ("critical", "major")


class NotifySettings(_Section):
    quiet_hours: str = ""
    notice_before_s: float = Field(172800, ge=0)
    default_language: str = "de"
    status_url: str = "https://status.example.net/i/{incident_id}"

    @field_validator("default_language")
    @classmethod
    def _known_language(cls, value: str) -> str:
        if value not in ("de", "en"):
            raise ValueError(f"unsupported language {value!r} (have: de, en)")
        return value


class ApiSettings(_Section):
    tokens: tuple[SecretStr, ...] = ()


class KafkaSettings(_Section):
    """How forewarn talks to Kafka. ``partitions`` applies to the customer-keyed topics."""

    partitions: int = Field(4, ge=1)
    topic_prefix: str = ""
    app_id: str = "forewarn"
    session_timeout_s: float = Field(6.0, gt=0)
    fetch_max_wait_ms: int = Field(100, ge=0)


class ChannelSettings(_Section):
    """Delivery per channel: an apprise URL with ``{to}`` for the address, or a JSONL file.

    Empty ``url`` means the channel writes to ``file`` (the `file` channel of BRIEF.md).
    """

    url: SecretStr = SecretStr("")
    file: str = "notifications.jsonl"


class Settings(_Section):
    correlation: CorrelationSettings = CorrelationSettings()
    notify: NotifySettings = NotifySettings()
    api: ApiSettings = ApiSettings()
    kafka: KafkaSettings = KafkaSettings()
    channels: dict[str, ChannelSettings] = {}

    def api_tokens(self) -> tuple[str, ...]:
        """Configured bearer tokens plus those of ``FOREWARN_API_TOKENS``."""
        from_env = [t.strip() for t in os.environ.get("FOREWARN_API_TOKENS", "").split(",")]
        return tuple(t.get_secret_value() for t in self.api.tokens) + tuple(t for t in from_env if t)


def load_settings(path: str | os.PathLike[str] | None = None) -> Settings:
    """Read settings from ``path`` (or ``FOREWARN_CONFIG``), defaults when neither is given."""
    chosen = path if path is not None else os.environ.get("FOREWARN_CONFIG") or None
    data: dict[str, Any] = {}
    if chosen is not None:
        file = Path(chosen)
        try:
            data = tomllib.loads(file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"config file {file} does not exist") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"config file {file} is not valid TOML: {exc}") from None
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(p) for p in first["loc"])
        where = f" in {chosen}" if chosen else ""
        raise ConfigError(f"config key {key!r}{where}: {first['msg']}") from None
