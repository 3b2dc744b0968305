"""``write_synthetic_region``: a realistic, deterministic region for demos, tests, benchmarks.

Same ``seed``, same files, byte for byte (on one machine): the demo story and the tests can
name element ids. Everything is vectorised, so a million customers take seconds; the
network is built in metres (``_synth_network``) and written as WGS84 GeoJSON (RFC 7946).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyproj
import shapely

from forewarn.geo._synth_network import (
    CENTRE_LONLAT,
    METRIC_CRS,
    Network,
    build_network,
    plan_for,
)

__all__ = ["write_synthetic_region"]

_CHANNEL_ORDERS = np.array(["sms", "sms;email", "email;sms", "push;sms", "email",
                            "push;email;sms"])
_CHANNEL_P = [0.25, 0.20, 0.15, 0.15, 0.15, 0.10]
_AREAS = [("10115", "Mitte"), ("10405", "Prenzlauer Berg"), ("10997", "Kreuzberg"),
          ("12043", "Neukölln"), ("10585", "Charlottenburg"), ("10827", "Schöneberg")]


def write_synthetic_region(out_dir: Path, customers: int, seed: int, *,
                           fibre_areas: int | None = None) -> None:
    """Write customers.csv, cells.geojson, fibre_areas.geojson, areas.geojson, topology.csv.

    ``fibre_areas``: about how many PON areas to draw (benchmarks ask for 5,000 at 1M
    customers); by default the count follows the customer count.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    to_metric = pyproj.Transformer.from_crs("EPSG:4326", METRIC_CRS, always_xy=True)
    to_lonlat = pyproj.Transformer.from_crs(METRIC_CRS, "EPSG:4326", always_xy=True)
    centre = to_metric.transform(*CENTRE_LONLAT)
    net = build_network(rng, plan_for(customers, fibre_areas), centre)
    _write_csv(out_dir / "customers.csv", _customers(rng, net, customers, to_lonlat))

    def lonlat(polys: np.ndarray) -> np.ndarray:
        return shapely.transform(polys, lambda xy: np.round(np.column_stack(
            to_lonlat.transform(xy[:, 0], xy[:, 1])), 7))

    _write_geojson(out_dir / "cells.geojson", lonlat(net.cell_polys), [
        {"cell_id": c, "site_id": s, "technology": t}
        for c, s, t in zip(net.cell_ids, net.cell_site, net.cell_tech)])
    _write_geojson(out_dir / "fibre_areas.geojson", lonlat(net.pon_polys),
                   [{"node_id": p} for p in net.pon_ids])
    area_polys, area_props = _areas(net)
    _write_geojson(out_dir / "areas.geojson", lonlat(area_polys), area_props)
    _write_csv(out_dir / "topology.csv", {
        name: [edge[k] for edge in net.topology]
        for k, name in enumerate(("element_id", "parent_id", "element_type"))})


def _customers(rng: np.random.Generator, net: Network, n: int,
               to_lonlat: pyproj.Transformer) -> dict[str, list[str]]:
    """The customers table as text columns (customers.csv's column order)."""
    xy = _locations(rng, net, n)
    lon, lat = to_lonlat.transform(xy[:, 0], xy[:, 1])
    services, explicit = _services(rng, net, xy)
    columns = {
        "customer_id": [f"C{i:07d}" for i in range(1, n + 1)],
        "lon": [f"{v:.6f}" for v in lon],
        "lat": [f"{v:.6f}" for v in lat],
        "services": services,
        "fibre_node_id": explicit,
    }
    columns.update(_contacts(rng, columns["customer_id"]))
    return columns


def _locations(rng: np.random.Generator, net: Network, n: int) -> np.ndarray:
    """Metric positions: clustered around neighbourhoods, a few beyond all coverage."""
    xmin, ymin, xmax, ymax = net.box
    margin = net.spacing / 4  # the box's rim is thinly covered; keep most customers inside
    n_out = min(n, max(2, n // 500))
    n_in = n - n_out
    n_clustered = int(n_in * 0.7)
    hubs = rng.uniform((xmin, ymin), (xmax, ymax), size=(max(3, n // 400), 2))
    spread = (xmax - xmin) / 12
    which = rng.integers(len(hubs), size=n_clustered)
    clustered = hubs[which] + rng.normal(0, spread, size=(n_clustered, 2))
    uniform = rng.uniform((xmin, ymin), (xmax, ymax), size=(n_in - n_clustered, 2))
    inside = _wrap(np.vstack([clustered, uniform]), (xmin + margin, ymin + margin),
                   (xmax - margin, ymax - margin))
    angle = rng.uniform(0, 2 * np.pi, n_out)
    half = np.array([(xmax - xmin) / 2, (ymax - ymin) / 2])
    centre = np.array([(xmin + xmax) / 2, (ymin + ymax) / 2])
    reach = np.hypot(*half) + 1.5 * net.max_radius + rng.uniform(0, net.max_radius, n_out)
    outside = centre + np.column_stack([np.cos(angle), np.sin(angle)]) * reach[:, None]
    return np.vstack([inside, outside])[rng.permutation(n)]


def _services(rng: np.random.Generator, net: Network,
              xy: np.ndarray) -> tuple[list[str], list[str]]:
    """Fibre only where the grid has a PON area or the customer is wired to a node
    explicitly (a neighbouring PON, or a building node without area)."""
    n = len(xy)
    ox, oy = net.fibre_origin
    gr = np.floor((xy[:, 1] - oy) / net.fibre_step).astype(np.int64)
    gc = np.floor((xy[:, 0] - ox) / net.fibre_step).astype(np.int64)
    rows, cols = net.fibre_grid.shape
    valid = (gr >= 0) & (gr < rows) & (gc >= 0) & (gc < cols)
    area = np.full(n, -1, dtype=np.int64)
    area[valid] = net.fibre_grid[gr[valid], gc[valid]]
    kind = rng.choice(3, size=n, p=[0.45, 0.20, 0.35])  # mobile, fibre, both
    explicit = np.full(n, "", dtype=object)
    wired = rng.random(n) < 0.03
    fttb = wired & (rng.random(n) < 0.5)
    explicit[fttb] = np.asarray(net.fttb_ids, dtype=object)[
        rng.integers(len(net.fttb_ids), size=int(fttb.sum()))]
    moved = wired & ~fttb & (area >= 0)
    pons = np.asarray(net.pon_ids, dtype=object)
    explicit[moved] = pons[(area[moved] + 1) % len(pons)]
    kind[(kind > 0) & (area < 0) & (explicit == "")] = 0
    explicit[kind == 0] = ""
    services = np.array(["mobile", "fibre", "mobile;fibre"], dtype=object)[kind]
    services[(kind == 2) & (rng.random(n) < 0.1)] = "fibre;mobile"  # either order is valid
    return services.tolist(), explicit.tolist()


def _contacts(rng: np.random.Generator, ids: list[str]) -> dict[str, list[str]]:
    """Language, channel preferences and fake addresses (+49 15x..., example domains)."""
    n = len(ids)
    order = rng.choice(len(_CHANNEL_ORDERS), size=n, p=_CHANNEL_P)
    has = {c: np.array([c in o for o in _CHANNEL_ORDERS])[order] for c in ("sms", "email", "push")}
    keep_phone = has["sms"] | (rng.random(n) < 0.5)
    prefix = rng.choice([1, 2, 5, 7, 9], size=n).tolist()
    number = rng.integers(0, 10**8, size=n).tolist()
    keep_email = has["email"] | (rng.random(n) < 0.4)
    org = (rng.random(n) < 0.5).tolist()
    tokens = rng.integers(0, 2**63, size=(n, 2)).tolist()
    languages = np.array(["de", "en", ""], dtype=object)
    zones = np.array(["Europe/Berlin", "Europe/London", ""], dtype=object)
    return {
        "language": rng.choice(languages, size=n, p=[0.7, 0.2, 0.1]).tolist(),
        "channels": _CHANNEL_ORDERS[order].tolist(),
        "phone": [f"+4915{a}{b:08d}" if k else ""
                  for a, b, k in zip(prefix, number, keep_phone.tolist())],
        "email": [f"{c.lower()}@example.{'org' if o else 'com'}" if k else ""
                  for c, o, k in zip(ids, org, keep_email.tolist())],
        "push_token": [f"{t[0]:016x}{t[1]:016x}" if k else ""
                       for t, k in zip(tokens, has["push"].tolist())],
        "priority": np.where(rng.random(n) < 0.03, "1", "0").tolist(),
        "timezone": rng.choice(zones, size=n, p=[0.93, 0.05, 0.02]).tolist(),
    }


def _write_csv(path: Path, columns: dict[str, list[str]]) -> None:
    """Plain CSV without quoting: every synthetic value is free of commas and quotes."""
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(",".join(columns) + "\n")
        out.writelines(",".join(row) + "\n" for row in zip(*columns.values()))


def _wrap(xy: np.ndarray, low: tuple[float, float], high: tuple[float, float]) -> np.ndarray:
    """Fold points back into the box (modulo): clipping would pile them up on its edge,
    where a lon/lat polygon edge and the metric one differ by metres."""
    lo, hi = np.asarray(low), np.asarray(high)
    wrapped: np.ndarray = lo + np.mod(xy - lo, hi - lo)
    return wrapped


def _areas(net: Network) -> tuple[np.ndarray, list[dict[str, str]]]:
    """Six named districts tiling the network's box (3 x 2), each with a postcode."""
    xmin, ymin, xmax, ymax = net.box
    w, h = (xmax - xmin) / 3, (ymax - ymin) / 2
    polys, props = [], []
    for k, (postcode, name) in enumerate(_AREAS):
        x0, y0 = xmin + (k % 3) * w, ymin + (k // 3) * h
        polys.append(shapely.box(x0, y0, x0 + w, y0 + h, ccw=True))
        props.append({"area_id": f"BER-{postcode}", "name": f"Berlin-{name}",
                      "postcode": postcode})
    return np.asarray(polys, dtype=object), props


def _write_geojson(path: Path, polys: np.ndarray, props: list[dict[str, str]]) -> None:
    """RFC 7946 FeatureCollection, one feature per line (diff-friendly, streamable)."""
    geometries = shapely.to_geojson(polys)
    with path.open("w", encoding="utf-8") as out:
        out.write('{"type": "FeatureCollection", "features": [\n')
        for i, (geometry, prop) in enumerate(zip(geometries, props)):
            sep = ",\n" if i else ""
            out.write(f'{sep}{{"type": "Feature", "properties": '
                      f'{json.dumps(prop, ensure_ascii=False)}, "geometry": {geometry}}}')
        out.write("\n]}\n")
