"""HTTP on the worker's web port (CONTRACT §7): pages, API, ingest, metrics, health.

The handlers live in ``forewarn.streams.web.api`` (plain Python); this module only wires them
to Faust's web server, authorises, and routes each request to the worker that holds the
state it needs:

* customer endpoints (``/api/v1/customers/{id}/status``) read the ``episodes`` and
  ``history`` tables, keyed by customer id and partitioned with Kafka's default
  partitioner (``partition_of``); the request is forwarded to the worker that the
  consumer group assigned that partition of the table (Faust's router metadata), so any
  worker can be asked (``_router`` says why not ``app.table_route`` itself);
* caller answers (``/api/v1/callers/{phone}``) are routed the same way, on the partition of
  the customer the phone book finds for the number; an unknown or malformed number is
  answered where it arrives (404 / 400);
* incident views (desk page, banners, incidents, incident pages ``/i/{id}``, areas, status,
  CAP) read the in-memory incident board, which lives on the worker owning the single
  ``alarms`` partition; they are routed the same way on the one-partition ``elements`` table
  (partition 0 is that worker's);
* ingest, metrics, health, OpenAPI and static files answer locally.

Customer data and writes need a bearer token from the configuration (``api.tokens`` or
``FOREWARN_API_TOKENS``, compared in constant time, never logged); with no token
configured they are refused. ``/metrics`` and the public pages need none. Every error is
JSON ``{"error": message}``, including unknown paths (a small aiohttp middleware).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import mimetypes
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from faust.web import Request, Response, View
from yarl import URL

from forewarn.config import Settings
from forewarn.domain import IncidentUpdate, MaintenanceWindow
from forewarn.streams.input.http_ingest import (
    IngestAnswer,
    IngestLimits,
    body_too_large,
    contact_body,
    incident_update_body,
    ingest_body,
)
from forewarn.streams.kafka import (
    StageStalled,
    WorkerApp,
    dead_letters_acked,
    stage_health,
    worker_failure,
    worker_ready,
)
from forewarn.streams.network.incident_board import IncidentBoard
from forewarn.streams.partitioning import partition_of
from forewarn.streams.web.api import Reply, WebApi, error
from forewarn.streams.web.auth import authorised
from forewarn.streams.web.header_logging import install_header_log_filter
from forewarn.streams.web.inflight import InflightBudget, InflightFull, Reservation
from forewarn.streams.web.metrics import StreamMetrics
from forewarn.streams.web.response_headers import security_headers_middleware
from forewarn.streams.web.suspicion_mirror import SuspicionMirror

if TYPE_CHECKING:
    import aiohttp.web
    from faust.web.drivers.aiohttp import Web as AiohttpWeb

__all__ = ["INGEST_PATHS", "ROUTED_HEADER", "STATIC", "read_bounded", "register_pages"]

log = logging.getLogger(__name__)
STATIC = Path(__file__).with_name("static")
ROUTED_HEADER = "X-Forewarn-Routed"
ACCEPT_LANGUAGE = "@accept-language"  # the request's header, handed to handlers as a param

# Paths the NOC ecosystems post to, besides our own /api/v1/alarms.
INGEST_PATHS = (
    "/api/v1/alarms",
    "/tmf-api/alarmManagement/v4/listener/{event}",
    "/tmf-api/alarmManagement/v5/listener/{event}",
    "/eventListener/v7",
    "/eventListener/v7/eventBatch",
    "/api/v1/alertmanager",
)

Sink = Callable[[IngestAnswer], Awaitable[None]]
Handler = Callable[[Mapping[str, str], Mapping[str, str]], Reply]


def register_pages(app: WorkerApp, *, board: IncidentBoard, settings: Settings, sink: Sink,
                   index: Any = None, tables: Mapping[str, Any] | None = None,
                   partitions: int = 1, stages: Mapping[str, Any] | None = None,
                   registry: Any = None, network_topic: str | None = None,
                   contact_sink: Sink | None = None, **_: Any) -> WebApi:
    """Add the pages and API of CONTRACT §7 that this worker serves; returns the handlers.

    ``contact_sink`` publishes on ``contacts.raw`` (``POST /api/v1/contacts``; without it
    that path is not served)."""
    tables = dict(tables or {})
    stages = dict(stages or {})
    tokens = settings.api_tokens()
    inflight = InflightBudget(settings.api.max_inflight_bytes)  # body bytes held at once
    metrics = StreamMetrics(registry, board=board, index=index, normalise=stages.get("normalise"),
                            network=stages.get("network"),
                            delivery_registries=_delivery_registries(stages),
                            lag=functools.partial(_lag, app), webhook=stages.get("webhook"),
                            letters=functools.partial(dead_letters_acked, app),
                            inflight=inflight,
                            stages_health=functools.partial(stage_health, app))
    api = WebApi(board=board, index=index, settings=settings, tables=tables,
                 partitions=partitions, metrics=metrics)
    api.status.shapes.prepare()  # at start-up, on this thread (see _register_read)
    _json_errors(app)
    _security_headers(app)

    def refused(request: Request) -> Reply | None:
        """401 without a valid token; 503 until the worker processes input (nothing is
        accepted that could be lost or written to a topic the worker has not created yet)."""
        if authorised(request.headers.get("Authorization"), tokens):
            if worker_ready(app):
                return None
            return error(503, "the worker is starting; retry shortly", **{"Retry-After": "2"})
        reason = ("a bearer token is required" if tokens
                  else "writes are disabled: no API token is configured (api.tokens)")
        return error(401, reason, **{"WWW-Authenticate": 'Bearer realm="forewarn"'})

    limits = IngestLimits.from_settings(settings.api)

    async def answer(view: View, result: IngestAnswer, publish: Sink = sink) -> Response:
        """Publish, then answer: 202/400 only once the broker acknowledged every accepted
        record (the sink awaits it); 503 with nothing accepted when it did not."""
        try:
            await publish(result)
        except Exception as exc:
            log.warning("ingest: the broker did not acknowledge %d record(s): %r",
                        len(result.records), exc)
            return view.json({"error": "the broker did not acknowledge the records; nothing "
                                       "was accepted, retry later (records of this request may "
                                       "arrive twice: processing is idempotent on alarm ids)",
                              "accepted": 0}, status=503, headers={"Retry-After": "5"})
        _count_ingest(metrics, board, index, result)
        return view.json(result.body, status=result.status)

    async def receive(view: View, request: Request, parse: Callable[[bytes], IngestAnswer],
                      publish: Sink = sink) -> Response:
        """Authorise, read at most ``max_body_bytes``, parse off the event loop, publish;
        the body's bytes are held in the worker-wide ``inflight`` budget meanwhile (its
        declared length up front, a chunked body as it arrives), else 503 at once."""
        denied = refused(request)
        if denied is not None:
            return _response(view, denied)
        declared = getattr(request, "content_length", None)
        if declared is not None and declared > limits.max_body_bytes:
            return await answer(view, body_too_large(limits), publish)
        try:
            with inflight.reserve(declared or 0) as reservation:
                body = await read_bounded(request, limits.max_body_bytes, reservation)
                if body is None:
                    return await answer(view, body_too_large(limits), publish)
                return await answer(view, await asyncio.to_thread(parse, body), publish)
        except InflightFull as exc:
            log.info("ingest: 503, %s", exc)
            return view.json({"error": "too many request bodies are being read at once "
                                       "(api.max_inflight_bytes); nothing was accepted, "
                                       "retry later", "accepted": 0},
                             status=503, headers={"Retry-After": "1"})

    # The board lives where the network stage runs: the owner of alarms.raw's partition.
    on_board = (_router(app, network_topic, app.router.external_topics_metadata, lambda p: 0)
                if network_topic else None)
    episodes = tables.get("episodes")
    by_customer = None if episodes is None else _router(
        app, episodes.changelog_topic.get_topic_name(),
        lambda: app.router.table_metadata(episodes.name),
        lambda p: partition_of(p["customer_id"], partitions))
    mirror = SuspicionMirror(
        board_here=lambda: network_topic is None or _here(app, _owner(
            app.router.external_topics_metadata, network_topic, 0)),
        local=board.suspicions,
        fetch=functools.partial(_read_suspicions, app, network_topic, tokens))
    by_caller = None if episodes is None else _caller_router(app, api, mirror, _router(
        app, episodes.changelog_topic.get_topic_name(),
        lambda: app.router.table_metadata(episodes.name),
        lambda p: _caller_partition(api, p["phone"], partitions)))
    reads: list[tuple[str, Handler, Any, bool, bool]] = [
        # path, handler, router, needs token, blocking (runs off the event loop)
        ("/", lambda q, p: api.desk_page(q, p.get(ACCEPT_LANGUAGE)), on_board, False, True),
        ("/desk/banners", lambda q, p: api.banners(q, p.get(ACCEPT_LANGUAGE)), on_board, False,
         True),
        ("/status", lambda q, p: api.status_page(q, p.get(ACCEPT_LANGUAGE)), on_board, False,
         True),
        # ".+": an id with an encoded "/" still gets the friendly 404 page, not JSON
        ("/i/{incident_id:.+}", lambda q, p: api.incident_page(p["incident_id"], q,
                                                            p.get(ACCEPT_LANGUAGE)),
         on_board, False, True),
        ("/api/v1/incidents", lambda q, p: api.incidents(), on_board, False, False),
        ("/api/v1/incidents/{incident_id}", lambda q, p: api.incident(p["incident_id"]),
         on_board, False, False),
        ("/api/v1/status", lambda q, p: api.area_status(q), on_board, False, True),
        ("/api/v1/areas", lambda q, p: api.areas_geojson(), on_board, False, True),
        ("/api/v1/cap", lambda q, p: api.cap_feed(), on_board, False, True),
        ("/api/v1/customers/{customer_id}/status", lambda q, p: api.customer(p["customer_id"]),
         by_customer, True, False),
        ("/api/v1/customers", lambda q, p: api.customers_by_phone(q), None, True, True),
        ("/api/v1/callers/{phone}", lambda q, p: api.caller(p["phone"], mirror.latest()),
         by_caller, True, False),
        ("/api/v1/suspicions", lambda q, p: api.suspicions(), on_board, True, False),
        ("/api/v1/openapi.json", lambda q, p: api.openapi(), None, False, False),
        ("/metrics", lambda q, p: api.metrics_text(), None, False, False),
    ]
    for path, handler, router, guarded, blocking in reads:
        _register_read(app, path, handler, router, refused if guarded else None, blocking)

    @app.page("/api/v1/incidents/{incident_id}/updates")
    class IncidentUpdates(View):
        async def post(self, request: Request, incident_id: str) -> Response:
            return await receive(self, request, lambda body: incident_update_body(
                body, incident_id, limits=limits))

    @app.page("/api/v1/maintenance")
    class Maintenance(View):
        async def post(self, request: Request) -> Response:
            return await receive(self, request, lambda body: ingest_body(
                body, expect=lambda r: isinstance(r, MaintenanceWindow),
                defaults={"type": "maintenance"}, limits=limits))

    if contact_sink is not None:
        publish_contacts: Sink = contact_sink

        @app.page("/api/v1/contacts")
        class Contacts(View):
            """Contacts go to ``contacts.raw`` (the worker forwards them into the network's
            order); the parse, in a thread, also looks the customer up (phone book)."""

            async def post(self, request: Request) -> Response:
                return await receive(self, request, lambda body: contact_body(
                    body, api.known_customer, limits=limits), publish_contacts)

    for path in INGEST_PATHS:
        _register_ingest(app, path, receive, functools.partial(ingest_body, limits=limits))
    _register_static(app)

    @app.page("/healthz")
    class Health(View):
        """Liveness: the process serves HTTP and no stage has failed for good or is stalled
        (a worker whose network stage died, or whose stage hangs with input waiting, must
        be restarted, not left looking alive); a stall names its stage."""

        async def get(self, request: Request) -> Response:
            failure = worker_failure(app)
            if isinstance(failure, StageStalled):
                return self.json({"status": "stalled", "error": type(failure).__name__,
                                  "stage": failure.stage, "partition": failure.partition,
                                  "reason": str(failure)}, status=503)
            if failure is not None:
                return self.json({"status": "failed", "error": type(failure).__name__},
                                 status=503)
            return self.json({"status": "ok"})

    @app.page("/readyz")
    class Ready(View):
        """Readiness: partitions assigned and tables recovered, so input is processed now."""

        async def get(self, request: Request) -> Response:
            if worker_ready(app):
                return self.json({"status": "ready"})
            failed = worker_failure(app) is not None
            return self.json({"status": "failed" if failed else "starting"}, status=503)

    return api


def _response(view: View, reply: Reply) -> Response:
    headers = {"Content-Type": reply.content_type, **reply.headers}
    return view.bytes(reply.payload(), status=reply.status, headers=headers)


def _router(app: WorkerApp, topic: str, owners: Callable[[], Mapping[str, Any]],
            key: Callable[[Mapping[str, str]], int | None]) -> Callable[[Any], Any]:
    """Like ``app.table_route``, but resolving the partition with our own partition function.

    Why not ``table_route`` itself: it asks the producer for the changelog topic's partition
    count, and aiokafka's producer knows that only after writing to it (seen: 503s for a
    table not yet written). The owner of ``topic``'s partition comes from the consumer-group
    assignment (``owners()``: Faust's url -> {topic: partitions}); a routed request carries
    ``ROUTED_HEADER`` and is answered where it lands, so a rebalance never bounces it around.
    """

    def decorate(local: Callable[..., Awaitable[Response]]) -> Callable[..., Awaitable[Response]]:
        async def routed(view: View, request: Request, **params: str) -> Response:
            if request.headers.get(ROUTED_HEADER):
                return await local(view, request, **params)
            partition = key(params)
            if partition is None:  # nothing to route (e.g. an unknown number): answer here
                return await local(view, request, **params)
            owner = next((URL(url) for url, tps in owners().items()
                          if partition in tps.get(topic, ())), None)
            if owner is None:
                raise KeyError(f"no owner of {topic}[{partition}]")
            here = URL(str(app.conf.canonical_url))
            if (owner.host, owner.port) == (here.host, here.port):
                return await local(view, request, **params)
            return await _proxy(app, view, request, owner)

        return routed

    return decorate


def _caller_partition(api: WebApi, phone: str, partitions: int) -> int | None:
    """The partition of the customer a call from ``phone`` is answered for; None (answer
    here: 400 or 404) for no number or an unknown one. From the phone map: the worker
    asked need not hold that customer's slice."""
    return api.caller_partition(phone)


def _caller_router(app: WorkerApp, api: WebApi, mirror: SuspicionMirror,
                   route: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``route`` (by the caller's customer), after building the phone book and compiling
    the templates off the event loop on first use (a million numbers take about a second),
    so neither routing nor answering ever blocks the loop for long; the worker that answers
    first brings its copy of the open suspicions up to date (``SuspicionMirror``)."""

    def decorate(local: Callable[..., Awaitable[Response]]) -> Callable[..., Awaitable[Response]]:
        async def answering(view: View, request: Request, **params: str) -> Response:
            await mirror.refresh()
            return await local(view, request, **params)

        routed = route(answering)

        async def prepared(view: View, request: Request, **params: str) -> Response:
            if not api.callers_ready:
                await asyncio.get_running_loop().run_in_executor(None, api.prepare_callers)
            return cast("Response", await routed(view, request, **params))

        return prepared

    return decorate


def _owner(owners: Callable[[], Mapping[str, Any]], topic: str, partition: int) -> URL | None:
    """The web URL of the worker the group assigned ``topic``'s ``partition``, if known."""
    return next((URL(url) for url, tps in owners().items()
                 if partition in tps.get(topic, ())), None)


def _here(app: WorkerApp, url: URL | None) -> bool:
    here = URL(str(app.conf.canonical_url))
    return url is not None and (url.host, url.port) == (here.host, here.port)


async def _read_suspicions(app: WorkerApp, network_topic: str | None,
                           tokens: Sequence[str]) -> list[dict[str, Any]] | None:
    """The board owner's open suspicions (``/api/v1/suspicions``); None while no owner is
    known (or no token is configured: then no caller is answered anyway)."""
    owner = (_owner(app.router.external_topics_metadata, network_topic, 0)
             if network_topic else None)
    if owner is None or not tokens:
        return None
    url = owner.with_path("/api/v1/suspicions")
    headers = {"Authorization": f"Bearer {tokens[0]}", ROUTED_HEADER: "1"}
    async with asyncio.timeout(2.0), app.http_client.get(url, headers=headers) as response:
        if response.status != 200:
            raise ValueError(f"HTTP {response.status}")
        body = await response.json()
    return [dict(s) for s in body["suspicions"]]


async def _proxy(app: WorkerApp, view: View, request: Request, owner: URL) -> Response:
    url = request.url.with_host(str(owner.host)).with_port(owner.port)
    headers = {k: v for k, v in request.headers.items()
               if k.lower() in ("authorization", "accept", "accept-language")}
    headers[ROUTED_HEADER] = "1"
    async with app.http_client.get(url, headers=headers) as response:
        body = await response.read()
        return view.bytes(body, status=response.status, headers={
            "Content-Type": response.headers.get("Content-Type", "application/json")})


def _register_read(app: WorkerApp, path: str, handler: Handler, router: Any,
                   refused: Callable[[Request], Reply | None] | None, blocking: bool) -> None:
    async def local(view: View, request: Request, **params: str) -> Response:
        query = dict(request.query.items())
        params = {**params, ACCEPT_LANGUAGE: request.headers.get("Accept-Language", "")}
        try:
            if blocking:  # phone book (first use), geometry, pages: keep the loop free
                loop = asyncio.get_running_loop()
                reply = await loop.run_in_executor(None, handler, query, params)
            else:
                reply = handler(query, params)
        except Exception:
            log.exception("GET %s failed", path)
            reply = error(500, "internal error; the worker log has the details")
        return _response(view, reply)

    routed = router(local) if router is not None else local

    async def get(self: View, request: Request, **params: str) -> Response:
        if refused is not None:
            denied = refused(request)
            if denied is not None:
                return _response(self, denied)
        try:
            return await routed(self, request, **params)
        # No assignment yet, or the owner is unreachable.
        except (TimeoutError, KeyError, OSError) as exc:
            log.info("cannot route %s yet: %r", path, exc)
            return _response(self, error(503, "the owning worker is not known yet; retry",
                                         **{"Retry-After": "2"}))

    name = "Read" + "".join(c for c in path.title() if c.isalnum())
    app.page(path, name=name)(type(name, (View,), {"get": get}))


async def read_bounded(request: Request, limit: int,
                       reservation: Reservation | None = None) -> bytes | None:
    """The request body, or None when it is larger than ``limit`` bytes.

    Faust's ``read_request_content`` reads ``request.content`` whole, so aiohttp's
    ``client_max_size`` never applies: a declared Content-Length over the limit is refused
    before reading, and a chunked (or lying) body is refused as soon as it passes the limit,
    so no more than ``limit`` bytes of it are ever held. With a ``reservation`` (the
    worker-wide ``InflightBudget``), every byte read is covered by it first:
    ``InflightFull`` cuts the body off as soon as the worker holds too much at once."""
    declared = getattr(request, "content_length", None)
    if declared is not None and declared > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    # Faust's aiohttp driver hands its views aiohttp's own requests.
    async for chunk in cast("aiohttp.web.Request", request).content.iter_any():
        size += len(chunk)
        if size > limit:
            return None
        if reservation is not None:
            reservation.cover(size)
        chunks.append(chunk)
    return b"".join(chunks)


Receive = Callable[[View, Request, Callable[[bytes], IngestAnswer]], Awaitable[Response]]


def _register_ingest(app: WorkerApp, path: str, receive: Receive,
                     parse: Callable[[bytes], IngestAnswer]) -> None:
    class Ingest(View):
        async def post(self, request: Request, **_: Any) -> Response:
            return await receive(self, request, parse)

    Ingest.__name__ = "Ingest" + "".join(c for c in path.title() if c.isalnum())
    app.page(path)(Ingest)


def _register_static(app: WorkerApp) -> None:
    """The package's static files (Leaflet, CSS, JS), read once; unknown names are 404."""
    files = {p.relative_to(STATIC).as_posix(): p for p in STATIC.rglob("*") if p.is_file()}

    class Static(View):
        async def get(self, request: Request, name: str) -> Response:
            path = files.get(name)
            if path is None:
                return _response(self, error(404, f"no static file {name!r}"))
            kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            if kind.startswith("text/") or kind.endswith("javascript"):
                kind += "; charset=utf-8"
            return self.bytes(path.read_bytes(), headers={
                "Content-Type": kind, "Cache-Control": "public, max-age=3600"})

    app.page("/static/{name:.+}", name="Static")(Static)


def _count_ingest(metrics: StreamMetrics, board: IncidentBoard, index: Any,
                  result: IngestAnswer) -> None:
    """Metrics of one HTTP payload, and NOC news onto the local board right away (the
    network agent's copy arrives later, or on another worker)."""
    fmt = str(result.body.get("format") or "unknown")
    metrics.alarm_in(fmt, "accepted", len(result.records))
    metrics.alarm_in(fmt, "rejected", result.rejected)
    related = getattr(index, "ancestors", None)
    for record in result.records:
        if isinstance(record, IncidentUpdate):
            board.record_update(record.incident_id, record.element_id, record.event_time,
                                eta=record.eta, message=record.message,
                                related=(lambda a, b: a in related(b) or b in related(a))
                                if related else None)


def _delivery_registries(stages: Mapping[str, Any]) -> list[Any]:
    """The delivery stage's registry (which is the dispatcher's when one is wired)."""
    registry = getattr(getattr(stages.get("delivery"), "metrics", None), "registry", None)
    return [registry] if registry is not None else []


def _lag(app: WorkerApp) -> dict[tuple[str, int], int]:
    monitor = app.monitor
    ends, reads = dict(monitor.tp_end_offsets), dict(monitor.tp_read_offsets)
    return {(tp.topic, tp.partition): end - reads[tp] - 1 for tp, end in ends.items()
            if tp in reads}


def _json_errors(app: WorkerApp) -> None:
    """Unknown paths and methods answer JSON like every other error (aiohttp middleware)."""
    from aiohttp import web as aioweb

    @aioweb.middleware
    async def json_errors(request: Any, handler: Any) -> Any:
        try:
            return await handler(request)
        except aioweb.HTTPException as exc:
            if exc.status < 400:
                raise
            return aioweb.json_response({"error": exc.reason}, status=exc.status,
                                        headers={k: v for k, v in exc.headers.items()
                                                 if k.lower() not in ("content-type",
                                                                      "content-length")})

    try:
        cast("AiohttpWeb", app.web).web_app.middlewares.append(json_errors)
    except (AttributeError, RuntimeError):  # another web driver, or the app is frozen
        log.debug("cannot install the JSON error middleware")


def _security_headers(app: WorkerApp) -> None:
    """CSP, nosniff, referrer and framing headers on every answer (``response_headers``),
    and no request header in the logs (``header_logging``). Installed outermost, so the
    JSON errors of ``_json_errors`` carry the headers too."""
    install_header_log_filter()
    try:
        cast("AiohttpWeb", app.web).web_app.middlewares.insert(0, security_headers_middleware)
    except (AttributeError, RuntimeError):  # another web driver, or the app is frozen
        log.warning("cannot install the security-headers middleware")
