"""TLS / SASL towards the Kafka cluster, from ``[kafka]`` settings, for Faust and aiokafka.

One place turns the settings into an ``ssl.SSLContext`` and credentials, so the workers
(Faust) and forewarn's own clients (topic check, replay and demo producers) connect alike.
With SASL the context must travel inside Faust's credentials: Faust ignores its app-level
``ssl_context`` when SASL credentials are given.
"""

from __future__ import annotations

import ssl
from typing import Any

import faust
from faust.auth import SASLCredentials, SSLCredentials

from forewarn.config import KafkaSettings

__all__ = ["aiokafka_security", "faust_credentials", "ssl_context"]


def ssl_context(kafka: KafkaSettings) -> ssl.SSLContext | None:
    """A client TLS context for SSL / SASL_SSL, None for plaintext."""
    if not kafka.security_protocol.endswith("SSL"):
        return None
    context = ssl.create_default_context(cafile=kafka.ssl_cafile or None)
    if kafka.ssl_certfile:
        context.load_cert_chain(kafka.ssl_certfile, kafka.ssl_keyfile)
    return context


def faust_credentials(kafka: KafkaSettings) -> faust.types.auth.CredentialsT | None:
    """Faust's ``broker_credentials`` for the configured protocol."""
    context = ssl_context(kafka)
    if kafka.security_protocol.startswith("SASL"):
        return SASLCredentials(username=kafka.sasl_username, password=kafka.password(),
                               mechanism=kafka.sasl_mechanism, ssl_context=context)
    if context is not None:
        return SSLCredentials(context)
    return None


def aiokafka_security(kafka: KafkaSettings) -> dict[str, Any]:
    """Keyword arguments for ``AIOKafkaProducer`` / ``AIOKafkaConsumer``."""
    options: dict[str, Any] = {"security_protocol": kafka.security_protocol}
    context = ssl_context(kafka)
    if context is not None:
        options["ssl_context"] = context
    if kafka.security_protocol.startswith("SASL"):
        options.update(sasl_mechanism=kafka.sasl_mechanism,
                       sasl_plain_username=kafka.sasl_username,
                       sasl_plain_password=kafka.password())
    return options
