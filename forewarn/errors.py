"""The one exception tree of forewarn.

    ForewarnError
    ├── ConfigError            a setting is missing, unknown or invalid (names the key)
    ├── RegionError            a region file is unusable (names file, row and problem)
    ├── AlarmFormatError       an input record cannot be understood (names the field)
    ├── BrokerError            the Kafka-protocol broker cannot be started or reached
    ├── TemplateError          a message template is missing or renders invalid text
    └── DeliveryError          a notification could not be delivered
                               (``retryable`` says whether trying again can help)
"""

from __future__ import annotations

__all__ = [
    "AlarmFormatError",
    "BrokerError",
    "ConfigError",
    "DeliveryError",
    "ForewarnError",
    "RegionError",
    "TemplateError",
]


class ForewarnError(Exception):
    """Root of every error forewarn raises on purpose."""


class ConfigError(ForewarnError):
    """A configuration key is missing, unknown or has an invalid value."""


class RegionError(ForewarnError):
    """A region file is unusable; the message names the file, the row and the problem."""

    def __init__(self, file: str, problem: str, row: int | None = None) -> None:
        self.file = file
        self.row = row
        self.problem = problem
        where = f"{file}, row {row}" if row is not None else file
        super().__init__(f"{where}: {problem}")


class AlarmFormatError(ForewarnError):
    """An input record is not an alarm we understand; ``field`` names what is wrong."""

    def __init__(self, field: str, problem: str) -> None:
        self.field = field
        self.problem = problem
        super().__init__(f"{field}: {problem}")


class BrokerError(ForewarnError):
    """The Kafka-protocol broker could not be started or reached."""


class TemplateError(ForewarnError):
    """A message template is missing, fails to render, or renders text a channel cannot carry."""


class DeliveryError(ForewarnError):
    """A notification could not be delivered; ``retryable`` tells whether a retry can help."""

    def __init__(self, message: str, *, retryable: bool) -> None:
        self.retryable = retryable
        super().__init__(message)
