"""The input stage as a plain class: raw bytes from ``alarms.raw`` -> input records.

Testable without a broker; the Kafka shell decodes nothing itself and sends what this
returns (records to the network stage, dead letters to ``alarms.dead-letter``).
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from typing import Any

from forewarn.domain import InputRecord
from forewarn.errors import AlarmFormatError
from forewarn.streams import records
from forewarn.streams.input.log_limit import LogLimiter
from forewarn.streams.input.normalise import dead_letter, parse_records, raw_text

__all__ = ["Input", "NormaliseStage"]

log = logging.getLogger(__name__)

Input = InputRecord | records.RawControl  # a parsed record, or a control record (typed)


class NormaliseStage:
    """Raw bytes -> normalised records, and dead-letter records that say what is wrong.

    One payload may carry many records (a VES ``eventList``, an Alertmanager webhook): the
    valid ones go on even when others in it are rejected.
    """

    def __init__(self) -> None:
        self.outcomes: Counter[str] = Counter()
        self._rejections = LogLimiter(log)  # a flood of bad input must not drown the log

    def handle(self, raw: bytes | str | None) -> tuple[list[Input], list[dict[str, Any]]]:
        """``(records_and_controls, dead_letters)`` for one message on ``alarms.raw``.

        Records stay objects: the network stage takes them as they are (no dict round trip
        per alarm); control records become their typed values (``records.messages``), and
        one no decoder knows is a dead letter naming it (never mistaken for a drain).
        A record HTTP ingest already parsed (``Normalised``) is passed on as that record.
        """
        text = raw_text(raw)
        try:
            obj = json.loads(text)
        except (ValueError, RecursionError) as exc:  # also >4,300-digit ints, deep nesting
            self.outcomes["unknown:rejected"] += 1
            why = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)[:200]
            return [], [self._dead(text, AlarmFormatError("<record>", f"not valid JSON: {why}"))]
        if records.is_control(obj):
            try:
                control = records.decode_raw_control(obj)
            except records.UnknownRecord as unknown:
                self.outcomes["control:rejected"] += 1
                self._rejections.log("control record rejected: %s", unknown)
                return [], [dead_letter(text, str(unknown), "control", unknown.reason)]
            if isinstance(control, records.Normalised):
                return [control.record], []
            return [control], []
        result = parse_records(obj)
        self.outcomes[f"{result.format}:accepted"] += len(result.records)
        self.outcomes[f"{result.format}:rejected"] += len(result.errors)
        return list(result.records), [self._dead(text, e) for e in result.errors]

    @property
    def rejected(self) -> int:
        return sum(n for k, n in self.outcomes.items() if k.endswith(":rejected"))

    def _dead(self, text: str, exc: AlarmFormatError) -> dict[str, Any]:
        self._rejections.log("input rejected: %s", exc)
        return dead_letter(text, str(exc), exc.field, exc.problem, excerpt=exc.excerpt)
