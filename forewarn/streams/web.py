"""HTTP pages on the worker's web port: a minimal live incident page and its JSON.

The page is server-rendered HTML (jinja2, autoescaped) that refreshes itself without
JavaScript; the full service-desk and status pages come with the service-desk issue.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import faust
from faust.web import Request, Response, View
from jinja2 import Environment, FileSystemLoader, select_autoescape

from forewarn.config import Settings
from forewarn.streams.board import IncidentBoard

__all__ = ["register_pages"]

_PAGES = Environment(
    loader=FileSystemLoader(Path(__file__).with_name("pages")),
    autoescape=select_autoescape(["html", "j2"]),
)


def register_pages(app: faust.App, board: IncidentBoard, settings: Settings) -> None:
    """Add ``GET /`` (incident page) and ``GET /api/v1/incidents`` to the app's web server."""

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

    @app.page("/healthz")
    class Health(View):
        async def get(self, request: Request) -> Response:
            return self.json({"status": "ok"})
