"""Indicators planners and papers report, from per-person travel times.

- :func:`coverage_table`: people (and share) within each threshold, by urban/rural class;
- :func:`rural_access_index`: SDG 9.1.1, the share of the rural population living within
  2 km (straight line, as the World Bank's RAI) of an all-season road;
- :func:`life_circle`: GB 50180-2018 walking life circles: share of people within 300 /
  500 / 1000 m walking distance along the network of a facility;
- :func:`mean_time_ratio`: rural / urban ratio of population-weighted mean travel time;
- :func:`isochrones`: polygons of the area reachable from each facility within T minutes
  (buffered concave hull of the reached road nodes; for display).

Examples
--------
>>> import numpy as np, pandas as pd
>>> pts = pd.DataFrame({"people": [10.0, 30.0, 60.0], "urban_class": ["urban", "rural", "rural"]})
>>> table = coverage_table(np.array([5.0, 20.0, np.inf]), pts, thresholds=[15, 30])
>>> table[["urban_class", "threshold_min", "share"]].round(2)
  urban_class  threshold_min  share
0         all             15   0.10
1         all             30   0.40
2       rural             15   0.00
3       rural             30   0.33
4       urban             15   1.00
5       urban             30   1.00
"""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray
from scipy.sparse.csgraph import dijkstra

from ...geo.errors import DataError
from .network import RoadGraph, snap

__all__ = ["coverage_table", "rural_access_index", "life_circle", "mean_time_ratio", "isochrones",
           "LIFE_CIRCLES_M"]

LIFE_CIRCLES_M = {"5-minute": 300.0, "10-minute": 500.0, "15-minute": 1000.0}


def _thresholds(values: Sequence[float]) -> list[float]:
    out = sorted(float(t) for t in values)
    if not out or out[0] <= 0:
        raise DataError(f"thresholds must be positive minutes; got {list(values)}")
    return out


def coverage_table(minutes: NDArray[np.float64], points: pd.DataFrame, *, thresholds: Sequence[float],
                   class_col: str = "urban_class") -> pd.DataFrame:
    """Long table: urban_class ("all" and each class), threshold_min, population,
    population_within, share (people beyond reach count as not within)."""
    t = np.asarray(minutes, dtype=float)
    people = points["people"].to_numpy(dtype=float)
    groups = [("all", np.ones(len(t), dtype=bool))]
    if class_col in points.columns:
        cls = points[class_col].astype(object).to_numpy()
        groups += [(str(c), cls == c) for c in sorted(pd.unique(cls[pd.notna(cls)]).tolist())]
    rows = []
    for name, m in groups:
        total = people[m].sum()
        for th in _thresholds(thresholds):
            within = people[m & (t <= th)].sum()
            rows.append({"urban_class": name, "threshold_min": int(th) if th == int(th) else th,
                         "population": total, "population_within": within,
                         "share": within / total if total > 0 else np.nan})
    return pd.DataFrame(rows)


def rural_access_index(points: pd.DataFrame, roads: gpd.GeoDataFrame, *, rural: NDArray[np.bool_],
                       distance_m: float = 2000.0, classes: Sequence[str] | None = None) -> float:
    """SDG 9.1.1: share of the rural population within ``distance_m`` of a road of ``classes``
    (all classes when None: say which are all-season in the study's notes)."""
    r = roads if classes is None else roads[roads["road_class"].isin(list(classes))]
    if len(r) == 0:
        raise DataError(f"no roads of classes {list(classes or [])} for the Rural Access Index")
    people = points["people"].to_numpy(dtype=float)
    rural = np.asarray(rural, dtype=bool)
    if people[rural].sum() == 0:
        return float("nan")
    tree = shapely.STRtree(r.geometry.to_numpy())
    pts = shapely.points(points["x"].to_numpy(), points["y"].to_numpy())
    near = np.zeros(len(pts), dtype=bool)
    idx = tree.query(pts[rural], predicate="dwithin", distance=distance_m)[0]
    near[np.flatnonzero(rural)[np.unique(idx)]] = True
    return float(people[near].sum() / people[rural].sum())


def life_circle(graph: RoadGraph, points: pd.DataFrame, facilities: NDArray[np.float64], *,
                distances_m: dict[str, float] | None = None) -> dict[str, float]:
    """Share of people within each walking distance (metres along the network, plus the
    straight legs to and from the network) of the nearest facility."""
    distances_m = distances_m or LIFE_CIRCLES_M
    fac = np.asarray(facilities, dtype=float).reshape(-1, 2)
    people = points["people"].to_numpy(dtype=float)
    if len(fac) == 0 or people.sum() == 0:
        return {k: 0.0 for k in distances_m}
    # metres graph: minutes x speed; rebuild weights as lengths from node coordinates
    m = graph.matrix.tocoo()
    length = np.hypot(*(graph.xy[m.row] - graph.xy[m.col]).T)
    import scipy.sparse as sp

    g = sp.csr_matrix((np.maximum(length, 1e-9), (m.row, m.col)), shape=m.shape)
    f_node, f_dist = snap(graph, fac)
    o_node, o_dist = snap(graph, points[["x", "y"]].to_numpy())
    limit = max(distances_m.values())
    d = dijkstra(g.T.tocsr(), directed=True, indices=np.unique(f_node), limit=limit, min_only=True)
    # add the facility's own off-network leg conservatively (its minimum)
    walk = d[o_node] + o_dist + f_dist.min()
    return {k: float(people[walk <= v].sum() / people.sum()) for k, v in distances_m.items()}


def mean_time_ratio(minutes: NDArray[np.float64], points: pd.DataFrame, *, class_col: str = "urban_class") -> float:
    """Population-weighted mean travel time of rural people / that of urban people (finite times)."""
    t = np.asarray(minutes, dtype=float)
    p = points["people"].to_numpy(dtype=float)
    cls = points[class_col].to_numpy()
    means = {}
    for c in ("rural", "urban"):
        m = (cls == c) & np.isfinite(t)
        means[c] = (t[m] * p[m]).sum() / p[m].sum() if p[m].sum() > 0 else np.nan
    return float(means["rural"] / means["urban"]) if means["urban"] else float("nan")


def isochrones(graph: RoadGraph, facilities: pd.DataFrame, *, minutes: Sequence[float], walk_kmh: float = 5.0,
               ratio: float = 0.3, buffer_m: float = 250.0) -> gpd.GeoDataFrame:
    """One polygon per facility and threshold: the concave hull (``ratio``) of the road nodes
    reached within T minutes, buffered by ``buffer_m`` (a display shape, not a measure)."""
    f_node, f_dist = snap(graph, facilities[["x", "y"]].to_numpy())
    ths = _thresholds(minutes)
    d = dijkstra(graph.matrix, directed=True, indices=f_node, limit=max(ths))
    rows = []
    for k, fid in enumerate(facilities.index):
        leg = f_dist[k] / (walk_kmh * 1000 / 60)
        for th in ths:
            reach = np.flatnonzero(d[k] + leg <= th)
            if len(reach) == 0:
                continue
            pts = shapely.multipoints(graph.xy[reach])
            hull = shapely.concave_hull(pts, ratio=ratio) if len(reach) > 3 else pts
            geom = shapely.buffer(hull, buffer_m)
            rows.append({"facility": fid, "minutes": th, "geometry": geom})
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=None) if rows else \
        gpd.GeoDataFrame({"facility": [], "minutes": []}, geometry=[], crs=None)
