"""Indicators planners and papers report, from per-person travel times.

- :func:`coverage_table`: people (and share) within each threshold, by urban/rural class;
- :func:`rural_access_index`: SDG 9.1.1, the share of the rural population living within
  2 km (straight line, as the World Bank's RAI) of an all-season road;
- :func:`life_circle`: GB 50180-2018 walking life circles: share of people within 300 /
  500 / 1000 m walking distance along the network of a facility;
- :func:`mean_time_ratio`: rural / urban ratio of population-weighted mean travel time;
- :func:`underserved`: people beyond a threshold (unreachable ones included) per unit;
- :func:`isochrones`: polygons of the area from which each facility is reached within T
  minutes (reached road nodes, each with a disc of the remaining time's walk).

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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from ...geo.errors import DataError
from .demand import unit_sums
from .network import RoadGraph, Snapped, nearest_facility, snap

__all__ = ["coverage_table", "rural_access_index", "RAIResult", "life_circle", "mean_time_ratio", "underserved",
           "isochrones", "near_road", "LIFE_CIRCLES_M"]

LIFE_CIRCLES_M = {"5-minute": 300.0, "10-minute": 500.0, "15-minute": 1000.0}
NEAR_BLOCK = 1_000_000  # points per block in near_road (a few tens of MB)
NEAR_VERTICES = 5_000_000  # at most this many road samples in near_road's KD-tree (~120 MB)
_STEP_DIV = 8.0  # road samples every distance_m / _STEP_DIV metres
NEAR_GRID_CELLS = 4_000_000  # at most this many cells in near_road's coarse grid (~80 MB while built)
NEAR_GRID_MIN_POINTS = 200_000  # fewer points go straight to the KD-tree


def _class_codes(col: pd.Series) -> tuple[NDArray[np.intp], list[object]]:
    """Integer codes of a class column (-1 = missing) and the classes, in one pass
    (a categorical column gives its codes without any pass)."""
    if isinstance(col.dtype, pd.CategoricalDtype):
        codes = col.cat.codes.to_numpy().astype(np.intp)
        names = list(col.cat.categories)
        used = np.unique(codes[codes >= 0])
        remap = np.full(len(names) + 1, -1, dtype=np.intp)
        remap[used] = np.arange(len(used))
        return remap[codes], [names[i] for i in used]
    codes, uniq = pd.factorize(col.to_numpy(dtype=object), use_na_sentinel=True)
    return codes.astype(np.intp, copy=False), list(uniq)


def _thresholds(values: Sequence[float]) -> list[float]:
    out = sorted(float(t) for t in values)
    if not out or not out[0] > 0 or not np.isfinite(out[-1]):
        raise DataError(f"thresholds must be positive, finite minutes; got {list(values)}")
    return out


def coverage_table(minutes: NDArray[np.float64], points: pd.DataFrame, *, thresholds: Sequence[float],
                   class_col: str = "urban_class") -> pd.DataFrame:
    """Long table: urban_class ("all" and each class), threshold_min, population,
    population_within, share (people beyond reach count as not within).

    Classes come from ``points[class_col]`` when present; otherwise only "all".
    """
    t = np.asarray(minutes, dtype=float)
    people = points["people"].to_numpy(dtype=float)
    groups = [("all", np.ones(len(t), dtype=bool))]
    if class_col in points.columns:
        codes, names = _class_codes(points[class_col])
        order = sorted(range(len(names)), key=lambda k: names[k])
        groups += [(str(names[k]), codes == k) for k in order]
    rows = []
    for name, m in groups:
        total = people[m].sum()
        for th in _thresholds(thresholds):
            within = people[m & (t <= th)].sum()
            rows.append({"urban_class": name, "threshold_min": int(th) if th == int(th) else th,
                         "population": total, "population_within": within,
                         "share": within / total if total > 0 else np.nan})
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class RAIResult:
    """SDG 9.1.1 Rural Access Index.

    Attributes
    ----------
    share : float
        Rural people within ``distance_m`` of a qualifying road / all rural people (NaN
        when there are no rural people).
    rural_population, population_within : float
    distance_m : float
    classes : tuple of str or None
        Road classes counted as all-season (None = every class).
    """

    share: float
    rural_population: float
    population_within: float
    distance_m: float
    classes: tuple[str, ...] | None

    def to_dict(self) -> dict[str, object]:
        return {"share": self.share, "rural_population": self.rural_population,
                "population_within": self.population_within, "distance_m": self.distance_m,
                "classes": list(self.classes) if self.classes is not None else None}


def rural_access_index(points: pd.DataFrame, roads: gpd.GeoDataFrame, *, rural: NDArray[np.bool_],
                       distance_m: float = 2000.0, classes: Sequence[str] | None = None) -> RAIResult:
    """SDG 9.1.1: share of the rural population within ``distance_m`` (straight line) of a
    road of ``classes`` (the all-season classes; every class when None: say which are
    all-season in the study's notes).

    Within means ``shapely.dwithin(point, road, distance_m)`` for some road (boundary
    included); :func:`near_road` answers it for every rural point with people without
    listing every point-road pair, in blocks of ``NEAR_BLOCK`` points.

    Examples
    --------
    >>> import shapely
    >>> roads = gpd.GeoDataFrame({"road_class": ["county", "track"]}, crs=32650, geometry=[
    ...     shapely.LineString([(0, 0), (10000, 0)]), shapely.LineString([(0, 5000), (10000, 5000)])])
    >>> pts = pd.DataFrame({"x": [100.0, 100.0, 100.0], "y": [1500.0, 4000.0, 9000.0], "people": [10.0, 20.0, 70.0]})
    >>> rural_access_index(pts, roads, rural=np.array([True, True, True])).share
    0.3
    >>> rural_access_index(pts, roads, rural=np.array([True, True, True]), classes=["county"]).share
    0.1
    """
    if not (np.isfinite(distance_m) and distance_m > 0):
        raise DataError(f"distance_m must be positive metres; got {distance_m!r}")
    if classes is not None:
        if "road_class" not in roads.columns:
            raise DataError("roads have no road_class column; read them with read_roads(..., class_col=...)")
        r = roads[roads["road_class"].isin(list(classes))]
        if len(r) == 0:
            raise DataError(f"no roads of classes {list(classes)} for the Rural Access Index; classes present: "
                            f"{sorted(roads['road_class'].astype(str).unique())}")
    else:
        r = roads
    people = points["people"].to_numpy(dtype=float)
    rural = np.asarray(rural, dtype=bool)
    if len(rural) != len(people):
        raise DataError(f"rural has {len(rural)} flags for {len(people)} demand points")
    total = float(people[rural].sum())
    cls = tuple(classes) if classes is not None else None
    if total == 0:
        return RAIResult(float("nan"), 0.0, 0.0, float(distance_m), cls)
    ask = np.flatnonzero(rural)
    near = np.zeros(len(people), dtype=bool)
    near[ask] = near_road(points["x"].to_numpy(dtype=float)[ask], points["y"].to_numpy(dtype=float)[ask],
                          r.geometry.to_numpy(), distance_m=float(distance_m))
    within = float(people[near].sum())
    return RAIResult(within / total, total, within, float(distance_m), cls)


def near_road(x: NDArray[np.float64], y: NDArray[np.float64], roads: NDArray[np.object_], *,
              distance_m: float, block: int = NEAR_BLOCK) -> NDArray[np.bool_]:
    """For each point, whether some geometry of ``roads`` lies within ``distance_m``
    (``shapely.dwithin``, boundary included): the same answer as querying every
    point-road pair, in bounded memory.

    The roads are sampled every ``s`` metres along their lines (``s`` = ``distance_m`` / 8,
    more when the network is long, at most ``NEAR_VERTICES`` samples). A point whose
    nearest sample is within ``distance_m`` (less a micrometre) is near a road; one whose
    nearest sample is further than ``distance_m + s / 2`` is not (the road's nearest point
    lies on a piece of at most ``s`` metres, whose nearer end is within ``s / 2`` of it);
    the thin ring in between is decided by ``shapely.dwithin`` on its few nearby roads.
    The nearest sample's distance is bounded first on a coarse grid (a Euclidean distance
    transform of the cells holding samples, :func:`_sample_grid`); only points the bounds
    leave open ask a KD-tree of the samples. Polygonal roads (a point inside is at
    distance 0) are always checked exactly. Points are taken ``block`` at a time.

    Examples
    --------
    >>> roads = np.array([shapely.LineString([(0, 0), (10000, 0)])])
    >>> near_road(np.array([100.0, 100.0, 100.0]), np.array([1999.0, 2000.0, 2000.001]), roads,
    ...           distance_m=2000).tolist()
    [True, True, False]
    """
    if not (np.isfinite(distance_m) and distance_m > 0):
        raise DataError(f"distance_m must be positive metres; got {distance_m!r}")
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    out = np.zeros(len(x), dtype=bool)
    geoms = np.asarray(roads, dtype=object)
    geoms = geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]
    if len(x) == 0 or len(geoms) == 0:
        return out
    fin = np.isfinite(x) & np.isfinite(y)
    if not fin.all():  # a point without coordinates is near nothing
        out[fin] = near_road(x[fin], y[fin], geoms, distance_m=distance_m, block=block)
        return out
    kinds = shapely.get_type_id(geoms)
    areal = np.isin(kinds, (3, 6)) | ((kinds == 7) & (shapely.area(geoms) > 0))
    lines = geoms[~areal]
    step = max(distance_m / _STEP_DIV, float(shapely.length(lines).sum()) / NEAR_VERTICES) if len(lines) else 0.0
    xy = shapely.get_coordinates(shapely.segmentize(lines, step)) if len(lines) else np.empty((0, 2))
    tree = shapely.STRtree(geoms)
    exact_tree = shapely.STRtree(geoms[areal]) if areal.any() else None
    eps = 1e-6 + 1e-12 * max(float(np.abs(xy).max()) if len(xy) else 0.0, float(np.abs(x).max()),
                             float(np.abs(y).max()), distance_m)
    if len(xy) and len(x) >= NEAR_GRID_MIN_POINTS:  # coarse bounds first: most points are far inside
        grid, cell = _sample_grid(x, y, xy, pad=distance_m + step + 1.0,  # or far outside the 2 km
                                  cells=min(NEAR_GRID_CELLS, len(x)))
        slack = cell * np.sqrt(2.0) * (1 + 1e-9)
        sure_all = grid + slack <= distance_m - eps
        open_all = ~sure_all & ~(grid - slack - step / 2 > distance_m + eps)
        del grid
        kd = cKDTree(xy) if open_all.any() else None
    else:
        sure_all, open_all = np.zeros(len(x), dtype=bool), np.ones(len(x), dtype=bool)
        kd = cKDTree(xy) if len(xy) else None
    for s in range(0, len(x), max(int(block), 1)):
        bx, by = x[s:s + block], y[s:s + block]
        sure, ring = sure_all[s:s + block].copy(), np.zeros(len(bx), dtype=bool)
        ask = np.flatnonzero(open_all[s:s + block])
        if kd is not None and len(ask):
            dv = kd.query(np.column_stack([bx[ask], by[ask]]), distance_upper_bound=distance_m + step / 2 + 2 * eps)[0]
            sure[ask] = dv <= distance_m - eps
            ring[ask] = (dv > distance_m - eps) & (dv - step / 2 <= distance_m + eps)
        res = sure.copy()
        ask = np.flatnonzero(ring)
        if len(ask):
            hit = tree.query(shapely.points(bx[ask], by[ask]), predicate="dwithin", distance=distance_m)[0]
            res[ask[np.unique(hit)]] = True
        if exact_tree is not None:
            ask = np.flatnonzero(~res)
            hit = exact_tree.query(shapely.points(bx[ask], by[ask]), predicate="dwithin", distance=distance_m)[0]
            res[ask[np.unique(hit)]] = True
        out[s:s + len(bx)] = res
    return out


def _sample_grid(x: NDArray[np.float64], y: NDArray[np.float64], xy: NDArray[np.float64], *,
                 pad: float, cells: int) -> tuple[NDArray[np.float64], float]:
    """For each point, the distance from the centre of its grid cell to the nearest cell
    centre holding a road sample (inf when none), and the cell size ``g``.

    The grid covers the points' bounds plus ``pad`` in cells of ``g`` (about ``cells``
    cells, g at least ``pad`` / 40); samples outside it are further than ``pad`` from every
    point. For a point p in cell P whose grid distance is E, the nearest sample is
    between E - g sqrt(2) and E + g sqrt(2) away (p and the sample are each within
    g / sqrt(2) of their cell's centre).
    """
    from scipy.ndimage import distance_transform_edt

    x0, y0 = float(x.min()) - pad, float(y.min()) - pad
    w, h = float(x.max()) + pad - x0, float(y.max()) + pad - y0
    g = max(pad / 40.0, float(np.sqrt(w * h / max(cells, 1))))
    nc, nr = int(w // g) + 1, int(h // g) + 1
    ci = np.floor((xy[:, 0] - x0) / g)
    ri = np.floor((xy[:, 1] - y0) / g)
    ok = (ci >= 0) & (ci < nc) & (ri >= 0) & (ri < nr)
    free = np.ones((nr, nc), dtype=bool)
    free[ri[ok].astype(np.intp), ci[ok].astype(np.intp)] = False
    pc = np.clip(np.floor((x - x0) / g).astype(np.intp), 0, nc - 1)
    pr = np.clip(np.floor((y - y0) / g).astype(np.intp), 0, nr - 1)
    if free.all():
        return np.full(len(x), np.inf), g
    return distance_transform_edt(free, sampling=g)[pr, pc], g


def life_circle(graph: RoadGraph, points: pd.DataFrame, facilities: object, *,
                distances_m: Mapping[str, float] | None = None, snapped: Snapped | None = None) -> dict[str, float]:
    """GB 50180-2018 life circles: share of people whose walk to the nearest facility is
    within each distance (metres along the network, both directions of one-way streets,
    plus the straight legs to and from the network).

    Default distances: 5-minute 300 m, 10-minute 500 m, 15-minute 1000 m. ``snapped``: the
    points already joined to ``graph`` (:func:`~urbanrural.analysis.accessibility.network.snap`),
    so a caller with many categories snaps them once.

    Examples
    --------
    >>> import shapely
    >>> roads = gpd.GeoDataFrame({"speed_kmh": [30.0]}, crs=32650,
    ...                          geometry=[shapely.LineString([(0, 0), (2000, 0)])])
    >>> from urbanrural.analysis.accessibility.network import build_graph
    >>> pts = pd.DataFrame({"x": [0.0, 400.0, 900.0], "y": [0.0, 0.0, 0.0], "people": [1.0, 1.0, 2.0]})
    >>> life_circle(build_graph(roads), pts, np.array([[0.0, 0.0]]))
    {'5-minute': 0.25, '10-minute': 0.5, '15-minute': 1.0}
    """
    distances_m = dict(distances_m or LIFE_CIRCLES_M)
    if any(not v > 0 for v in distances_m.values()):
        raise DataError(f"life-circle distances must be positive metres; got {distances_m}")
    people = points["people"].to_numpy(dtype=float)
    if people.sum() == 0:
        return {k: float("nan") for k in distances_m}
    if snapped is not None and len(snapped.node) != len(points):
        raise DataError(f"snapped has {len(snapped.node)} points, points {len(points)}: snap these points")
    walk = nearest_facility(graph, snapped if snapped is not None else points[["x", "y"]], facilities,
                            weight="metres").cost
    return {k: float(people[walk <= v].sum() / people.sum()) for k, v in distances_m.items()}


def mean_time_ratio(minutes: NDArray[np.float64], points: pd.DataFrame, *, class_col: str = "urban_class") -> float:
    """Population-weighted mean travel time of rural people / that of urban people, over
    people with a finite time (NaN when either class has none).

    Examples
    --------
    >>> pts = pd.DataFrame({"people": [10.0, 10.0, 30.0], "urban_class": ["urban", "rural", "rural"]})
    >>> mean_time_ratio(np.array([10.0, 20.0, 40.0]), pts)
    3.5
    """
    if class_col not in points.columns:
        raise DataError(f"demand points have no {class_col} column; run the urban_rural analysis first")
    t = np.asarray(minutes, dtype=float)
    p = points["people"].to_numpy(dtype=float)
    codes, names = _class_codes(points[class_col])
    means = {}
    for c in ("rural", "urban"):
        k = [i for i, name in enumerate(names) if isinstance(name, str) and name == c]
        m = (codes == k[0]) & np.isfinite(t) if k else np.zeros(len(t), dtype=bool)
        means[c] = (t[m] * p[m]).sum() / p[m].sum() if p[m].sum() > 0 else np.nan
    if not means["urban"] > 0:
        return float("nan")
    return float(means["rural"] / means["urban"])


def underserved(minutes: NDArray[np.float64], points: pd.DataFrame, *, threshold: float,
                index: pd.Index) -> pd.Series:
    """People per unit beyond ``threshold`` minutes, those who can reach nothing included.

    Examples
    --------
    >>> pts = pd.DataFrame({"unit": ["a", "a", "b"], "people": [10.0, 30.0, 5.0]})
    >>> underserved(np.array([10.0, 20.0, np.inf]), pts, threshold=15, index=pd.Index(["a", "b", "c"])).tolist()
    [30.0, 5.0, 0.0]
    """
    if not (np.isfinite(threshold) and threshold > 0):
        raise DataError(f"threshold must be positive minutes; got {threshold!r}")
    t = np.asarray(minutes, dtype=float)
    people = points["people"].to_numpy(dtype=float)
    (beyond,) = unit_sums(points, index, np.where(t <= threshold, 0.0, people))
    return pd.Series(beyond, index=index, name=f"underserved_{threshold:g}min")


def isochrones(graph: RoadGraph, facilities: pd.DataFrame, *, minutes: Sequence[float], walk_kmh: float = 5.0,
               clip: shapely.Geometry | None = None, quad_segs: int = 8) -> gpd.GeoDataFrame:
    """Catchment polygons: for each facility and threshold T, the area from which the
    facility is reached within T minutes by road and a walk.

    Shape: every point of the reached network with a disc of the remaining time's walk.
    A road node reached in ``t`` minutes (to the facility, its off-road leg included;
    one-way streets count in the travel direction) gets a disc of radius
    ``(T - t) x walk_kmh``; a point on a road segment u -> v whose end v is reached gets
    the time of driving on to v, so along the segment the radius shrinks linearly and the
    union of its discs is the convex hull of the discs at its two ends (cut where the time
    runs out). The polygon is clipped to ``clip`` (the study area) when given. It reaches
    no further than a drive and a walk can (the old hull-and-buffer shape covered up to
    twice the area within T). Facilities whose reach is empty get no polygon. (The
    pipeline draws isochrones from its travel-time raster instead: the cells within T.)

    Examples
    --------
    >>> import shapely
    >>> from urbanrural.analysis.accessibility.network import build_graph
    >>> roads = gpd.GeoDataFrame({"speed_kmh": [60.0]}, crs=32650,
    ...                          geometry=[shapely.segmentize(shapely.LineString([(0, 0), (20000, 0)]), 1000)])
    >>> iso = isochrones(build_graph(roads), pd.DataFrame({"x": [0.0], "y": [0.0]}, index=["h"]), minutes=[5, 10])
    >>> iso[["facility", "minutes"]].to_dict("records"), round(iso.geometry.iloc[0].bounds[2])  # 5 km on the road
    ([{'facility': 'h', 'minutes': 5.0}, {'facility': 'h', 'minutes': 10.0}], 5000)
    """
    f = snap(graph, facilities, name="facilities")
    ids = facilities.index
    ths = _thresholds(minutes)
    if not walk_kmh > 0:
        raise DataError(f"walk_kmh must be positive km/h; got {walk_kmh!r}")
    per_min = walk_kmh * 1000 / 60
    legs = f.distance_m / per_min
    fw = graph.matrix.tocoo()
    u, v, w = fw.row.astype(np.intp), fw.col.astype(np.intp), fw.data.astype(float)
    rows = []
    for k in range(len(f.node)):
        if legs[k] > ths[-1]:
            continue
        d = dijkstra(graph.reverse, directed=True, indices=int(f.node[k]), limit=ths[-1] - legs[k]) + legs[k]
        for th in ths:
            reach = np.flatnonzero(d <= th)
            if len(reach) == 0:
                continue
            radius = (th - d[reach]) * per_min
            parts = [shapely.buffer(shapely.points(graph.xy[reach[radius > 0]]), radius[radius > 0],
                                    quad_segs=quad_segs)]
            on = (d[v] < th) & (w > 0)
            if on.any():  # road segments u -> v driven towards a reached v
                uu, vv, ww = u[on], v[on], w[on]
                frac = np.clip((th - d[vv]) / ww, 0.0, 1.0)
                q = graph.xy[vv] + frac[:, None] * (graph.xy[uu] - graph.xy[vv])
                r_q = np.maximum((th - d[vv] - frac * ww) * per_min, 1e-3)
                ends = shapely.union(shapely.buffer(shapely.points(graph.xy[vv]), (th - d[vv]) * per_min,
                                                    quad_segs=quad_segs),
                                     shapely.buffer(shapely.points(q), r_q, quad_segs=quad_segs))
                parts.append(shapely.convex_hull(ends))
            geom = shapely.union_all(np.concatenate(parts))
            if clip is not None:
                geom = shapely.intersection(geom, clip)
            if geom.is_empty:
                continue
            rows.append({"facility": ids[k], "minutes": th, "geometry": geom})
    if not rows:
        return gpd.GeoDataFrame({"facility": pd.Series([], dtype=object), "minutes": pd.Series([], dtype=float)},
                                geometry=gpd.GeoSeries([], crs=graph.crs), crs=graph.crs)
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=graph.crs)
