"""Cable cuts -> alarms on the fibre nodes downstream of the routes they cross.

Why alarms: a cut node is down exactly like a node with a critical alarm, so a cut goes
through the normal alarm path (element states, root-cause incidents, merges, flapping) and
needs no rule of its own. Each downstream node gets the alarm ``cut:<cut_id>:<node>``
(severity ``critical``, probable cause ``cableCut``); the clear clears exactly those ids.
Two cuts feeding one node are two alarms on it: clearing one leaves the node down.

State (a Faust table in production, keyed by ``cut_id``) remembers each raised cut's nodes
*and* its location, so that

* a clear after a crash clears exactly the nodes the raise took down, even if a new index
  version would map the location differently;
* an index swap can re-map every active cut onto the new routes (:meth:`CableCuts.relocate`).

Clears carry no probable cause on purpose: an element only matches a clear by cause when the
alarm id is unknown, and then a cause match would clear *another* cut's alarm on that node.
A cut crossing no route is remembered (a later index may have a route there), counted and
logged; it takes nothing down.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any, Protocol

import shapely
import shapely.geometry

from forewarn.domain import Alarm, CableCut

__all__ = ["CUT_CAUSE", "DEFAULT_TOLERANCE_M", "CableCuts", "CutCounts", "CutIndex", "cut_alarm_id"]

log = logging.getLogger(__name__)

CUT_CAUSE = "cableCut"
#: Tolerance of a point cut that names none: GPS in a trench is good to a few metres, and
#: route data in GIS is typically within ~10-20 m of the real duct.
DEFAULT_TOLERANCE_M = 25.0


class CutIndex(Protocol):
    """Where a cut hits the fibre routes (``forewarn.geo.RegionIndex`` provides it)."""

    def cut_at(self, point_lonlat: tuple[float, float], tolerance_m: float) -> list[str]: ...

    def cut_by(self, polygon: shapely.Geometry) -> list[str]: ...


def cut_alarm_id(cut_id: str, node: str) -> str:
    """The alarm a cut raises on one downstream node."""
    return f"cut:{cut_id}:{node}"


@dataclass
class CutCounts:
    raised: int = 0
    cleared: int = 0
    without_route: int = 0  # raised cuts (or relocations) that crossed no route
    unknown_clears: int = 0  # clears of a cut id with nothing remembered


class CableCuts:
    """Raised cuts by id, and the alarms that raising, clearing or re-mapping them means."""

    def __init__(self, state: MutableMapping[str, dict[str, Any]],
                 default_tolerance_m: float = DEFAULT_TOLERANCE_M) -> None:
        self.state = state
        self.default_tolerance_m = default_tolerance_m
        self.counts = CutCounts()

    def active(self) -> dict[str, list[str]]:
        """Raised cuts and the nodes each has down."""
        return {cut_id: list(entry["nodes"]) for cut_id, entry in self.state.items()}

    def nodes(self, where: Mapping[str, Any], index: Any) -> list[str]:
        """Sorted nodes fed by routes the location (``lon``/``lat``/``tolerance_m``) or
        ``area`` (GeoJSON) of ``where`` crosses; [] when the index has no routes."""
        if not hasattr(index, "cut_at"):
            return []
        if where.get("area") is not None:
            polygon = shapely.geometry.shape(where["area"])
            if not polygon.is_valid:
                polygon = shapely.make_valid(polygon)  # a hand-drawn dig outline may cross itself
            return list(index.cut_by(polygon))
        if where.get("lon") is None or where.get("lat") is None:
            return []
        tolerance = where.get("tolerance_m")
        tolerance = self.default_tolerance_m if tolerance is None else float(tolerance)
        return list(index.cut_at((float(where["lon"]), float(where["lat"])), tolerance))

    def apply(self, cut: CableCut, index: Any) -> list[Alarm]:
        """The alarms one cut record means: clears first (nodes no longer cut), then raises."""
        entry = self.state.get(cut.cut_id)
        known: list[str] = list(entry["nodes"]) if entry else []
        where = {"lon": cut.lon, "lat": cut.lat, "tolerance_m": cut.tolerance_m, "area": cut.area}
        if cut.state == "raised":
            self.counts.raised += 1
            nodes = self.nodes(where, index)
            self._note_route(cut.cut_id, nodes)
            self.state[cut.cut_id] = {
                **where, "nodes": nodes, "text": cut.text,
                "raised_at": entry["raised_at"] if entry else cut.event_time,
            }
            return ([_clear(cut.cut_id, n, cut.event_time) for n in known if n not in nodes]
                    + [_raise(cut.cut_id, n, cut.event_time, cut.text) for n in nodes])
        self.counts.cleared += 1
        if entry is None:
            self.counts.unknown_clears += 1
            # Nothing remembered (state lost, or the raise never came): the clear's own
            # location, when it has one, still names the alarms it means.
            known = self.nodes(where, index)
            log.warning("clear of unknown cable cut %s (clearing %d node(s) by its location)",
                        cut.cut_id, len(known))
        else:
            del self.state[cut.cut_id]
        return [_clear(cut.cut_id, n, cut.event_time) for n in known]

    def relocate(self, index: Any, at: float) -> list[Alarm]:
        """After an index swap: map every raised cut onto the new routes; the alarms that
        moving from the remembered nodes to the new ones means."""
        alarms: list[Alarm] = []
        for cut_id, entry in sorted(self.state.items()):
            known = list(entry["nodes"])
            nodes = self.nodes(entry, index)
            if nodes == known:
                continue
            self._note_route(cut_id, nodes)
            self.state[cut_id] = {**entry, "nodes": nodes}
            alarms += [_clear(cut_id, n, at) for n in known if n not in nodes]
            alarms += [_raise(cut_id, n, at, entry.get("text")) for n in nodes if n not in known]
        return alarms

    def _note_route(self, cut_id: str, nodes: list[str]) -> None:
        if not nodes:
            self.counts.without_route += 1
            log.warning("cable cut %s crosses no fibre route: nothing taken down", cut_id)


def _raise(cut_id: str, node: str, at: float, text: str | None) -> Alarm:
    return Alarm(cut_alarm_id(cut_id, node), node, "raised", "critical", at, CUT_CAUSE,
                 text=text, source_format="cable_cut")


def _clear(cut_id: str, node: str, at: float) -> Alarm:
    return Alarm(cut_alarm_id(cut_id, node), node, "cleared", "critical", at,
                 source_format="cable_cut")
