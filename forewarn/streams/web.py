"""HTTP on the worker's web port: incident page, incident JSON, ingest endpoints, health.

The page is server-rendered HTML (jinja2, autoescaped) that refreshes itself without
JavaScript. Writes need a bearer token from the configuration (``api.tokens`` or
``FOREWARN_API_TOKENS``); with no token configured, writes are refused. Errors are JSON with
a message naming the field.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import faust
from faust.web import Request, Response, View
from jinja2 import Environment, FileSystemLoader, select_autoescape

from forewarn.config import Settings
from forewarn.domain import MaintenanceWindow
from forewarn.streams.board import IncidentBoard
from forewarn.streams.ingest import IngestAnswer, authorised, incident_update_body, ingest_body

__all__ = ["register_pages", "INGEST_PATHS"]

_PAGES = Environment(
    loader=FileSystemLoader(Path(__file__).with_name("pages")),
    autoescape=select_autoescape(["html", "j2"]),
)

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


def register_pages(app: faust.App, *, board: IncidentBoard, settings: Settings, sink: Sink,
                   **_: Any) -> None:
    """Add the pages and API of CONTRACT §7 that this worker serves."""
    tokens = settings.api_tokens()

    def unauthorised(view: View, request: Request) -> Response | None:
        """401 without a valid token; 503 until the worker processes input (nothing is
        accepted that could be lost or written to a topic the worker has not created yet)."""
        if authorised(request.headers.get("Authorization"), tokens):
            if _ready(app):
                return None
            return view.json({"error": "the worker is starting; retry shortly"}, status=503,
                             headers={"Retry-After": "2"})
        reason = ("a bearer token is required" if tokens
                  else "writes are disabled: no API token is configured (api.tokens)")
        return view.json({"error": reason}, status=401,
                         headers={"WWW-Authenticate": 'Bearer realm="forewarn"'})

    async def answer(view: View, result: IngestAnswer) -> Response:
        await sink(result)
        return view.json(result.body, status=result.status)

    @app.page("/")
    class IncidentPage(View):
        async def get(self, request: Request) -> Response:
            html = _PAGES.get_template("incidents.html.j2").render(incidents=board.incidents())
            return self.html(html)

    @app.page("/api/v1/incidents")
    class IncidentList(View):
        async def get(self, request: Request) -> Response:
            data: dict[str, Any] = {"incidents": board.incidents()}
            return self.json(data)

    @app.page("/api/v1/incidents/{incident_id}")
    class IncidentOne(View):
        async def get(self, request: Request, incident_id: str) -> Response:
            for incident in board.incidents():
                if incident["incident_id"] == incident_id:
                    return self.json(incident)
            return self.json({"error": f"no incident {incident_id!r}"}, status=404)

    @app.page("/api/v1/incidents/{incident_id}/updates")
    class IncidentUpdates(View):
        async def post(self, request: Request, incident_id: str) -> Response:
            refused = unauthorised(self, request)
            if refused is not None:
                return refused
            body = await self.read_request_content(request)
            return await answer(self, incident_update_body(body, incident_id))

    @app.page("/api/v1/maintenance")
    class Maintenance(View):
        async def post(self, request: Request) -> Response:
            refused = unauthorised(self, request)
            if refused is not None:
                return refused
            body = await self.read_request_content(request)
            return await answer(self, ingest_body(
                body, expect=lambda r: isinstance(r, MaintenanceWindow),
                defaults={"type": "maintenance"}))

    for path in INGEST_PATHS:
        _register_ingest(app, path, unauthorised, answer)

    @app.page("/healthz")
    class Health(View):
        """Liveness: the process serves HTTP."""

        async def get(self, request: Request) -> Response:
            return self.json({"status": "ok"})

    @app.page("/readyz")
    class Ready(View):
        """Readiness: partitions assigned and tables recovered, so input is processed now."""

        async def get(self, request: Request) -> Response:
            if _ready(app):
                return self.json({"status": "ready"})
            return self.json({"status": "starting"}, status=503)


def _ready(app: faust.App) -> bool:
    recovery = getattr(app.tables, "recovery", None)
    if recovery is None or not recovery.completed.is_set():
        return False
    try:
        return bool(app.consumer.assignment())
    except Exception:  # the consumer thread is not up yet
        return False


def _register_ingest(app: faust.App, path: str, unauthorised: Any, answer: Any) -> None:
    class Ingest(View):
        async def post(self, request: Request, **_: Any) -> Response:
            refused = unauthorised(self, request)
            if refused is not None:
                return refused
            body = await self.read_request_content(request)
            return await answer(self, ingest_body(body))

    Ingest.__name__ = "Ingest" + "".join(c for c in path.title() if c.isalnum())
    app.page(path)(Ingest)
