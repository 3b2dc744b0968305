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
    """An input record is not an alarm we understand; ``field`` names what is wrong.

    One error stands for one rejected item and names *every* offending field of it:
    ``problems`` holds each ``(field, problem)`` pair in the order found; ``field`` and
    ``problem`` are the first pair, with the others appended to ``problem`` (``"missing
    (required); also perceivedSeverity: missing (required)"``) so that a reader of
    ``field``/``problem`` alone is told everything too. ``excerpt`` is a bounded piece of the
    item's own input (compact JSON) for its dead letter, or None when the parser had none.
    """

    def __init__(
        self,
        field: str,
        problem: str,
        *,
        also: tuple[tuple[str, str], ...] = (),
        excerpt: str | None = None,
    ) -> None:
        self.field = field
        self.problems: tuple[tuple[str, str], ...] = ((field, problem), *also)
        self.problem = "; also ".join([problem, *(f"{f}: {p}" for f, p in also)])
        self.excerpt = excerpt
        super().__init__(f"{field}: {self.problem}")

    @property
    def fields(self) -> tuple[str, ...]:
        """Every offending field, first found first."""
        return tuple(field for field, _ in self.problems)


class BrokerError(ForewarnError):
    """The Kafka-protocol broker could not be started or reached."""


class TemplateError(ForewarnError):
    """A message template is missing, fails to render, or renders text a channel cannot carry."""


class DeliveryError(ForewarnError):
    """A notification could not be delivered; ``retryable`` tells whether a retry can help."""

    def __init__(self, message: str, *, retryable: bool) -> None:
        self.retryable = retryable
        super().__init__(message)
