"""The OpenAPI 3.1 document of the worker's HTTP interface (``GET /api/v1/openapi.json``).

Written by hand, next to the handlers it describes, because it *is* the contract that
NOC integrations and the service desk code against; a test runs schemathesis against a
live worker so document and behaviour cannot drift apart. Routing: customer endpoints run
on the worker owning the customer's partition (Kafka's default partitioner, murmur2 of the
UTF-8 customer id, over ``kafka.partitions``); incident, area, status and CAP endpoints on
the worker owning the single ``alarms`` partition. Any worker accepts any request and
forwards it; the answer is the owner's.
"""

from __future__ import annotations

import copy
from typing import Any

from forewarn.streams.web.callers import MAX_PHONE, SITUATIONS
from forewarn.templates.ivr import IVR_MAX_CHARS

__all__ = ["openapi_document"]

_NULL_STR = {"type": ["string", "null"]}
_TIME = {"type": ["string", "null"], "format": "date-time"}
_COUNTS = {"type": "object", "additionalProperties": {"type": "integer", "minimum": 0}}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _obj(required: list[str], **props: Any) -> dict[str, Any]:
    return {"type": "object", "required": required, "properties": props}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _err(description: str) -> dict[str, Any]:
    return _json(_ref("Error"), description)


_UNAUTHORISED = _err("No or wrong bearer token (or no token is configured).")
_STARTING = _err("The worker is starting or the partition's owner is not known yet; retry.")
_SCHEMAS: dict[str, Any] = {
    "Error": _obj(["error"], error={"type": "string"},
                  errors={"type": "array", "items": _obj(["field", "problem"],
                                                         field={"type": "string"},
                                                         problem={"type": "string"})},
                  accepted={"type": "integer", "minimum": 0}, format=_NULL_STR,
                  limit={"type": "integer", "description": "the limit a 413 (or a too-deep "
                         "400) refers to: api.max_body_bytes, api.max_records, api.max_depth"}),
    "IngestAccepted": _obj(["accepted"], accepted={"type": "integer", "minimum": 0},
                           format=_NULL_STR),
    "Told": _obj(["count", "channels"], count={"type": "integer"}, channels=_COUNTS,
                 first_at=_TIME),
    "Incident": _obj(
        ["incident_id", "cause_element", "cause_type", "started_at", "active",
         "affected_now", "affected_peak", "notifications"],
        incident_id={"type": "string"}, cause_element={"type": "string"},
        cause_type={"type": "string", "description": "power, site, cell, olt, pon, "
                    "transport, maintenance, ..."},
        planned={"type": "boolean"}, started_at={"type": "string", "format": "date-time"},
        active={"type": "boolean"},
        services={"type": "array", "items": {"enum": ["mobile", "fibre"]}},
        affected_now=_COUNTS, affected_peak=_COUNTS,
        notifications={**_COUNTS, "description": "stage -> notifications delivered"},
        told={"type": "object", "additionalProperties": _ref("Told")},
        eta=_TIME, message=_NULL_STR, updated_at=_TIME, ended_at=_TIME,
        contacts={"type": ["object", "null"], "description": "calls saved: contacts of its "
                  "affected customers before their notice, after it, and from customers never "
                  "told (null until the first contact; not told yet counts as never told "
                  "until the incident ends)",
                  "properties": {k: {"type": "integer", "minimum": 0} for k in
                                 ("before_notice", "after_notice", "never_told")}}),
    "SuspectedIncident": _obj(
        ["incident_id", "element_id", "cause_type", "suspected", "reports", "customers",
         "since"],
        incident_id={"type": "string"},
        element_id={"type": "string", "description": "the suspected element: the lowest one "
                    "serving at least 80 % of the reporting customers"},
        cause_type={"type": "string"}, suspected={"const": True},
        reports={"type": "integer", "minimum": 0,
                 "description": "distinct customers who reported no service in the window"},
        customers={"type": "integer", "minimum": 0,
                   "description": "customers the element serves"},
        since=_TIME, updated_at=_TIME),
    "IncidentList": _obj(["incidents"], incidents={"type": "array", "items": _ref("Incident")},
                         suspected={"type": "array", "items": _ref("SuspectedIncident"),
                                    "description": "open suspected incidents (customers' "
                                    "reports, no alarm): nobody has been told"}),
    "Episode": _obj(
        ["service", "state", "incident_id", "notified", "told"],
        service={"type": "string"}, state={"enum": ["out", "recovering", "planned"]},
        incident_id={"type": "string"}, cause_type=_NULL_STR, since=_TIME, back_since=_TIME,
        notified={"type": "boolean"}, eta=_TIME, message=_NULL_STR, maintenance_id=_NULL_STR,
        told={"type": "array", "items": _obj(["stage", "channel"], stage={"type": "string"},
                                             channel={"type": "string"}, at=_TIME)}),
    "Delivered": _obj(
        ["notification_id", "incident_id", "stage", "channel"],
        notification_id={"type": "string"}, incident_id={"type": "string"},
        stage={"type": "string"}, services={"type": "array", "items": {"type": "string"}},
        channel={"type": "string"}, to={"type": "string", "description": "masked address"},
        language=_NULL_STR, subject=_NULL_STR, text={"type": "string"},
        decided_at=_NULL_STR, delivered_at=_NULL_STR),
    "CustomerStatus": _obj(
        ["customer_id", "partition", "services", "affected", "episodes", "notifications"],
        customer_id={"type": "string"}, partition={"type": "integer", "minimum": 0},
        services={"type": "array", "items": {"type": "string"}}, language=_NULL_STR,
        channels={"type": "array", "items": {"type": "string"}},
        phone={**_NULL_STR, "description": "masked"}, affected={"type": "boolean"},
        episodes={"type": "array", "items": _ref("Episode")},
        notifications={"type": "array", "items": _ref("Delivered"),
                       "description": "what was delivered, oldest first, addresses masked"}),
    "CallerAnswer": _obj(
        ["phone", "customer_id", "known_outage", "suspected", "language", "text", "told"],
        phone={"type": "string", "description": "the number asked for, masked"},
        customer_id={"type": "string"},
        known_outage={"type": "boolean", "description": "an outage or planned works take a "
                      "service from the caller now"},
        suspected={"type": "boolean", "description": "an open suspected incident (customers' "
                   "reports, no alarm) concerns an element that serves the caller"},
        incident_id={"type": "string", "description": "the current incident (or maintenance "
                     "window, or the suspected incident); absent when there is none"},
        language={"enum": ["de", "en"]},
        text={"type": "string", "maxLength": IVR_MAX_CHARS, "description": "one or two "
              "sentences for text-to-speech in the caller's language; local times, no "
              "links, no ids"},
        told={"type": "array", "description": "notifications delivered for the current "
              "incident, oldest first", "items": _obj(
                  ["stage", "channel", "at"], stage={"type": "string"},
                  channel={"type": "string"}, at=_TIME)},
        situation={"enum": list(SITUATIONS)},
        services={"type": "array", "items": {"type": "string"}}),
    "Suspicions": _obj(["suspicions"], suspicions={
        "type": "array", "description": "open suspected incidents (CONTRACT §8), oldest first; "
        "the same records as the \"suspected\" list of /api/v1/incidents",
        "items": _ref("SuspectedIncident")}),
    "CustomerMatches": _obj(["customers"], customers={
        "type": "array", "minItems": 1,
        "items": _obj(["customer_id"], customer_id={"type": "string"})}),
    "AreaState": _obj(
        ["disrupted", "planned", "services", "since", "until"], area_id={"type": "string"},
        name={"type": "string"}, postcode={"type": "string"}, lat={"type": "number"},
        lon={"type": "number"}, disrupted={"type": "boolean"}, planned={"type": "boolean"},
        services={"type": "array", "items": {"type": "string"}}, since=_TIME, until=_TIME),
    "AreaAnswer": _obj(
        ["query", "areas", "location", "candidates", "areas_layer"], query=_NULL_STR,
        areas={"type": "array", "items": _ref("AreaState")},
        location={"oneOf": [{"type": "null"}, _ref("AreaState")]},
        candidates={"type": "array", "items": _obj(["area_id", "name"],
                                                   area_id={"type": "string"},
                                                   name={"type": "string"})},
        areas_layer={"type": "boolean"}),
    "FeatureCollection": _obj(["type", "features"], type={"const": "FeatureCollection"},
                              features={"type": "array", "items": _obj(
                                  ["type", "geometry", "properties"],
                                  type={"const": "Feature"}, geometry={"type": "object"},
                                  properties={"type": "object"})}),
    "Health": _obj(["status"], status={"type": "string"}, error={"type": "string"},
                   stage={"type": "string", "description": "the stalled stage"},
                   partition={"type": "integer"}, reason={"type": "string"}),
    "Contact": {**_obj(
        ["contact_id", "channel", "reason", "event_time"],
        type={"const": "contact", "description": "optional on this path"},
        contact_id={"type": "string", "minLength": 1, "maxLength": 128},
        customer_id={"type": "string", "minLength": 1, "maxLength": 128,
                     "description": "a known customer id (exactly one of customer_id, phone)"},
        phone={"type": "string", "minLength": 1, "maxLength": 32,
               "description": "a known customer's number: +, 00 or a national 0 first"},
        channel={"enum": ["call", "ivr", "app", "chat", "desk"]},
        reason={"enum": ["no_service", "degraded", "other"]},
        event_time={"type": "string", "format": "date-time",
                    "description": "ISO-8601 with offset, 2000-2100"},
        lon={"type": "number", "minimum": -180, "maximum": 180},
        lat={"type": "number", "minimum": -90, "maximum": 90}),
        "description": "A customer contact (CONTRACT §8); lon and lat together or neither."},
}
_INPUT = {"required": True, "content": {"application/json": {"schema": {
    "description": "Any format of CONTRACT §3 (native, TMF642, VES, Alertmanager, "
                   "maintenance, incident update); one object, a list or a batch. At most "
                   "api.max_body_bytes (default 1,000,000 bytes), api.max_records records "
                   "(10,000) and api.max_depth levels of nesting (64)."}}}}
_RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait before retrying.",
                                "schema": {"type": "string"}}}


_CONTACTS_INPUT = {"required": True, "content": {"application/json": {"schema": {
    "oneOf": [_ref("Contact"), {"type": "array", "minItems": 1, "items": _ref("Contact")}],
    "description": "One contact or a list; at most api.max_body_bytes, api.max_records "
                   "contacts and api.max_depth levels of nesting. A contact naming no known "
                   "customer is rejected naming customer_id or phone."}}}}


def _ingest(summary: str, params: list[dict[str, Any]] | None = None,
            body: dict[str, Any] = _INPUT) -> dict[str, Any]:
    op: dict[str, Any] = {
        "summary": summary, "security": [{"bearer": []}], "requestBody": body,
        "responses": {
            "202": _json(_ref("IngestAccepted"), "All records accepted: the broker has "
                         "acknowledged every one (durable)."),
            "400": _err("Some or all records rejected; each error names its field (valid "
                        "records in the same payload were accepted and acknowledged). Also: "
                        "not JSON, or nested deeper than api.max_depth (nothing accepted)."),
            "401": _UNAUTHORISED,
            "413": _err("Body larger than api.max_body_bytes, or more records than "
                        "api.max_records; nothing accepted, `limit` names the limit."),
            "503": {**_err("The worker is starting, or the broker did not acknowledge the "
                           "records within api.ack_timeout_s: nothing accepted, retry after "
                           "Retry-After (a retry may repeat records the broker did store; "
                           "processing is idempotent on alarm ids)."),
                    "headers": _RETRY_AFTER}}}
    if params:
        op["parameters"] = params
    return {"post": op}


def _path(name: str, description: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "description": description,
            "schema": {"type": "string", "minLength": 1, "pattern": "^[A-Za-z0-9._:-]+$"}}


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema,
            "description": description}


def _text(content_type: str, description: str) -> dict[str, Any]:
    return {"description": description, "content": {content_type: {"schema": {"type": "string"}}}}


_LANG = _query("lang", {"enum": ["de", "en"]}, "UI language (default: notify.default_language).")
_EVENT = _path("event", "TMF642 listener event name, e.g. alarmCreateEvent.")
_SEARCH_PARAMS = [_query("q", {"type": "string", "maxLength": 200}, "Postcode or place."),
                  _query("lat", {"type": "number", "minimum": -90, "maximum": 90}, "Latitude."),
                  _query("lon", {"type": "number", "minimum": -180, "maximum": 180},
                         "Longitude.")]


def openapi_document() -> dict[str, Any]:
    """The document (a fresh dict: callers may not share mutations)."""
    customer = _path("customer_id", "Customer id (routes to the owning worker's partition).")
    incident = _path("incident_id", "Incident id, e.g. INC-20240101-1402-3fa2b1.")
    paths: dict[str, Any] = {
        "/api/v1/incidents": {"get": {"summary": "Incidents, active first, and the open "
                                      "suspected incidents beside them (from the worker "
                                      "owning the alarms partition).", "responses": {
            "200": _json(_ref("IncidentList"), "Incidents."), "503": _STARTING}}},
        "/api/v1/incidents/{incident_id}": {"get": {
            "summary": "One incident, or an open suspected incident (\"suspected\": true: "
                       "customers' reports, no alarm, nobody told; no customer data).",
            "parameters": [incident], "responses": {
                "200": _json({"oneOf": [_ref("Incident"), _ref("SuspectedIncident")]},
                             "The incident, or the open suspicion of that id."),
                "404": _err("No such incident and no open suspicion of that id."),
                "503": _STARTING}}},
        "/api/v1/incidents/{incident_id}/updates": _ingest(
            "NOC news for an incident: {eta?, message?, event_time?, confirm?}. "
            "\"confirm\": true (a JSON boolean) confirms the suspected incident of that id: it "
            "becomes an outage of its element from event_time (ended by a native clear with "
            "alarm_id = the incident id).", [incident]),
        "/api/v1/customers/{customer_id}/status": {"get": {
            "summary": "Active episodes per service and notification history of a customer.",
            "security": [{"bearer": []}], "parameters": [customer], "responses": {
                "200": _json(_ref("CustomerStatus"), "The customer's status."),
                "401": _UNAUTHORISED, "404": _err("No such customer."), "503": _STARTING}}},
        "/api/v1/customers": {"get": {
            "summary": "Find customers by phone number (spaces, dashes, +, 00 or a national 0 "
                       "are accepted).", "security": [{"bearer": []}],
            "parameters": [{**_query("phone", {"type": "string", "minLength": 1,
                                               "maxLength": 40}, "Phone number."),
                            "required": True}],
            "responses": {"200": _json(_ref("CustomerMatches"), "Matching customer ids."),
                          "400": _err("Missing or not a phone number."),
                          "401": _UNAUTHORISED, "404": _err("No customer has this number."),
                          "503": _STARTING}}},
        "/api/v1/callers/{phone}": {"get": {
            "summary": "What the IVR tells a caller: known or suspected outage, a text for "
                       "text-to-speech, the incident and what they were told (routes to the "
                       "worker owning the caller's customer partition).",
            "security": [{"bearer": []}],
            "parameters": [{"name": "phone", "in": "path", "required": True,
                            "description": "The caller's number: digits, optionally +, 00 or "
                                           "a national 0 first; spaces, dashes, dots and "
                                           f"brackets are ignored. At most {MAX_PHONE} "
                                           "characters.",
                            "schema": {"type": "string", "minLength": 1,
                                       "maxLength": MAX_PHONE}}],
            "responses": {"200": _json(_ref("CallerAnswer"), "The answer."),
                          "400": _err("Not a phone number, or longer than "
                                      f"{MAX_PHONE} characters."),
                          "401": _UNAUTHORISED, "404": _err("No customer has this number."),
                          "503": _STARTING}}},
        "/api/v1/suspicions": {"get": {
            "summary": "Open suspected incidents (customers' reports, no alarm), from the worker "
                       "owning the alarms partition; workers answering callers read it.",
            "security": [{"bearer": []}], "responses": {
                "200": _json(_ref("Suspicions"), "The open suspicions."),
                "401": _UNAUTHORISED, "503": _STARTING}}},
        "/api/v1/status": {"get": {
            "summary": "Public status by postcode/place (areas layer) or coordinates.",
            "parameters": [_query("q", {"type": "string", "maxLength": 200},
                                  "Postcode, area id or place name."),
                           _query("lat", {"type": "number", "minimum": -90, "maximum": 90},
                                  "Latitude (WGS84)."),
                           _query("lon", {"type": "number", "minimum": -180, "maximum": 180},
                                  "Longitude (WGS84).")],
            "responses": {"200": _json(_ref("AreaAnswer"), "The answer."),
                          "400": _err("Neither q nor lat+lon, or a bad coordinate."),
                          "503": _STARTING}}},
        "/api/v1/areas": {"get": {
            "summary": "GeoJSON: footprints (cells, fibre areas) of active incidents and the "
                       "areas layer as outline.", "responses": {
                "200": {"description": "FeatureCollection.", "content": {
                    "application/geo+json": {"schema": _ref("FeatureCollection")}}},
                "503": _STARTING}}},
        "/api/v1/cap": {"get": {
            "summary": "Atom feed of CAP 1.2 alerts, one per area incident "
                       "(Alert/Update/Cancel with references).", "responses": {
                "200": _text("application/atom+xml", "Atom feed with CAP alerts."),
                "503": _STARTING}}},
        "/api/v1/alarms": _ingest("Alarms in any supported format."),
        "/api/v1/maintenance": _ingest("Maintenance windows."),
        "/api/v1/contacts": _ingest("Customer contacts (call, IVR, app, chat, desk): published "
                                    "on contacts.raw, 202 once the broker acknowledged them.",
                                    body=_CONTACTS_INPUT),
        "/api/v1/alertmanager": _ingest("Prometheus Alertmanager webhook (version 4)."),
        "/tmf-api/alarmManagement/v4/listener/{event}": _ingest("TMF642 v4 listener.", [_EVENT]),
        "/tmf-api/alarmManagement/v5/listener/{event}": _ingest("TMF642 v5 listener.", [_EVENT]),
        "/eventListener/v7": _ingest("ONAP VES 7 event."),
        "/eventListener/v7/eventBatch": _ingest("ONAP VES 7 event batch."),
        "/": {"get": {"summary": "Service-desk page.", "parameters": [_LANG], "responses": {
            "200": _text("text/html", "HTML page."), "503": _STARTING}}},
        "/desk/banners": {"get": {"summary": "Incident banners (HTML fragment the desk page "
                                  "polls).", "parameters": [_LANG], "responses": {
            "200": _text("text/html", "HTML fragment."), "503": _STARTING}}},
        "/status": {"get": {"summary": "Public status page (works without JavaScript).",
                            "parameters": [_LANG, *_SEARCH_PARAMS], "responses": {
            "200": _text("text/html", "HTML page."), "503": _STARTING}}},
        "/i/{incident_id}": {"get": {
            "summary": "Public incident page (the link in every customer message and CAP "
                       "alert; works without JavaScript; language from lang, else "
                       "Accept-Language).", "parameters": [incident, _LANG], "responses": {
                "200": _text("text/html", "HTML page."),
                "404": _text("text/html", "HTML page: unknown incident, or resolved longer "
                                          "than web.resolved_visible_s ago."),
                "503": _STARTING}}},
        "/metrics": {"get": {"summary": "Prometheus metrics.", "responses": {
            "200": _text("text/plain", "Text exposition format 0.0.4.")}}},
        "/healthz": {"get": {"summary": "Liveness.", "responses": {
            "200": _json(_ref("Health"), "Serving HTTP."),
            "503": _json(_ref("Health"), "A stage failed for good (the worker is stopping) "
                         "or is stalled (status \"stalled\", naming the stage).")}}},
        "/readyz": {"get": {"summary": "Readiness: partitions assigned, tables recovered.",
                            "responses": {"200": _json(_ref("Health"), "Ready."),
                                          "503": _json(_ref("Health"), "Starting, or failed.")}}},
        "/api/v1/openapi.json": {"get": {"summary": "This document.", "responses": {
            "200": {"description": "OpenAPI 3.1 document.",
                    "content": {"application/json": {"schema": {"type": "object"}}}}}}},
    }
    return copy.deepcopy({
        "openapi": "3.1.0",
        "info": {"title": "forewarn worker API", "version": "1",
                 "description": __doc__.split("\n\n", 1)[1].strip()},
        "paths": paths,
        "components": {"schemas": _SCHEMAS, "securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer",
                       "description": "A token of api.tokens or FOREWARN_API_TOKENS."}}},
    })
