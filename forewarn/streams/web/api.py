"""The web API and pages as plain handlers: request values in, a ``Reply`` out.

Why no web framework here: ``forewarn.streams.web.routes`` (the only module importing Faust)
routes, authorises and converts replies; the handlers stay testable with dicts for tables
and a board filled by hand. Every error is JSON ``{"error": message}``. Which handler runs
where (routing to the owning worker) is documented in ``web.py`` and in the OpenAPI
document (``forewarn.streams.web.openapi``).
"""

from __future__ import annotations

import functools
import json
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from forewarn.config import Settings
from forewarn.domain import Contact, to_iso
from forewarn.streams.network.incident_board import IncidentBoard
from forewarn.streams.partitioning import partition_of
from forewarn.streams.web.callers import MAX_PHONE, caller_answer, serving_elements_of
from forewarn.streams.web.cap import CapFeed
from forewarn.streams.web.desk import PhoneBook, customer_status, normalise_phone
from forewarn.streams.web.desk_banners import (
    DeskBanners,
    IncidentPlaces,
    desk_banners,
    suspected_banners,
    suspected_incident,
)
from forewarn.streams.web.i18n import LANGUAGES, strings
from forewarn.streams.web.incident_page import MAX_INCIDENT_ID, IncidentPages
from forewarn.streams.web.language import negotiate_language
from forewarn.streams.web.metrics import CONTENT_TYPE, StreamMetrics
from forewarn.streams.web.openapi import openapi_document
from forewarn.streams.web.pages import render
from forewarn.streams.web.readout import readout_scripts
from forewarn.streams.web.status import AreaStatus
from forewarn.templates import MessageRenderer

__all__ = ["HTML", "JSON", "Reply", "WebApi"]

JSON = "application/json"
HTML = "text/html; charset=utf-8"
MAX_QUERY = 200  # characters of a search text worth looking at
MAX_SERVED_PLACES = 100  # suspected elements whose places the desk keeps (oldest dropped)


@dataclass
class Reply:
    status: int
    body: Any  # dict/list -> JSON, str -> text, bytes as they are
    content_type: str = JSON
    headers: dict[str, str] = field(default_factory=dict)

    def payload(self) -> bytes:
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode("utf-8")
        return json.dumps(self.body, ensure_ascii=False).encode("utf-8")


def error(status: int, message: str, **headers: str) -> Reply:
    return Reply(status, {"error": message}, headers=dict(headers))


class QueryProblem(ValueError):
    """A bad status query: the English message for the API, and a UI-string ``key`` with
    ``values`` so a page can say the same in the reader's language."""

    def __init__(self, message: str, key: str, **values: Any) -> None:
        super().__init__(message)
        self.key = key
        self.values = values

    def translated(self, language: str) -> str:
        t = strings(language)
        values = dict(self.values)
        if "field" in values:  # lat/lon -> "Breitengrad"/"Latitude"
            values["field"] = t(f"status.{values['field']}")
        return t(self.key, **values)


def _coordinate(query: Mapping[str, str], name: str, limit: float) -> float | None:
    """``lat``/``lon`` from the query; None when absent; ``QueryProblem`` naming a bad one."""
    raw = (query.get(name) or "").strip()
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise QueryProblem(f"{name} must be a number, got {raw[:40]!r}", "status.error_number",
                           field=name) from None
    if not math.isfinite(value) or abs(value) > limit:
        raise QueryProblem(f"{name} must be between -{limit:g} and {limit:g}",
                           "status.error_range", field=name, limit=f"{limit:g}")
    return value


def _status_query(query: Mapping[str, str]) -> tuple[float, float] | str:
    """The point or the search text of a status query; ``QueryProblem`` when it has neither."""
    lat = _coordinate(query, "lat", 90)
    lon = _coordinate(query, "lon", 180)
    if lat is not None and lon is not None:
        return lat, lon
    if (lat is None) != (lon is None):
        raise QueryProblem("give both 'lat' and 'lon'", "status.error_both")
    text = (query.get("q") or "").strip()[:MAX_QUERY]
    if not text:
        raise QueryProblem("give 'q' (postcode or place) or 'lat' and 'lon'", "status.error_empty")
    return text


class WebApi:
    """All handlers of one worker, over its board, index, tables and metrics."""

    def __init__(self, *, board: IncidentBoard, index: Any, settings: Settings,
                 tables: Mapping[str, Any], partitions: int, metrics: StreamMetrics,
                 clock: Callable[[], float] = time.time) -> None:
        self.board = board
        self.index = index
        self.settings = settings
        self.tables = tables
        self.partitions = partitions
        self.metrics = metrics
        self.clock = clock
        self.status = AreaStatus(board, index)
        self.cap = CapFeed(self.status, status_url=settings.notify.status_url,
                           language=settings.notify.default_language, clock=clock)
        self.phones = PhoneBook(index, settings.legal.country, partitions)
        self._places = IncidentPlaces()
        self._served_places: dict[str, list[dict[str, str]]] = {}  # element -> its areas
        self.pages = IncidentPages(self.status, visible_s=settings.web.resolved_visible_s,
                                   clock=clock)

    # -- JSON API --------------------------------------------------------------------------

    def incidents(self) -> Reply:
        """Incidents, and beside them the open suspected ones (no alarm, nobody told)."""
        return Reply(200, {"incidents": self.board.incidents(),
                           "suspected": [suspected_incident(s) for s in self.board.suspicions()]})

    def incident(self, incident_id: str) -> Reply:
        """One incident's record; an open suspected incident's id answers with the suspicion
        (``"suspected": true``: no customer is out or told, no customer data)."""
        found = self.board.incident(incident_id)
        if found:
            return Reply(200, found)
        suspected = self.board.suspicion(incident_id)
        if suspected is not None:
            return Reply(200, suspected_incident(suspected))
        return error(404, f"no incident {incident_id!r}")

    def customer(self, customer_id: str) -> Reply:
        """Status of one customer from this worker's tables (the caller routed here)."""
        body = customer_status(self.index, customer_id, self.tables.get("episodes") or {},
                               self.tables.get("history") or {},
                               partition_of(customer_id, self.partitions))
        return Reply(200, body) if body else error(404, f"no customer {customer_id!r}")

    def customers_by_phone(self, query: Mapping[str, str]) -> Reply:
        """``?phone=``: customer ids with that number (blocking on first use: builds the book)."""
        phone = (query.get("phone") or "").strip()[:MAX_QUERY]
        if not phone:
            return error(400, "query parameter 'phone' is required")
        if not self.phones.looks_like_phone(phone):
            return error(400, "'phone' is not a phone number (digits, optionally +, 00 or 0 first)")
        ids = self.phones.lookup(phone)
        if not ids:
            return error(404, "no customer has this phone number")
        return Reply(200, {"customers": [{"customer_id": c} for c in ids]})

    def known_customer(self, contact: Contact) -> tuple[str, str] | None:
        """None when ``contact`` names a customer of the index, else ``(field, problem)``.

        Blocking on first use by phone (builds the phone book): called from the ingest
        thread. A number is normalised as the desk's lookup does (``desk.normalise_phone``)."""
        if contact.customer_id is not None:
            knows = getattr(self.index, "knows", None)  # a sliced index: any partition's
            if knows is not None:
                return None if knows(contact.customer_id) else (
                    "customer_id", "names no known customer")
            if self.index is not None:
                try:
                    self.index.customer(contact.customer_id)
                except KeyError:
                    pass
                else:
                    return None
            return "customer_id", "names no known customer"
        if self.index is not None and contact.phone and self.phones.owners(contact.phone):
            return None  # a customer of any partition, held here or not
        return "phone", "no known customer has this number"

    @property
    def callers_ready(self) -> bool:
        """Phone book built and templates compiled: a caller lookup no longer blocks."""
        return self.phones.ready and "renderer" in self.__dict__

    def prepare_callers(self) -> None:
        """Build what caller lookups need (blocking: run it off the event loop)."""
        self.phones.build()
        _ = self.renderer

    def caller_customer(self, phone: str) -> str | None:
        """The customer a call from ``phone`` is answered for (routing and answer agree):
        the first with that number in region order; None when unknown or no number.
        Blocking on first use (builds the phone book)."""
        if len(phone) > MAX_PHONE or not self.phones.looks_like_phone(phone):
            return None
        ids = self.phones.lookup(phone)
        return ids[0] if ids else None

    def caller_partition(self, phone: str) -> int | None:
        """The partition of the customer ``caller_customer`` answers for, known from the
        phone map even on a worker that does not hold it (route there); None when unknown.
        Blocking on first use (builds the phone book)."""
        if len(phone) > MAX_PHONE or not self.phones.looks_like_phone(phone):
            return None
        return self.phones.partition(phone)

    def suspicions(self) -> Reply:
        """``/api/v1/suspicions``: the board's open suspected incidents (this worker owns the
        board: routed here), as the ``suspected`` list of ``/api/v1/incidents`` shows them;
        read once a second by each worker answering callers, so kept apart from that list,
        which also carries every incident with its timeline (up to megabytes)."""
        return Reply(200, {"suspicions": [suspected_incident(s)
                                          for s in self.board.suspicions()]})

    def caller(self, phone: str, suspicions: list[dict[str, Any]] | None = None) -> Reply:
        """``/api/v1/callers/{phone}``: what the IVR tells this caller (CONTRACT §8), from
        this worker's tables (the request was routed to the customer's partition owner) and
        the open ``suspicions`` (default: this worker's board)."""
        if len(phone) > MAX_PHONE:
            return error(400, f"'phone' is longer than {MAX_PHONE} characters")
        if not self.phones.looks_like_phone(phone):
            return error(400, "'phone' is not a phone number (digits, optionally +, 00 or 0 "
                              "first; spaces, dashes, dots and brackets are ignored)")
        customer_id = self.caller_customer(phone)
        if customer_id is None:
            return error(404, "no customer has this phone number")
        customer = self.index.customer(customer_id)
        if suspicions is None:
            suspicions = self.board.suspicions()
        serving = serving_elements_of(self.index, customer_id) if suspicions else ()
        history = (self.tables.get("history") or {}).get(customer_id)
        state = (self.tables.get("episodes") or {}).get(customer_id)
        number = "+" + (normalise_phone(phone, self.phones.country_code) or "")
        return Reply(200, caller_answer(customer, number, state, history, suspicions, serving,
                                        now=self.clock(), renderer=self.renderer))

    def area_status(self, query: Mapping[str, str]) -> Reply:
        """``?q=`` (postcode, area id, place) or ``?lat=&lon=``; public, no personal data."""
        try:
            asked = _status_query(query)
        except QueryProblem as exc:
            return error(400, str(exc))
        if isinstance(asked, tuple):
            return Reply(200, self.status.at(*asked).as_dict())
        return Reply(200, self.status.search(asked).as_dict())

    def areas_geojson(self) -> Reply:
        return Reply(200, self.status.map_features(), "application/geo+json")

    def cap_feed(self) -> Reply:
        return Reply(200, self.cap.document(), "application/atom+xml; charset=utf-8")

    def metrics_text(self) -> Reply:
        return Reply(200, self.metrics.exposition(), CONTENT_TYPE)

    def openapi(self) -> Reply:
        return Reply(200, openapi_document())

    # -- pages -----------------------------------------------------------------------------

    def negotiate(self, query: Mapping[str, str], accept_language: str | None) -> str:
        """``lang`` parameter, else Accept-Language, else the configured default."""
        return negotiate_language(query.get("lang"), accept_language,
                                  self.settings.notify.default_language, LANGUAGES)

    def _page(self, template: str, params: Mapping[str, str], accept_language: str | None,
              **context: Any) -> Reply:
        language = self.negotiate(params, accept_language)
        zone, now = self.status.shapes.display_zone, self.clock()
        html = render(template, language=language, zone=zone, now=now,
                      zone_name=strings(language).zone_name(zone, now), **context)
        return Reply(200, html, HTML, {"Content-Language": language, "Vary": "Accept-Language"})

    def desk_model(self, language: str) -> DeskBanners:
        """Banners by place and priority (``desk_banners``), places from the areas layer,
        each with its read-out script in the agent's language first, then the others."""
        incidents, upcoming = self.board.incidents(), self.board.upcoming()
        places = self._places.update(self.board.version, self.status,
                                     self.board.upcoming_customers)
        desk = desk_banners(incidents, upcoming, places)
        desk.suspected = suspected_banners(self.board.suspicions(), self._element_places,
                                           self.settings.sensors.window_s)
        order = [language, *(lang for lang in LANGUAGES if lang != language)]
        zone, now = self.status.shapes.display_zone, self.clock()
        for banner in desk.unplanned + desk.planned:
            banner["scripts"] = readout_scripts(self.renderer, banner, order, zone, now)
        return desk

    def _element_places(self, element_id: str) -> list[dict[str, str]]:
        """The areas of the customers ``element_id`` serves (a suspected element: nobody is
        out, so the board knows no places for it); kept per element, a few at most."""
        found = self._served_places.get(element_id)
        if found is None:
            found = []
            shapes = self.status.shapes
            if self.index is not None and shapes.has_areas:
                try:
                    ids = self.index.ids_of(self.index.dependents([element_id]))
                except (KeyError, ValueError):
                    ids = []
                found = [shapes.describe(i) for i in shapes.areas_of_customers(ids)]
            self._served_places[element_id] = found
            while len(self._served_places) > MAX_SERVED_PLACES:
                del self._served_places[next(iter(self._served_places))]
        return found

    @functools.cached_property
    def renderer(self) -> MessageRenderer:
        """The customers' message templates (built on first use: compiling takes a while)."""
        return MessageRenderer(self.settings.notify.status_url,
                               self.settings.notify.default_language)

    def desk_page(self, query: Mapping[str, str], accept_language: str | None = None) -> Reply:
        return self._page("desk.html.j2", query, accept_language,
                          desk=self.desk_model(self.negotiate(query, accept_language)))

    def banners(self, query: Mapping[str, str], accept_language: str | None = None) -> Reply:
        return self._page("banners.html.j2", query, accept_language,
                          desk=self.desk_model(self.negotiate(query, accept_language)))

    def incident_page(self, incident_id: str, query: Mapping[str, str],
                      accept_language: str | None = None) -> Reply:
        """``/i/{incident_id}``: the public page every customer message links to; 404 (a
        page in the reader's language, not JSON) for unknown and expired incidents."""
        language = negotiate_language(query.get("lang"), accept_language,
                                      self.settings.notify.default_language, LANGUAGES)
        zone = self.status.shapes.display_zone
        t = strings(language)

        def when(epoch: float | None) -> str:
            if epoch is None:
                return ""
            return datetime.fromtimestamp(epoch, ZoneInfo(zone)).strftime(t("fmt.page_datetime"))

        def iso(epoch: float | None) -> str:
            return to_iso(epoch) if epoch is not None else ""

        view = self.pages.view(incident_id)
        headers = {"Content-Language": language, "Vary": "Accept-Language"}
        if view is None:
            html = render("incident_missing.html.j2", language=language, zone=zone,
                          now=self.clock(), incident_id=incident_id[:MAX_INCIDENT_ID],
                          hours=round(self.settings.web.resolved_visible_s / 3600))
            return Reply(404, html, HTML, headers)
        template = "incident_suspected.html.j2" if view.get("suspected") else "incident.html.j2"
        html = render(template, language=language, zone=zone, now=self.clock(),
                      page=view, when=when, iso=iso)
        return Reply(200, html, HTML, headers)

    def status_page(self, query: Mapping[str, str], accept_language: str | None = None) -> Reply:
        """The public page: the answer is server-rendered, so it works without JavaScript;
        a bad query is explained in the reader's language."""
        answer, problem = None, None
        if any(query.get(k) for k in ("q", "lat", "lon")):
            try:
                asked = _status_query(query)
            except QueryProblem as exc:
                problem = exc.translated(self.negotiate(query, accept_language))
            else:
                found = (self.status.at(*asked) if isinstance(asked, tuple)
                         else self.status.search(asked))
                answer = found.as_dict()
        return self._page("status.html.j2", query, accept_language, answer=answer,
                          problem=problem, query=query, current=self.status.current(),
                          has_areas=self.status.shapes.has_areas)
