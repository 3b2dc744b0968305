"""The network half of a synthetic region, in metres (UTM 33N around Berlin).

Sites sit on a jittered hexagonal grid, each with three ~130° sector cells that overlap
their neighbours (so most customers see several cells and a single cell failure rarely
cuts anyone off, as in a real network), grouped under power feeds and transport hubs.
Fibre is a grid of PON areas with gaps (streets without fibre), grouped under OLTs, plus a
few building nodes (FTTB) that have no area and are only reached by ``fibre_node_id``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TypedDict, cast

import numpy as np
import shapely

__all__ = ["CENTRE_LONLAT", "METRIC_CRS", "Network", "Plan", "build_network", "plan_for"]

METRIC_CRS = "EPSG:32633"  # UTM 33N: the zone of Berlin (12°E-18°E)
CENTRE_LONLAT = (13.40, 52.51)
_MAX_AREA_M2 = 27_000.0 * 22_000.0  # about lon 13.2-13.6 x lat 52.4-52.6
_TECHNOLOGIES = np.array(["4G", "5G", "2G"])
_TECH_P = [0.55, 0.30, 0.15]
_ARC_POINTS = 13


@dataclass(frozen=True, slots=True)
class Plan:
    """Sizes derived from the customer count: density stays city-like at any scale."""

    n_sites: int
    spacing: float  # metres between neighbouring sites
    n_pon_target: int


@dataclass(frozen=True, slots=True)
class Network:
    """Everything but customers, in metres; ``box`` = (xmin, ymin, xmax, ymax) of the grid."""

    box: tuple[float, float, float, float]
    spacing: float
    site_ids: list[str]
    site_xy: np.ndarray
    cell_ids: list[str]
    cell_site: list[str]
    cell_tech: list[str]
    cell_polys: np.ndarray
    max_radius: float
    pon_ids: list[str]
    pon_polys: np.ndarray
    fibre_origin: tuple[float, float]
    fibre_step: float
    fibre_grid: np.ndarray  # (rows, cols) of PON position, -1 where there is no fibre
    fttb_ids: list[str]
    topology: list[tuple[str, str, str]]  # (element_id, parent_id, element_type)


class _Fibre(TypedDict):
    """The fibre half of a ``Network`` (see there)."""

    pon_ids: list[str]
    pon_polys: np.ndarray
    fibre_origin: tuple[float, float]
    fibre_step: float
    fibre_grid: np.ndarray
    fttb_ids: list[str]


def plan_for(customers: int, fibre_areas: int | None = None) -> Plan:
    """``fibre_areas``: aim for about that many PON areas (default: ~40 fibre customers
    each); ~15 % of grid squares are left without fibre, hence the division."""
    n_sites = max(12, round(customers / 120))
    spacing = min(2000.0, max(300.0, math.sqrt(_MAX_AREA_M2 / (n_sites * 0.866))))
    pons = round(customers * 0.55 / 40) if fibre_areas is None else round(fibre_areas / 0.85)
    return Plan(n_sites, spacing, max(9, pons))


def build_network(rng: np.random.Generator, plan: Plan, centre: tuple[float, float]) -> Network:
    """Sites, cells, power/transport parents, PON areas and OLTs around ``centre`` (metres)."""
    d = plan.spacing
    cols = math.ceil(math.sqrt(plan.n_sites))
    rows = math.ceil(plan.n_sites / cols)
    n_sites = cols * rows  # a full grid: a half-empty last row would leave a coverage hole
    k = np.arange(n_sites)
    row, col = k // cols, k % cols
    x = (col + 0.5 * (row % 2)) * d
    y = row * d * math.sqrt(3) / 2
    x = x - x.mean() + centre[0] + rng.uniform(-0.15, 0.15, n_sites) * d
    y = y - y.mean() + centre[1] + rng.uniform(-0.15, 0.15, n_sites) * d
    site_ids = [f"S{i + 1:04d}" for i in range(n_sites)]

    # Three sectors per site; radius varies per cell so coverage is uneven like real cells.
    n_cells = 3 * n_sites
    base = rng.uniform(0, 360, n_sites)
    azimuth = (np.repeat(base, 3) + np.tile([0.0, 120.0, 240.0], n_sites)) % 360
    radius = rng.uniform(0.75, 1.15, n_cells) * d
    opening = rng.uniform(120.0, 140.0, n_cells)
    tech = rng.choice(_TECHNOLOGIES, size=n_cells, p=_TECH_P)
    cell_polys = _wedges(np.repeat(x, 3), np.repeat(y, 3), azimuth, opening, radius)
    cell_ids = [f"{s}-{j}" for s in site_ids for j in (1, 2, 3)]
    cell_site = [s for s in site_ids for _ in range(3)]

    topology: list[tuple[str, str, str]] = []
    power = [f"PWR-{b + 1:03d}" for b in _blocks(row, col, 2, 3)]
    transport = [f"TRN-{b + 1:02d}" for b in _blocks(row, col, 4, 6)]
    topology += [(p, "", "power") for p in sorted(set(power))]
    topology += [(t, "", "transport") for t in sorted(set(transport))]
    for s, p, t in zip(site_ids, power, transport):
        topology += [(s, p, "site"), (s, t, "site")]
    # Some 5G radios have their own feed from a neighbouring power domain: a second parent.
    feeds = sorted(set(power))
    for i in np.flatnonzero((tech == "5G") & (rng.random(n_cells) < 0.3)):
        own = power[i // 3]
        other = feeds[(feeds.index(own) + 1) % len(feeds)]
        topology += [(cell_ids[i], cell_site[i], "cell"), (cell_ids[i], other, "cell")]

    box = (float(x.min() - d / 2), float(y.min() - d / 2),
           float(x.max() + d / 2), float(y.max() + d / 2))
    fibre = _fibre(rng, plan, box, topology)
    return Network(box=box, spacing=d, site_ids=site_ids, site_xy=np.column_stack([x, y]),
                   cell_ids=cell_ids, cell_site=cell_site, cell_tech=[str(t) for t in tech],
                   cell_polys=cell_polys, max_radius=float(radius.max()), topology=topology,
                   **fibre)


def _blocks(row: np.ndarray, col: np.ndarray, height: int, width: int) -> list[int]:
    """Number contiguous blocks of the site grid: neighbouring sites share a parent."""
    keys = list(zip((row // height).tolist(), (col // width).tolist()))
    numbering = {key: n for n, key in enumerate(sorted(set(keys)))}
    return [numbering[key] for key in keys]


def _wedges(x: np.ndarray, y: np.ndarray, azimuth: np.ndarray, opening: np.ndarray,
            radius: np.ndarray) -> np.ndarray:
    """Sector polygons: site, an arc of ``_ARC_POINTS`` points, back to the site (CCW)."""
    steps = np.linspace(-0.5, 0.5, _ARC_POINTS)
    bearing = np.radians(azimuth[:, None] + opening[:, None] * steps[None, :])
    ax = x[:, None] + radius[:, None] * np.sin(bearing)
    ay = y[:, None] + radius[:, None] * np.cos(bearing)
    ring_x = np.column_stack([x, ax, x])
    ring_y = np.column_stack([y, ay, y])
    polys = shapely.polygons(np.stack([ring_x, ring_y], axis=-1))
    return cast(np.ndarray, shapely.orient_polygons(polys, exterior_cw=False))


def _fibre(rng: np.random.Generator, plan: Plan, box: tuple[float, float, float, float],
           topology: list[tuple[str, str, str]]) -> _Fibre:
    """A square grid of PON areas with ~15 % gaps; OLTs own 2x4 blocks of PONs."""
    xmin, ymin, xmax, ymax = box
    step = math.sqrt((xmax - xmin) * (ymax - ymin) / plan.n_pon_target)
    n_cols = max(1, math.ceil((xmax - xmin) / step))
    n_rows = max(1, math.ceil((ymax - ymin) / step))
    keep = rng.random((n_rows, n_cols)) >= 0.15
    grid = np.full((n_rows, n_cols), -1, dtype=np.int64)
    r, c = np.nonzero(keep)
    grid[r, c] = np.arange(len(r))
    pon_ids = [f"PON-{i + 1:04d}" for i in range(len(r))]
    x0, y0 = xmin + c * step, ymin + r * step
    pon_polys = shapely.box(x0, y0, x0 + step, y0 + step, ccw=True)
    olt = [f"OLT-{b + 1:02d}" for b in _blocks(r, c, 2, 4)]
    topology += [(o, "", "olt") for o in sorted(set(olt))]
    topology += [(p, o, "pon") for p, o in zip(pon_ids, olt)]
    n_fttb = max(2, len(pon_ids) // 20)
    olts = sorted(set(olt))
    fttb_ids = [f"FTTB-{i + 1:03d}" for i in range(n_fttb)]
    topology += [(f, olts[int(rng.integers(len(olts)))], "pon") for f in fttb_ids]
    return {"pon_ids": pon_ids, "pon_polys": pon_polys, "fibre_origin": (xmin, ymin),
            "fibre_step": step, "fibre_grid": grid, "fttb_ids": fttb_ids}
