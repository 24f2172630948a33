"""Straight-line travel time with a circuity factor, for studies without roads.

minutes = distance_m x circuity / (speed_kmh x 1000 / 60). A circuity of about 1.2-1.4
is typical of rural road networks (Ballou et al. 2002); the default 1.3 is a stated
assumption, recorded in run.json. Distances need a projected metric CRS.

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

from ...geo.errors import DataError

__all__ = ["nearest_minutes", "od_table"]


def _check(speed_kmh: float, circuity: float) -> float:
    if not speed_kmh > 0:
        raise DataError(f"speed_kmh must be positive; got {speed_kmh!r}")
    if not circuity >= 1:
        raise DataError(f"circuity must be >= 1 (a road is never shorter than the straight line); got {circuity!r}")
    return circuity / (speed_kmh * 1000.0 / 60.0)


def nearest_minutes(origins: NDArray[np.float64], facilities: NDArray[np.float64], *, speed_kmh: float = 30.0,
                    circuity: float = 1.3) -> NDArray[np.float64]:
    """Minutes from each origin to its nearest facility (``inf`` when there is none)."""
    per_m = _check(speed_kmh, circuity)
    fac = np.asarray(facilities, dtype=float).reshape(-1, 2)
    pts = np.asarray(origins, dtype=float).reshape(-1, 2)
    if len(fac) == 0:
        return np.full(len(pts), np.inf)
    d, _ = cKDTree(fac).query(pts)
    return d * per_m


def od_table(origins: pd.DataFrame, facilities: pd.DataFrame, *, max_cost: float, speed_kmh: float = 30.0,
             circuity: float = 1.3) -> pd.DataFrame:
    """Sparse OD table of pairs within ``max_cost`` minutes (columns x, y in metres)."""
    per_m = _check(speed_kmh, circuity)
    if not max_cost > 0:
        raise DataError(f"max_cost must be positive minutes; got {max_cost!r}")
    a = cKDTree(origins[["x", "y"]].to_numpy(dtype=float))
    b = cKDTree(facilities[["x", "y"]].to_numpy(dtype=float))
    m = a.sparse_distance_matrix(b, max_distance=max_cost / per_m, output_type="coo_matrix")
    return pd.DataFrame({"origin": origins.index.to_numpy()[m.row], "destination": facilities.index.to_numpy()[m.col],
                         "cost": m.data * per_m})
