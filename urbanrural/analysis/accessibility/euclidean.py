"""Straight-line travel time with a circuity factor, for studies without roads.

minutes = distance_m x circuity / (speed_kmh x 1000 / 60). A circuity of about 1.2-1.4
is typical of rural road networks (Ballou et al. 2002); the default 1.3 is a stated
assumption, recorded in run.json. Distances need a projected metric CRS: GeoDataFrames
in a geographic CRS, or ``crs=`` naming one, are refused.

:func:`straight_line_km` gives the per-unit ``dist_<category>_km`` columns from the same
demand points as the travel times (:func:`.demand.demand_points`): with raster demand
the population-weighted mean over the unit's populated cells of the straight-line
distance to the nearest facility, with centroid demand the distance from the unit point;
a unit without people takes the distance from its unit point.

Examples
--------
>>> import numpy as np
>>> t = nearest_minutes(np.array([[0.0, 0.0]]), np.array([[3000.0, 4000.0]]), speed_kmh=30, circuity=1.2)
>>> float(t[0])  # 5 km x 1.2 at 30 km/h
12.0
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from ...geo.crs import require_projected, require_same_crs
from ...geo.errors import DataError
from ...geo.raster import RasterInfo
from . import _od
from ._od import ODMatrix
from .demand import UNIT_POINT_RULE, demand_points, points_xy, unit_values

__all__ = ["minutes_per_metre", "nearest_minutes", "od_table", "straight_line_km", "straight_line_variant"]


def minutes_per_metre(*, speed_kmh: float, circuity: float) -> float:
    """Minutes per straight-line metre: ``circuity / (speed_kmh * 1000 / 60)``.

    Examples
    --------
    >>> minutes_per_metre(speed_kmh=60, circuity=1.0)
    0.001
    """
    if not (np.isfinite(speed_kmh) and speed_kmh > 0):
        raise DataError(f"speed_kmh must be positive km/h; got {speed_kmh!r}")
    if not (np.isfinite(circuity) and circuity >= 1):
        raise DataError(f"circuity must be >= 1 (a road is never shorter than the straight line); got {circuity!r}")
    return circuity / (speed_kmh * 1000.0 / 60.0)


def _xy(points: object, name: str, crs: object) -> tuple[NDArray[np.float64], pd.Index]:
    if crs is not None:
        require_projected(crs, name=name, what="straight-line distances")
    return points_xy(points, name=name, crs=crs)


def nearest_minutes(origins: object, facilities: object, *, speed_kmh: float = 30.0, circuity: float = 1.3,
                    crs: object = None) -> NDArray[np.float64]:
    """Minutes from each origin to its nearest facility (``inf`` when there is none).

    ``origins``/``facilities``: (n, 2) arrays in metres, DataFrames with ``x``/``y``, or
    GeoDataFrames in a projected CRS; ``crs`` (optional) is the CRS of plain coordinates
    and must be projected.

    Examples
    --------
    >>> nearest_minutes(np.array([[0.0, 0.0]]), np.empty((0, 2))).tolist()
    [inf]
    """
    per_m = minutes_per_metre(speed_kmh=speed_kmh, circuity=circuity)
    pts, _ = _xy(origins, "origins", crs)
    fac, _ = _xy(facilities, "facilities", crs)
    if len(fac) == 0:
        return np.full(len(pts), np.inf)
    d, _ = cKDTree(fac).query(pts, workers=-1)
    d *= per_m
    return d


def od_table(origins: object, facilities: object, *, max_cost: float, speed_kmh: float = 30.0,
             circuity: float = 1.3, crs: object = None, compact: bool = False,
             block: int = 16_384) -> pd.DataFrame | ODMatrix:
    """Sparse OD table (origin, destination, cost minutes) of pairs within ``max_cost``.

    Origins are taken in blocks of ``block``; each block's pairs come from
    ``cKDTree.sparse_distance_matrix`` against the facilities' tree with ``max_distance =
    max_cost / minutes per metre`` (no dense matrix), sorted by origin then facility and
    appended to the compact table, so memory is ~12 bytes a pair plus one block.

    Parameters
    ----------
    origins, facilities
        (n, 2) arrays in metres, DataFrames with ``x``/``y`` (indexed by their ids) or
        GeoDataFrames in a projected CRS.
    max_cost : float
        Minutes.
    speed_kmh, circuity, crs
        As :func:`nearest_minutes`.
    compact : bool, default False
        Return the :class:`~._od.ODMatrix` (int32 facility positions, float64 minutes, CSR
        by origin) instead of a DataFrame of ids; every measure in :mod:`.fca` and
        :mod:`.raam` takes either.
    block : int, default 16384
        Origins per block.

    Returns
    -------
    DataFrame or ODMatrix
        Pairs sorted by origin then facility (positions in the inputs).

    Examples
    --------
    >>> o = pd.DataFrame({"x": [0.0, 9000.0], "y": [0.0, 0.0]}, index=["a", "b"])
    >>> f = pd.DataFrame({"x": [600.0], "y": [800.0]}, index=["h"])
    >>> od_table(o, f, max_cost=10, speed_kmh=6, circuity=1.0).round(6).to_dict("records")
    [{'origin': 'a', 'destination': 'h', 'cost': 10.0}]
    >>> od_table(o, f, max_cost=10, speed_kmh=6, circuity=1.0, compact=True)
    ODMatrix(1 pairs, 2 origins x 1 destinations, 0.0 MB)
    """
    per_m = minutes_per_metre(speed_kmh=speed_kmh, circuity=circuity)
    if not (np.isfinite(max_cost) and max_cost > 0):
        raise DataError(f"max_cost must be positive minutes; got {max_cost!r}")
    if int(block) < 1:
        raise DataError(f"block must be a positive number of origins; got {block!r}")
    oxy, oid = _xy(origins, "origins", crs)
    fxy, fid = _xy(facilities, "facilities", crs)
    n = len(oxy)
    if len(fxy) >= 2**31:
        raise DataError("more than 2**31 facilities do not fit the compact OD table")
    indptr = np.zeros(n + 1, dtype=np.int64)
    out = _od.Growing(0)
    if n and len(fxy):
        ftree = cKDTree(fxy)
        radius = max_cost / per_m
        for a in range(0, n, int(block)):
            b = min(a + int(block), n)
            m = cKDTree(oxy[a:b]).sparse_distance_matrix(ftree, max_distance=radius, output_type="ndarray")
            cost = m["v"] * per_m
            keep = cost <= max_cost  # float rounding at the bound
            part = _od.from_pairs(m["i"][keep], m["j"][keep], cost[keep], pd.RangeIndex(b - a), fid)
            del m, cost, keep
            indptr[a + 1:b + 1] = part.indptr[1:] + out.n
            out.append(part.dest, part.cost)
    dest, cost = out.finish()
    od = ODMatrix(indptr, dest, cost, oid, fid)
    return od if compact else od.to_frame()


def straight_line_variant(demand: str) -> str:
    """The run.json text of :func:`straight_line_km` for the demand variant actually used."""
    point = f"the unit point ({UNIT_POINT_RULE})"
    if demand == "raster":
        how = ("population-weighted mean over the unit's populated cells (cell centres) of the distance to the "
               f"nearest facility; a unit without people: from {point}")
    elif demand == "weighted_centroid":
        how = (f"from the unit's population-weighted centroid of its cells; a unit without people: from {point}")
    else:
        how = f"from {point}"
    return f"straight line (km, analysis CRS) to the nearest facility of each category, {how}"


def straight_line_km(units: gpd.GeoDataFrame, facilities: gpd.GeoDataFrame, *, population: RasterInfo | None = None,
                     demand: str = "raster", people: pd.Series | None = None,
                     points: pd.DataFrame | None = None) -> pd.DataFrame:
    """Straight-line km from each unit's demand points to the nearest facility of each category.

    Parameters
    ----------
    units : GeoDataFrame
        Analysis units, projected metric CRS.
    facilities : GeoDataFrame
        Points with a ``category`` column, in the units' CRS.
    population : RasterInfo, optional
        Population raster; needed for ``demand="raster"`` / ``"weighted_centroid"`` (without
        it every unit uses its unit point).
    demand : {"raster", "centroid", "weighted_centroid"}, default "raster"
        The demand points (see :func:`.demand.demand_points`); the accessibility default.
    people : Series, optional
        People per unit for ``demand="centroid"`` (weights only; one point per unit).
    points : DataFrame, optional
        Demand points already made by :func:`.demand.demand_points` (then ``population``,
        ``demand`` and ``people`` are not used): the accessibility step passes its own,
        so distances and travel times come from the same points.

    Returns
    -------
    DataFrame
        ``dist_<category>_km`` per category (order of first appearance), on the units' index;
        NaN only for a category without facilities.

    Examples
    --------
    >>> import shapely
    >>> u = gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 2000, 2000)], index=["a"], crs=32650)
    >>> f = gpd.GeoDataFrame({"category": ["clinic"]}, geometry=[shapely.Point(4000, 1000)], crs=32650)
    >>> straight_line_km(u, f).round(3).to_dict("records")
    [{'dist_clinic_km': 3.0}]
    """
    require_same_crs(units, facilities, names=("units", "facilities"))
    require_projected(units.crs, name="units", what="straight-line distances")
    if "category" not in facilities.columns:
        raise DataError("facilities have no category column; read them with read_facilities(..., category=...)")
    if points is None:
        points, _ = demand_points(units, how=demand, raster=population, people=people)
    pxy = points[["x", "y"]].to_numpy(dtype=float)
    cats = facilities["category"].astype(str)
    out: dict[str, pd.Series] = {}
    for cat in pd.unique(cats):
        fac = facilities[(cats == cat).to_numpy()]
        fxy = np.column_stack([fac.geometry.x.to_numpy(dtype=float), fac.geometry.y.to_numpy(dtype=float)])
        fxy = fxy[np.isfinite(fxy).all(axis=1)]
        if len(fxy) == 0:
            out[f"dist_{cat}_km"] = pd.Series(np.nan, index=units.index)
            continue
        km = cKDTree(fxy).query(pxy, workers=-1)[0] / 1000.0 if len(pxy) else np.empty(0)
        out[f"dist_{cat}_km"] = unit_values(km, points, index=units.index)["mean"]
    return pd.DataFrame(out, index=units.index)
