"""The normalise stage (one ``alarms.raw`` message -> records and dead letters) survives
hostile messages and dead-letters each bad record with an excerpt of that record alone."""

from __future__ import annotations

import json

from forewarn.streams.input.normalise import MAX_RAW_IN_DEAD_LETTER
from forewarn.streams.input.stage import NormaliseStage

GOOD = {"alarm_id": "a-1", "element_id": "site-7", "state": "raised", "severity": "major",
        "event_time": "2024-05-01T10:00:00Z"}


def test_an_integer_of_thousands_of_digits_is_dead_lettered_not_raised() -> None:
    records, letters = NormaliseStage().handle(b'{"alarm_id": ' + b"9" * 5000 + b"}")
    assert records == []
    [letter] = letters
    assert letter["field"] == "<record>" and "not valid JSON" in letter["reason"]
    assert len(letter["raw"]) <= MAX_RAW_IN_DEAD_LETTER


def test_json_nested_deeper_than_the_stack_is_dead_lettered_not_raised() -> None:
    records, letters = NormaliseStage().handle(b"[" * 100_000 + b"]" * 100_000)
    assert records == []
    [letter] = letters
    assert letter["field"] == "<record>"


def test_each_bad_item_of_a_message_is_dead_lettered_with_its_own_record() -> None:
    bad = [GOOD | {"alarm_id": f"bad-{i}", "severity": "loud"} for i in range(3)]
    message = json.dumps([GOOD, *bad, GOOD | {"alarm_id": "a-2"}]).encode()
    stage = NormaliseStage()
    records, letters = stage.handle(message)
    assert len(records) == 2
    assert [json.loads(letter["raw"]) for letter in letters] == bad
    assert [letter["field"] for letter in letters] == ["[1].severity", "[2].severity",
                                                       "[3].severity"]
    assert stage.rejected == 3
