"""Server-rendered pages escape every outside value, and carry nothing CSP would block.

The incident id (a ``maintenance_id`` for planned work), its cause element and the NOC's
message come from ingest clients; they must reach the banners as text. The pages must hold
no inline script, ``style=`` attribute or ``on*`` handler, since the CSP forbids them.
"""

from __future__ import annotations

import html
import re

from forewarn.streams.network.incident_board import IncidentBoard
from forewarn.streams.web.desk_banners import desk_banners
from forewarn.streams.web.pages import render
from tests.unit.web.web_helpers import T0, change

HOSTILE = "MW-<img src=x onerror=alert(1)>\"'&"


def _banners(board: IncidentBoard, page: str = "banners.html.j2") -> str:
    return render(page, language="en", zone="Europe/Berlin", now=T0 + 60,
                  desk=desk_banners(board.incidents(), board.upcoming(), {}))


def test_banner_escapes_incident_id_cause_element_and_noc_message() -> None:
    board = IncidentBoard()
    board.record_changes([change("007", incident=HOSTILE, cause="S<svg onload=x>",
                                 cause_type="maintenance")])
    board.record({"kind": "update", "at": T0 + 10, "incident_id": HOSTILE,
                  "eta": None, "message": "<script>steal()</script>"})
    page = _banners(board)
    assert "<img" not in page and "<script>" not in page and "<svg" not in page
    shown = re.search(r'data-incident="([^"]*)"', page).group(1)  # type: ignore[union-attr]
    assert html.unescape(shown) == HOSTILE  # the text itself is still shown, literally
    assert "&lt;script&gt;steal()&lt;/script&gt;" in page


def test_pages_hold_no_inline_script_style_or_handler_that_csp_would_block() -> None:
    board = IncidentBoard()
    board.record_changes([change("007")])
    desk = _banners(board, "desk.html.j2")
    status = render("status.html.j2", language="de", zone="Europe/Berlin", now=T0,
                    answer=None, problem=None, query={}, current=[], has_areas=True)
    for page in (desk, status):
        scripts = re.findall(r"<script\b([^>]*)>", page)
        assert all("src=" in attrs or 'type="application/json"' in attrs for attrs in scripts)
        assert not re.search(r"\sstyle\s*=", page)
        assert not re.search(r"\son[a-z]+\s*=", page)
        assert "<style" not in page
