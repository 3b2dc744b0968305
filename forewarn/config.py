"""The one typed, frozen settings object, built from TOML and the environment.

A wrong or unknown key fails at start-up with its dotted name (``ConfigError``). Secrets
(API tokens, delivery URLs with credentials) come from the environment and are ``SecretStr``
so they never appear in logs or reprs.
"""

from __future__ import annotations

import os
import tomllib
from datetime import date, time
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from forewarn.errors import ConfigError
from forewarn.paths import PathError, read_utf8

__all__ = [
    "ApiSettings",
    "ChannelSettings",
    "CorrelationSettings",
    "DeliverySettings",
    "IndexSettings",
    "KafkaSettings",
    "LegalSettings",
    "NotifySettings",
    "SensorSettings",
    "Settings",
    "WebSettings",
    "WorkerSettings",
    "load_settings",
]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CorrelationSettings(_Section):
    confirm_after_s: float = Field(120, ge=0)
    resolve_after_s: float = Field(300, ge=0)
    down_severities: tuple[str, ...] = ("critical", "major")
    flap_changes: int = Field(4, ge=2)  # this many own-state changes ...
    flap_window_s: float = Field(600, gt=0)  # ... within this window mark an element unstable
    max_open_alarms_per_element: int = Field(1000, ge=1)  # per severity class; more: dead letter
    max_future_skew_s: float = Field(300, ge=0)  # event_time this far past the broker's: refused
    # event_time this far behind (live: broker; replay: clock)
    max_age_s: float = Field(604800, gt=0)


class NotifySettings(_Section):
    quiet_hours: str = ""  # "22:00-07:00" in the customer's timezone; "" = off
    notice_before_s: float = Field(172800, ge=0)
    default_language: str = "de"
    status_url: str = "https://status.example.net/i/{incident_id}"
    eta_passed_update: bool = True  # "still working on it" once an ETA given passes unresolved

    @field_validator("default_language")
    @classmethod
    def _known_language(cls, value: str) -> str:
        if value not in ("de", "en"):
            raise ValueError(f"unsupported language {value!r} (have: de, en)")
        return value

    @field_validator("quiet_hours")
    @classmethod
    def _quiet_hours_parse(cls, value: str) -> str:
        from forewarn.streams.delivery.policy import QuietHours  # pure module; imports no settings

        QuietHours.parse(value)  # raises ValueError naming what is wrong
        return value


class DeliverySettings(_Section):
    """Retries and per-customer limits of delivery (``[delivery]``).

    ``max_per_day`` (0 = off) counts every message a customer got on their local calendar
    day but only ever blocks ``update`` notices: outage, resolved, planned and completed
    notices are the contract's "exactly one" and are never capped. ``min_update_gap_s``
    (0 = off) holds an ``update`` back until that long after the customer's previous one
    (a newer update of the same incident replaces a held one). Both defaults keep every
    notice of CONTRACT §4; the gap is off by default for that reason (900 s is a good value
    for NOCs that post frequent updates).
    """

    attempts: int = Field(3, ge=1)            # tries per channel, first one included
    backoff_s: float = Field(0.5, ge=0)       # first retry delay; doubles per retry
    max_backoff_s: float = Field(30.0, ge=0)  # ceiling of one retry delay
    jitter: float = Field(0.2, ge=0, le=1)    # each delay shortened by up to this fraction
    concurrency: int = Field(512, ge=1)       # deliveries in flight per worker, all channels
    max_per_day: int = Field(10, ge=0)
    min_update_gap_s: float = Field(0.0, ge=0)


class LegalSettings(_Section):
    """Legal clocks of long outages (``[legal]``; rules in ``streams.customers.legal_clocks``).

    ``country``: ``DE`` (TKG §58: news on D+1, compensation from D+3, days counted as in
    §187(1) BGB), ``GB``/``UK`` (Ofcom automatic compensation: the day after two full working
    days) or ``""`` (off). ``services``: which services the clocks apply to (unset: the
    country's default). ``holidays``: extra non-working days (dates) for working-day clocks.
    ``notice_hour`` (0-23, local): the only hour a legal notice goes out at; it must lie
    outside ``[notify] quiet_hours`` (checked at start-up). ``clock_start``: D is the day the
    outage began (``"outage"``) or the customer first reported it (``"report"``: the first
    ``no_service`` / ``degraded`` contact while the episode is open, or less than
    ``report_lead_s`` before it began, since customers call before the alarm; no report, no
    legal clock). ``report_lead_s`` (at most 7 days): also how long a report of a customer
    who is not out is kept.
    """

    country: str = "DE"
    services: tuple[str, ...] | None = None
    holidays: tuple[date, ...] = ()
    notice_hour: int = Field(9, ge=0, le=23)
    clock_start: Literal["outage", "report"] = "outage"
    report_lead_s: float = Field(3600.0, ge=0, le=7 * 86400)

    @field_validator("country")
    @classmethod
    def _known_country(cls, value: str) -> str:
        from forewarn.streams.customers.legal_clocks import (
            legal_policy,  # pure module; imports no settings
        )

        legal_policy(value)  # raises ValueError naming the country
        return value.strip().upper()


class SensorSettings(_Section):
    """Customers as sensors (``[sensors]``, CONTRACT §8): when no-service reports of customers
    not in a known outage make an element *suspected* (``streams.network.suspicion``).

    ``window_s``: the sliding window reports are counted in, and how long a suspicion lives
    without a new report or a confirmation. ``min_reports``: the fewest distinct reporting
    customers that can ever raise a suspicion. ``background_per_customer_day``: the rate at
    which a customer reports no service when nothing is wrong (the null hypothesis of the
    test). ``false_alarms_per_day``: how many suspicions a day background reports alone may
    raise over all elements; the per-element threshold follows from it.
    ``update_interval_s``: at most one ``updated`` event per suspicion this often.
    ``max_reports_per_element``, ``max_reporters``, ``max_open``: memory bounds (reporters
    tracked per element, reporting customers tracked overall, open suspicions); beyond them
    the oldest reporters are forgotten and new suspicions are refused (counted).
    ``alertmanager_url``: where suspected incidents are POSTed as Alertmanager webhooks
    (``streams.kafka.suspicion_webhook``; "" = off), ``alertmanager_timeout_s`` per attempt,
    ``alertmanager_attempts`` in all.
    """

    window_s: float = Field(900.0, gt=0, le=86400)
    min_reports: int = Field(5, ge=1, le=10_000)
    background_per_customer_day: float = Field(0.002, gt=0, le=100)
    false_alarms_per_day: float = Field(0.01, gt=0, le=1000)
    update_interval_s: float = Field(60.0, ge=0)
    max_reports_per_element: int = Field(1000, ge=1)
    max_reporters: int = Field(100_000, ge=1)
    max_open: int = Field(1000, ge=1)
    # Suspected incidents out to the NOC as Alertmanager webhooks (v4); "" = off. May carry
    # credentials: never logged.
    alertmanager_url: str = ""
    alertmanager_timeout_s: float = Field(5.0, gt=0, le=60)  # per attempt
    alertmanager_attempts: int = Field(3, ge=1, le=10)  # then the payload is given up (counted)

    @model_validator(mode="after")
    def _caps_above_min_reports(self) -> SensorSettings:
        if self.max_reports_per_element < self.min_reports:
            raise ValueError(f"sensors.max_reports_per_element = {self.max_reports_per_element}"
                             f" is below sensors.min_reports = {self.min_reports}: "
                             "no element could ever be suspected")
        return self


class IndexSettings(_Section):
    """Index artifacts (``[index]``): ``dir`` is a folder written by ``forewarn index build``
    ("" = no hot reload); workers poll its ``CURRENT`` every ``reload_interval_s`` and swap a
    new version in without a restart (``forewarn.streams.network.index_reload``)."""

    dir: str = ""
    reload_interval_s: float = Field(5.0, gt=0)


class WebSettings(_Section):
    """Public pages (``[web]``): how long a resolved incident's page (``/i/{incident_id}``)
    still answers after service came back; later it is 404 like an unknown id."""

    resolved_visible_s: float = Field(86400.0, ge=0)


class WorkerSettings(_Section):
    """The worker's own liveness (``[worker]``): a stage with input waiting that makes no
    progress for ``stall_after_s`` is stalled (``/healthz`` 503 naming it); still stalled
    ``stall_exit_s`` later, the worker stops and exits non-zero so another one takes its
    partitions. ``stall_after_s`` must exceed the longest wait a stage takes on purpose
    (one delivery attempt with its retries). Both at most a day."""

    stall_after_s: float = Field(120.0, gt=0, le=86400)
    stall_exit_s: float = Field(60.0, ge=0, le=86400)


class ApiSettings(_Section):
    """HTTP API (``[api]``): bearer tokens and the limits every ingest request is held to.

    ``max_body_bytes`` (413 above it) is checked from Content-Length and while reading, so a
    hostile body is never held whole; ``max_depth`` (400) bounds JSON nesting (a deep body
    would otherwise exhaust the parser's recursion); ``max_records`` (413) bounds the records
    of one request; ``ack_timeout_s`` is how long a request waits for the broker to
    acknowledge its records before answering 503 (202 means durable); ``max_inflight_bytes``
    bounds the body bytes all requests of a worker hold at once while being read and parsed
    (a request that would pass it answers 503 with Retry-After before its body is read).
    """

    tokens: tuple[SecretStr, ...] = ()
    max_body_bytes: int = Field(1_000_000, gt=0)
    max_inflight_bytes: int = Field(32_000_000, gt=0)
    max_depth: int = Field(64, ge=2)
    max_records: int = Field(10_000, gt=0)
    ack_timeout_s: float = Field(15.0, gt=0)

    @model_validator(mode="after")
    def _one_body_fits(self) -> ApiSettings:
        if self.max_inflight_bytes < self.max_body_bytes:
            raise ValueError(f"max_inflight_bytes ({self.max_inflight_bytes}) must be at least "
                             f"max_body_bytes ({self.max_body_bytes}), or a body of the "
                             "allowed size could never be accepted")
        return self


class KafkaSettings(_Section):
    """How forewarn talks to Kafka. ``partitions`` applies to the customer-keyed topics."""

    partitions: int = Field(4, ge=1)
    topic_prefix: str = ""
    app_id: str = "forewarn"
    session_timeout_s: float = Field(6.0, gt=0)
    fetch_max_wait_ms: int = Field(100, ge=0)
    connect_retry_s: float = Field(120.0, ge=0)  # keep retrying an unreachable broker at start
    replication_factor: int = Field(1, ge=1)  # of the topics forewarn creates
    # Where the tables that grow with customers (episodes, sent, policy, deferred, history)
    # live: "memory" (rebuilt from the changelog at start) or "rocksdb" (rocksdict files in
    # Faust's data directory, APP_DATADIR: a restart reads only what changed since).
    table_store: Literal["memory", "rocksdb"] = "memory"
    # TLS / SASL towards the cluster. The password comes from FOREWARN_KAFKA_SASL_PASSWORD
    # (wins over the file, so it can stay out of TOML).
    security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] = "SCRAM-SHA-512"
    sasl_username: str = ""
    sasl_password: SecretStr = SecretStr("")
    ssl_cafile: str = ""
    ssl_certfile: str = ""
    ssl_keyfile: str = ""

    @model_validator(mode="after")
    def _complete_security(self) -> KafkaSettings:
        if self.security_protocol.startswith("SASL") and not self.sasl_username:
            raise ValueError("kafka.sasl_username is required for SASL")
        for key in ("ssl_cafile", "ssl_certfile", "ssl_keyfile"):
            value = getattr(self, key)
            if value and not Path(value).is_file():
                raise ValueError(f"kafka.{key}: {value} is not a readable file")
        if bool(self.ssl_certfile) != bool(self.ssl_keyfile):
            raise ValueError("kafka.ssl_certfile and kafka.ssl_keyfile go together")
        return self

    def password(self) -> str:
        """The SASL password: ``FOREWARN_KAFKA_SASL_PASSWORD``, else the configured one."""
        from_env = os.environ.get("FOREWARN_KAFKA_SASL_PASSWORD")
        return from_env or self.sasl_password.get_secret_value()


class ChannelSettings(_Section):
    """Delivery per channel: an apprise URL with ``{to}`` for the address, or a JSONL file.

    Empty ``url`` means the channel writes to ``file`` (the `file` channel of BRIEF.md).

    ``rate_per_s``/``burst`` (token bucket) and ``concurrency`` (requests in flight) model
    the gateway's contract; unset means the channel's default from
    ``forewarn.notifiers.limits.CHANNEL_LIMITS`` when a URL is set, and no limit for the
    file channel; ``rate_per_s = 0`` means unlimited. ``pooled`` (default on) sends
    ``json://``/``jsons://`` URLs over kept-alive pooled connections with exactly stock
    apprise's payload; off forces stock apprise (one connection per message).
    """

    url: SecretStr = SecretStr("")
    file: str = "notifications.jsonl"
    rate_per_s: float | None = Field(None, ge=0)
    burst: int | None = Field(None, ge=1)
    concurrency: int | None = Field(None, ge=1)
    pooled: bool = True
    timeout_s: float = Field(30.0, gt=0)


class Settings(_Section):
    correlation: CorrelationSettings = CorrelationSettings()
    notify: NotifySettings = NotifySettings()
    api: ApiSettings = ApiSettings()
    kafka: KafkaSettings = KafkaSettings()
    delivery: DeliverySettings = DeliverySettings()
    legal: LegalSettings = Field(LegalSettings(), validate_default=True)  # quiet-hours check
    index: IndexSettings = IndexSettings()
    web: WebSettings = WebSettings()
    sensors: SensorSettings = SensorSettings()
    worker: WorkerSettings = WorkerSettings()
    channels: dict[str, ChannelSettings] = {}

    @field_validator("legal")
    @classmethod
    def _notice_hour_outside_quiet_hours(
        cls, legal: LegalSettings, info: ValidationInfo
    ) -> LegalSettings:
        """A legal notice goes out at ``notice_hour`` and is never held for quiet hours, so
        an hour inside them is the operator's contradiction: refused, naming both keys."""
        notify = info.data.get("notify")
        if notify is None or not legal.country or legal.country == "NONE":
            return legal
        from forewarn.streams.delivery.policy import QuietHours  # pure module; imports no settings

        quiet = QuietHours.parse(notify.quiet_hours)
        if quiet.start is None or quiet.end is None:
            return legal
        hour = time(legal.notice_hour)
        inside = (quiet.start <= hour < quiet.end if quiet.start < quiet.end
                  else hour >= quiet.start or hour < quiet.end)
        if inside:
            raise ValueError(f"legal.notice_hour = {legal.notice_hour} falls inside "
                             f"notify.quiet_hours {notify.quiet_hours!r}; legal notices go out "
                             "at notice_hour, so choose an hour outside the quiet hours")
        return legal

    def api_tokens(self) -> tuple[str, ...]:
        """Configured bearer tokens plus those of ``FOREWARN_API_TOKENS``."""
        from_env = [t.strip() for t in os.environ.get("FOREWARN_API_TOKENS", "").split(",")]
        configured = tuple(t.get_secret_value() for t in self.api.tokens)
        return configured + tuple(t for t in from_env if t)


def load_settings(path: str | os.PathLike[str] | None = None) -> Settings:
    """Read settings from ``path`` (or ``FOREWARN_CONFIG``), defaults when neither is given."""
    chosen = path if path is not None else os.environ.get("FOREWARN_CONFIG") or None
    data: dict[str, Any] = {}
    if chosen is not None:
        file = Path(chosen)
        try:
            data = tomllib.loads(read_utf8(file, "config file"))
        except PathError as exc:  # missing, a directory, unreadable, not UTF-8
            raise ConfigError(str(exc)) from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"config file {file} is not valid TOML: {exc}") from None
    data = _channel_urls_from_environment(data)
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(p) for p in first["loc"])
        where = f" in {chosen}" if chosen else ""
        raise ConfigError(f"config key {key!r}{where}: {first['msg']}") from None


def _channel_urls_from_environment(data: dict[str, Any]) -> dict[str, Any]:
    """``FOREWARN_CHANNELS_<NAME>_URL`` overrides ``[channels.<name>] url``: delivery URLs
    carry gateway credentials and belong in a secret store, not in the config file."""
    prefix, suffix = "FOREWARN_CHANNELS_", "_URL"
    overrides = {k[len(prefix):-len(suffix)].lower(): v for k, v in os.environ.items()
                 if k.startswith(prefix) and k.endswith(suffix) and v}
    if not overrides:
        return data
    channels = {name: dict(conf) for name, conf in data.get("channels", {}).items()}
    for name, url in overrides.items():
        channels.setdefault(name, {})["url"] = url
    return {**data, "channels": channels}
