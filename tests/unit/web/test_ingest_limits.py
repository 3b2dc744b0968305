"""Hostile ingest bodies (issue 16, findings 5-7): size, nesting depth and record count are
bounded with an answer naming the limit, and dead letters hold a bounded excerpt of their own
record, never the whole body."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from forewarn.streams.input.http_ingest import (
    MAX_EXCERPT_CHARS,
    IngestLimits,
    body_too_large,
    incident_update_body,
    ingest_body,
)

LIMITS = IngestLimits(max_body_bytes=4_000, max_depth=8, max_records=5)


def alarm(n: int = 1, **extra: object) -> dict:
    return {"alarm_id": f"A{n}", "element_id": "S-A", "state": "raised",
            "severity": "critical", "event_time": datetime(2026, 1, 1, tzinfo=UTC).isoformat(),
            **extra}


def nested(depth: int) -> bytes:
    """Arrays ``depth`` levels deep (no record in them: refused, but for depth only past it)."""
    return ("[" * depth + "]" * depth).encode()


def padded(body: dict, size: int) -> bytes:
    """``body`` encoded and padded with spaces to exactly ``size`` bytes (still valid JSON)."""
    data = json.dumps(body).encode()
    assert len(data) <= size
    return data + b" " * (size - len(data))


def test_body_at_the_size_limit_is_parsed() -> None:
    answer = ingest_body(padded(alarm(), LIMITS.max_body_bytes), limits=LIMITS)
    assert answer.status == 202 and answer.body["accepted"] == 1


def test_body_one_byte_over_the_size_limit_answers_413_naming_the_limit() -> None:
    answer = ingest_body(padded(alarm(), LIMITS.max_body_bytes + 1), limits=LIMITS)
    assert answer.status == 413 and answer.records == []
    assert "4000 bytes" in answer.body["error"] and "api.max_body_bytes" in answer.body["error"]


def test_too_large_answer_names_the_configured_limit() -> None:
    answer = body_too_large(IngestLimits(max_body_bytes=123))
    assert answer.status == 413 and answer.body["limit"] == 123 and "123" in answer.body["error"]


def test_nesting_at_the_depth_limit_is_not_refused_for_depth() -> None:
    answer = ingest_body(nested(LIMITS.max_depth), limits=LIMITS)
    assert "max_depth" not in answer.body["error"]  # refused as no record, not for depth


def test_nesting_one_past_the_depth_limit_answers_400_naming_it() -> None:
    answer = ingest_body(nested(LIMITS.max_depth + 1), limits=LIMITS)
    assert answer.status == 400
    assert answer.body["errors"][0]["field"] == "<body>"
    assert "8 levels" in answer.body["error"] and "api.max_depth" in answer.body["error"]


def test_a_field_nested_past_the_depth_limit_inside_a_valid_alarm_is_refused() -> None:
    deep: object = "x"
    for _ in range(LIMITS.max_depth):
        deep = [deep]
    answer = ingest_body(json.dumps(alarm(text=deep)).encode(), limits=LIMITS)
    assert answer.status == 400 and answer.records == [] and "api.max_depth" in answer.body["error"]


def test_json_nested_ten_thousand_deep_answers_400_not_a_recursion_error() -> None:
    for depth in (10_000, 200_000):
        answer = ingest_body(nested(depth), limits=IngestLimits(max_body_bytes=1_000_000))
        assert answer.status == 400 and "api.max_depth" in answer.body["error"]
        assert all(len(d["raw"]) <= MAX_EXCERPT_CHARS for d in answer.dead_letters)


def test_records_at_the_count_limit_are_accepted() -> None:
    body = json.dumps([alarm(n) for n in range(LIMITS.max_records)]).encode()
    answer = ingest_body(body, limits=LIMITS)
    assert answer.status == 202 and answer.body["accepted"] == LIMITS.max_records


def test_records_one_past_the_count_limit_answer_413_and_nothing_is_accepted() -> None:
    body = json.dumps([alarm(n) for n in range(LIMITS.max_records + 1)]).encode()
    answer = ingest_body(body, limits=LIMITS)
    assert answer.status == 413 and answer.records == [] and answer.body["accepted"] == 0
    assert "6 records" in answer.body["error"] and "api.max_records" in answer.body["error"]


def test_records_inside_a_batch_object_count_against_the_limit() -> None:
    webhook = {"version": "4", "status": "firing",
               "alerts": [{"status": "firing", "labels": {"element_id": "S-A"}}] * 6}
    answer = ingest_body(json.dumps(webhook).encode(), limits=LIMITS)
    assert answer.status == 413 and answer.body["errors"][0]["field"] == "alerts"


def test_dead_letter_holds_its_own_record_not_the_body() -> None:
    bad = alarm(2, severity="apocalyptic")
    body = json.dumps([alarm(1), bad, alarm(3)]).encode()
    answer = ingest_body(body, limits=LIMITS)
    assert answer.status == 400 and answer.body["accepted"] == 2
    [letter] = answer.dead_letters
    assert letter["field"] == "[1].severity"
    assert json.loads(letter["raw"]) == bad


def test_dead_letter_of_an_alertmanager_alert_holds_that_alert() -> None:
    alerts = [{"status": "firing", "labels": {"element_id": f"E{n}", "severity": "critical"},
               "startsAt": "2026-01-01T00:00:00Z"} for n in range(3)]
    alerts[2]["labels"]["severity"] = "apocalyptic"
    webhook = {"version": "4", "status": "firing", "alerts": alerts}
    answer = ingest_body(json.dumps(webhook).encode(), limits=IngestLimits())
    letters = [d for d in answer.dead_letters if d["field"].startswith("alerts[2]")]
    assert letters and all(json.loads(d["raw"]) == alerts[2] for d in letters)


def test_dead_letter_excerpt_of_a_huge_record_is_bounded() -> None:
    bad = alarm(severity="apocalyptic", text="x" * 50_000)
    answer = ingest_body(json.dumps(bad).encode(), limits=IngestLimits())
    [letter] = answer.dead_letters
    assert len(letter["raw"]) == MAX_EXCERPT_CHARS and letter["raw"].startswith("{")


def test_many_invalid_records_cost_no_more_dead_letter_text_than_the_body() -> None:
    """Finding 5: each invalid record used to copy 10 KB of the whole body into its letter."""
    body = json.dumps([{"alarm_id": f"B{n}", "severity": "nope"} for n in range(5_000)]).encode()
    answer = ingest_body(body, limits=IngestLimits(max_records=10_000))
    assert answer.status == 400 and answer.rejected >= 5_000
    assert sum(len(d["raw"]) for d in answer.dead_letters) <= len(body)
    assert all(json.loads(d["raw"])["severity"] == "nope" for d in answer.dead_letters
               if d["raw"])  # each its own record


def test_incident_update_is_held_to_the_same_limits() -> None:
    answer = incident_update_body(nested(LIMITS.max_depth + 1), "INC-1", limits=LIMITS)
    assert answer.status == 400 and "api.max_depth" in answer.body["error"]
    answer = incident_update_body(padded({"message": "ok"}, LIMITS.max_body_bytes + 1), "INC-1",
                                  limits=LIMITS)
    assert answer.status == 413


def test_openapi_documents_the_limits_and_the_unacknowledged_503_on_every_ingest_path() -> None:
    from forewarn.streams.web.openapi import openapi_document
    from forewarn.streams.web.routes import INGEST_PATHS

    paths = openapi_document()["paths"]
    for path in (*INGEST_PATHS, "/api/v1/maintenance", "/api/v1/incidents/{incident_id}/updates",
                 "/api/v1/contacts"):
        responses = paths[path]["post"]["responses"]
        assert "api.max_body_bytes" in responses["413"]["description"], path
        assert "Retry-After" in responses["503"]["headers"], path
        assert "acknowledge" in responses["503"]["description"], path


def test_a_request_writes_at_most_max_dead_letters_and_counts_the_rest_in_one() -> None:
    from forewarn.streams.input.http_ingest import MAX_DEAD_LETTERS

    invalid = MAX_DEAD_LETTERS + 250
    body = json.dumps([{"note": n} for n in range(invalid)] + [alarm()]).encode()
    answer = ingest_body(body, limits=IngestLimits(max_records=10_000))
    assert answer.status == 400 and answer.body["accepted"] == 1
    assert len(answer.body["errors"]) == invalid == answer.rejected  # the client hears of all
    assert len(answer.dead_letters) == MAX_DEAD_LETTERS + 1
    assert answer.dead_letters[-1]["omitted"] == 250
    assert "250 more" in answer.dead_letters[-1]["problem"]


def test_values_the_fast_decoder_refuses_are_still_named_by_field() -> None:
    """NaN and lone surrogates are JSON to the standard library (orjson refuses them): the
    answer still names the offending field, as before the fast path."""
    body = json.dumps(alarm(severity=float("nan"))).encode()
    answer = ingest_body(body)
    assert answer.status == 400 and answer.body["errors"][0]["field"] == "severity"
    body = b'[' + json.dumps(alarm(1)).encode() + b', {"alarm_id": "\\ud800"}]'
    answer = ingest_body(body)
    assert answer.status == 400 and answer.body["accepted"] == 1
    assert answer.body["errors"][0]["field"].startswith("[1]")


def test_an_integer_past_pythons_digit_limit_answers_400_not_a_crash() -> None:
    body = json.dumps(alarm()).encode()[:-1] + b', "n": ' + b"9" * 5_000 + b"}"
    answer = ingest_body(body)
    assert answer.status == 400
    assert answer.body["errors"][0]["field"] == "<body>"
    assert "digits" in answer.body["errors"][0]["problem"]


def test_a_confirmation_posted_for_an_incident_id_carries_confirm_and_a_string_is_refused() -> None:
    answer = incident_update_body(b'{"confirm": true}', "INC-S", limits=LIMITS)
    assert answer.status == 202
    [record] = answer.records
    assert (record.incident_id, record.confirm) == ("INC-S", True)
    refused = incident_update_body(b'{"confirm": "yes"}', "INC-S", limits=LIMITS)
    assert refused.status == 400 and refused.body["errors"][0]["field"] == "confirm"
