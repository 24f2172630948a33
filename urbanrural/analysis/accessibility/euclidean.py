"""Straight-line travel time with a circuity factor, for studies without roads.

minutes = distance_m x circuity / (speed_kmh x 1000 / 60). A circuity of about 1.2-1.4
is typical of rural road networks (Ballou et al. 2002); the default 1.3 is a stated
assumption, recorded in run.json. Distances need a projected metric CRS: GeoDataFrames
in a geographic CRS, or ``crs=`` naming one, are refused.

Examples
--------
>>> import numpy as np
>>> t = nearest_minutes(np.array([[0.0, 0.0]]), np.array([[3000.0, 4000.0]]), speed_kmh=30, circuity=1.2)
>>> float(t[0])  # 5 km x 1.2 at 30 km/h
12.0
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from ...geo.crs import require_projected
from ...geo.errors import DataError
from .demand import points_xy

__all__ = ["minutes_per_metre", "nearest_minutes", "od_table"]


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
    d, _ = cKDTree(fac).query(pts)
    return d * per_m


def od_table(origins: object, facilities: object, *, max_cost: float, speed_kmh: float = 30.0,
             circuity: float = 1.3, crs: object = None) -> pd.DataFrame:
    """Sparse OD table (origin, destination, cost minutes) of pairs within ``max_cost``.

    Uses ``cKDTree.sparse_distance_matrix`` with ``max_distance = max_cost / minutes per
    metre``, so no dense matrix is built.

    Examples
    --------
    >>> o = pd.DataFrame({"x": [0.0, 9000.0], "y": [0.0, 0.0]}, index=["a", "b"])
    >>> f = pd.DataFrame({"x": [600.0], "y": [800.0]}, index=["h"])
    >>> od_table(o, f, max_cost=10, speed_kmh=6, circuity=1.0).round(6).to_dict("records")
    [{'origin': 'a', 'destination': 'h', 'cost': 10.0}]
    """
    per_m = minutes_per_metre(speed_kmh=speed_kmh, circuity=circuity)
    if not (np.isfinite(max_cost) and max_cost > 0):
        raise DataError(f"max_cost must be positive minutes; got {max_cost!r}")
    oxy, oid = _xy(origins, "origins", crs)
    fxy, fid = _xy(facilities, "facilities", crs)
    if len(oxy) == 0 or len(fxy) == 0:
        return pd.DataFrame({"origin": oid[:0], "destination": fid[:0], "cost": np.empty(0)})
    m = cKDTree(oxy).sparse_distance_matrix(cKDTree(fxy), max_distance=max_cost / per_m, output_type="ndarray")
    cost = m["v"] * per_m
    keep = cost <= max_cost  # float rounding at the bound
    oi, fi = m["i"][keep].astype(np.intp), m["j"][keep].astype(np.intp)
    order = np.lexsort((fi, oi))
    return pd.DataFrame({"origin": oid.to_numpy()[oi[order]], "destination": fid.to_numpy()[fi[order]],
                         "cost": cost[keep][order]})
