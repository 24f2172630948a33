"""Demand points (where people are) and aggregation of per-point measures to units.

- :func:`from_raster`: one point per non-empty population cell (cell centre), weight =
  people, assigned to the unit containing the centre;
- :func:`from_centroids`: one point per unit (its :func:`unit_points` point: the centroid,
  or the representative point when the centroid falls outside the unit), weight = the
  unit's population;
- :func:`from_weighted_centroids`: one point per unit at the population-weighted mean of
  its cell centres;
- :func:`demand_points`: one of the three, plus a zero-people point (the unit point) for
  every unit without people, so that every unit gets a value from the same points.

:func:`aggregate` turns per-point travel times into population-weighted unit means
(over people with a finite time) and the people who cannot reach anything;
:func:`unit_values` adds the value of units without people (from their point) and the
``reach`` label (``"ok"``, ``"unreachable"``, ``"no people"``).

Examples
--------
>>> import pandas as pd, numpy as np
>>> pts = pd.DataFrame({"unit": ["a", "a", "b"], "people": [10.0, 30.0, 5.0]})
>>> aggregate(np.array([10.0, 20.0, np.inf]), pts, index=pd.Index(["a", "b"]))["mean"].to_dict()
{'a': 17.5, 'b': nan}
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from ...geo.crs import crs_label, require_projected
from ...geo.errors import CRSError, DataError
from ...geo.raster import RasterInfo

__all__ = ["from_raster", "from_centroids", "from_weighted_centroids", "aggregate", "within_share",
           "points_xy", "unit_points", "demand_points", "unit_values", "DEMAND_MODES", "REACH_OK",
           "REACH_UNREACHABLE", "REACH_NO_PEOPLE", "UNIT_POINT_RULE"]

DEMAND_MODES = ("raster", "centroid", "weighted_centroid")
REACH_OK = "ok"
REACH_UNREACHABLE = "unreachable"
REACH_NO_PEOPLE = "no people"
UNIT_POINT_RULE = ("unit centroid, or the representative point (shapely point_on_surface, always inside) when "
                   "the centroid is not inside the unit (a crescent, a multipart unit, a centroid in a hole)")


def points_xy(points: object, *, name: str, crs: object = None) -> tuple[NDArray[np.float64], pd.Index]:
    """Coordinates (n, 2) and ids of points given as a GeoDataFrame/GeoSeries of points, a
    DataFrame with ``x`` and ``y`` columns, or an (n, 2) array (ids 0..n-1).

    A geometry input must be in a projected metric CRS and, when ``crs`` is given, in that
    same CRS (raises :class:`CRSError` naming ``name``). Non-finite coordinates raise
    :class:`DataError`.

    Examples
    --------
    >>> xy, ids = points_xy(pd.DataFrame({"x": [1.0], "y": [2.0]}, index=["a"]), name="origins")
    >>> xy.tolist(), list(ids)
    ([[1.0, 2.0]], ['a'])
    """
    if isinstance(points, (gpd.GeoDataFrame, gpd.GeoSeries)):
        geom = points.geometry if isinstance(points, gpd.GeoDataFrame) else points
        require_projected(geom.crs, name=name, what="travel distances")
        if crs is not None and not geom.crs.equals(crs):
            raise CRSError(f"{name} is in {crs_label(geom.crs)} but the roads are in {crs_label(crs)}; "
                           f"reproject {name} with .to_crs(roads.crs)")
        if len(geom) and not (geom.geom_type == "Point").all():
            pts = unit_points(gpd.GeoDataFrame(geometry=geom, crs=geom.crs))  # the one rule for a unit's point
            geom = gpd.GeoSeries(gpd.points_from_xy(pts["x"], pts["y"]), index=geom.index, crs=geom.crs)
        xy = np.column_stack([geom.x.to_numpy(dtype=float), geom.y.to_numpy(dtype=float)]) if len(geom) \
            else np.empty((0, 2))
        ids = points.index
    elif isinstance(points, pd.DataFrame):
        missing = [c for c in ("x", "y") if c not in points.columns]
        if missing:
            raise DataError(f"{name} has no column(s) {missing}; give x and y in metres, or pass a GeoDataFrame")
        xy = points[["x", "y"]].to_numpy(dtype=float)
        ids = points.index
    else:
        xy = np.asarray(points, dtype=float).reshape(-1, 2)
        ids = pd.RangeIndex(len(xy))
    bad = ~np.isfinite(xy).all(axis=1)
    if bad.any():
        raise DataError(f"{name}: {int(bad.sum())} point(s) have missing or infinite coordinates; drop or fix them")
    return xy, ids


def from_raster(info: RasterInfo, units: gpd.GeoDataFrame, *, zonal: str = "exact") -> pd.DataFrame:
    """Points (x, y, people, unit, row, col) at the centres of populated cells in the units.

    The people are the population's own zonal rule (:func:`urbanrural.geo.zonal.cell_people`):
    ``zonal="exact"`` shares a cell among the units it overlaps by covered fraction (a cell
    on a border becomes one point per unit, each at the cell centre with its share), so the
    demand points of a unit add up to its population exactly; ``"centre"`` gives each cell
    to the unit holding its centre.  Only the units' window is read.  Nodata, zero and
    negative cells are skipped.  The index is the cell number ``row * width + col`` in the
    full raster (repeated for a shared cell).

    Examples
    --------
    >>> import tempfile, pathlib, rasterio, geopandas as gpd, shapely
    >>> from rasterio.transform import from_origin
    >>> from urbanrural.geo.raster import open_raster
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "pop.tif"
    >>> with rasterio.open(path, "w", driver="GTiff", width=2, height=1, count=1, dtype="float32",
    ...                    crs="EPSG:32650", transform=from_origin(0, 100, 100, 100), nodata=-1) as dst:
    ...     dst.write(np.array([[5.0, 0.0]], dtype="float32"), 1)
    >>> units = gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 200, 100)], index=["u"], crs=32650)
    >>> from_raster(open_raster(path), units)[["x", "y", "people", "unit"]].to_dict("records")
    [{'x': 50.0, 'y': 50.0, 'people': 5.0, 'unit': 'u'}]
    """
    from ...geo.zonal import cell_people

    cells = cell_people(info, units, method=zonal)
    cells = cells[cells["people"] > 0]
    out = pd.DataFrame({"x": cells["x"].to_numpy(dtype=float), "y": cells["y"].to_numpy(dtype=float),
                        "people": cells["people"].to_numpy(dtype=float), "unit": cells["unit"].to_numpy(),
                        "row": cells["row"].to_numpy(dtype=np.int64), "col": cells["col"].to_numpy(dtype=np.int64)})
    out.index = pd.Index(out["row"].to_numpy() * info.width + out["col"].to_numpy(), name="origin")
    return out


def unit_points(units: gpd.GeoDataFrame) -> pd.DataFrame:
    """The one point that stands for each unit: its centroid when the centroid lies inside
    the unit, else its representative point (``shapely.point_on_surface``, always inside).

    A centroid outside the polygon (a crescent, the gap between the parts of a multipart
    unit, a hole) would give the unit the travel time of a place in another unit, so it
    is moved inside; a centroid inside is kept (the representative point is not central:
    on large districts it can lie many kilometres from the centroid).

    Returns
    -------
    DataFrame
        ``x``, ``y`` and ``point`` (``"centroid"`` or ``"representative point"``), on the
        units' index.

    Examples
    --------
    >>> ring = shapely.box(0, 0, 300, 300).difference(shapely.box(100, 100, 200, 200))
    >>> u = gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 10, 10), ring], index=["sq", "ring"], crs=32650)
    >>> p = unit_points(u)
    >>> p["point"].tolist(), p.loc["sq", ["x", "y"]].astype(float).tolist()
    (['centroid', 'representative point'], [5.0, 5.0])
    """
    geom = np.asarray(units.geometry.to_numpy())
    cen = shapely.centroid(geom)
    inside = shapely.contains(geom, cen)
    rep = shapely.point_on_surface(geom[~inside]) if (~inside).any() else np.empty(0, dtype=object)
    pts = cen.copy()
    pts[~inside] = rep
    return pd.DataFrame({"x": shapely.get_x(pts), "y": shapely.get_y(pts),
                         "point": np.where(inside, "centroid", "representative point")}, index=units.index)


def from_centroids(units: gpd.GeoDataFrame, population: pd.Series) -> pd.DataFrame:
    """One point per unit at its :func:`unit_points` point (the centroid, moved inside
    when it falls outside the unit), weight = ``population`` (missing = 0)."""
    p = unit_points(units)
    return pd.DataFrame({"x": p["x"].to_numpy(), "y": p["y"].to_numpy(),
                         "people": population.reindex(units.index).fillna(0).to_numpy(dtype=float),
                         "unit": units.index.to_numpy()}, index=pd.Index(units.index, name="origin"))


def from_weighted_centroids(cells: pd.DataFrame, units: gpd.GeoDataFrame) -> pd.DataFrame:
    """One point per unit at the population-weighted mean of its cells (``from_raster`` output);
    units without people fall back to their :func:`unit_points` point. The weighted mean
    of a non-convex unit may lie outside it; it is kept (it is the population centre)."""
    w = cells["people"]
    g = cells.assign(wx=cells["x"] * w, wy=cells["y"] * w).groupby("unit")[["wx", "wy", "people"]].sum()
    base = from_centroids(units, g["people"])
    has = g.index[g["people"] > 0]
    base.loc[has, "x"] = (g.loc[has, "wx"] / g.loc[has, "people"]).to_numpy()
    base.loc[has, "y"] = (g.loc[has, "wy"] / g.loc[has, "people"]).to_numpy()
    return base


def aggregate(values: NDArray[np.float64], points: pd.DataFrame, *, index: pd.Index) -> pd.DataFrame:
    """Per unit, from one value per demand point (a travel time, an FCA score...).

    Columns: ``mean``, the population-weighted mean over people with a finite value
    (NaN when nobody in the unit has one); ``unreachable``, people whose value is
    infinite (no reachable facility); ``people``; ``reachable_share``, the share of the
    unit's people with a finite value. NaN values are refused, never averaged away.

    Examples
    --------
    >>> pts = pd.DataFrame({"unit": ["a", "a", "a"], "people": [10.0, 30.0, 60.0]})
    >>> aggregate(np.array([10.0, 20.0, np.inf]), pts, index=pd.Index(["a"])).loc["a"].to_dict()
    {'mean': 17.5, 'unreachable': 60.0, 'people': 100.0, 'reachable_share': 0.4}
    """
    t = np.asarray(values, dtype=float)
    if len(t) != len(points):
        raise DataError(f"got {len(t)} values for {len(points)} demand points; give one value per point")
    if np.isnan(t).any():
        raise DataError(f"{int(np.isnan(t).sum())} demand point value(s) are NaN; use inf for 'no facility "
                        "reachable' and fix the rest")
    finite = np.isfinite(t)
    people = points["people"].to_numpy(dtype=float)
    frame = pd.DataFrame({"unit": points["unit"].to_numpy(), "wt": np.where(finite, t, 0.0) * people,
                          "reach": np.where(finite, people, 0.0), "people": people})
    g = frame.groupby("unit")[["wt", "reach", "people"]].sum().reindex(index).fillna(0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(g["reach"] > 0, g["wt"] / g["reach"], np.nan)
        share = np.where(g["people"] > 0, g["reach"] / g["people"], np.nan)
    return pd.DataFrame({"mean": mean, "unreachable": g["people"] - g["reach"], "people": g["people"],
                         "reachable_share": share}, index=index)


def within_share(minutes: NDArray[np.float64], points: pd.DataFrame, *, threshold: float,
                 index: pd.Index) -> pd.DataFrame:
    """Per unit: people within ``threshold`` minutes (``within``), people beyond it,
    unreachable ones included (``beyond``), and ``share`` = within / people.

    Examples
    --------
    >>> pts = pd.DataFrame({"unit": ["a", "a", "b"], "people": [10.0, 30.0, 5.0]})
    >>> within_share(np.array([10.0, 20.0, np.inf]), pts, threshold=15, index=pd.Index(["a", "b"]))["share"].tolist()
    [0.25, 0.0]
    """
    if not (np.isfinite(threshold) and threshold > 0):
        raise DataError(f"threshold must be positive minutes; got {threshold!r}")
    t = np.asarray(minutes, dtype=float)
    people = points["people"].to_numpy(dtype=float)
    frame = pd.DataFrame({"unit": points["unit"].to_numpy(), "within": np.where(t <= threshold, people, 0.0),
                          "people": people})
    g = frame.groupby("unit")[["within", "people"]].sum().reindex(index).fillna(0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(g["people"] > 0, g["within"] / g["people"], np.nan)
    return pd.DataFrame({"within": g["within"], "beyond": g["people"] - g["within"], "share": share}, index=index)


def demand_points(units: gpd.GeoDataFrame, *, how: str = "raster", raster: RasterInfo | None = None,
                  zonal: str = "exact",
                  people: pd.Series | None = None) -> tuple[pd.DataFrame, str]:
    """The demand points of a study, with a zero-people point for every unit without people.

    Parameters
    ----------
    units : GeoDataFrame
        Analysis units in a projected metric CRS.
    how : {"raster", "centroid", "weighted_centroid"}
        ``"raster"``: the centres of populated cells (:func:`from_raster`);
        ``"centroid"``: one :func:`unit_points` point per unit weighted by ``people``;
        ``"weighted_centroid"``: the population-weighted mean of each unit's cells. Without
        a ``raster`` the first and last fall back to ``"centroid"``.
    raster : RasterInfo, optional
        The population raster.
    zonal : {"exact", "centre"}, default "exact"
        How cells are shared among units (as the population's zonal sums).
    people : Series, optional
        People per unit for ``"centroid"`` (default: 1 per unit).

    Returns
    -------
    (DataFrame, str)
        Points ``x``, ``y``, ``people``, ``unit``, ``row``, ``col`` (the population cell,
        -1 for points that are not cells) and ``fallback`` (True for the point of a unit
        without people: people 0, it gives the unit a value and weighs nothing in any
        total), indexed 0..n-1 (``origin``); and the variant actually used
        (``"raster"``, ``"centroid"`` or ``"weighted_centroid"``).

    Examples
    --------
    >>> u = gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 10, 10), shapely.box(10, 0, 20, 10)],
    ...                      index=["a", "b"], crs=32650)
    >>> pts, used = demand_points(u, how="centroid", people=pd.Series({"a": 3.0, "b": 0.0}))
    >>> used, pts[["x", "people", "unit", "fallback"]].to_dict("records")
    ('centroid', [{'x': 5.0, 'people': 3.0, 'unit': 'a', 'fallback': False}, {'x': 15.0, 'people': 0.0, 'unit': 'b', 'fallback': True}])
    """
    if how not in DEMAND_MODES:
        raise DataError(f"demand must be one of {', '.join(DEMAND_MODES)}; got {how!r}")
    if how != "centroid" and raster is None:
        how = "centroid"
    if how == "raster":
        pts = from_raster(raster, units, zonal=zonal).reset_index(drop=True)
    elif how == "weighted_centroid":
        pts = from_weighted_centroids(from_raster(raster, units, zonal=zonal), units).reset_index(drop=True)
    else:
        ppl = people if people is not None else pd.Series(1.0, index=units.index)
        pts = from_centroids(units, ppl).reset_index(drop=True)
    for c in ("row", "col"):
        pts[c] = pts[c].astype(np.int64) if c in pts.columns else np.int64(-1)
    pts = pts[pts["people"] > 0] if how == "raster" else pts
    has = pd.Index(pd.unique(pts.loc[pts["people"] > 0, "unit"]))
    empty = units.index[~units.index.isin(has)]
    pts = pts.assign(fallback=pts["people"] <= 0)
    if how == "raster" and len(empty):
        up = unit_points(units.loc[empty])
        extra = pd.DataFrame({"x": up["x"].to_numpy(), "y": up["y"].to_numpy(), "people": 0.0,
                              "unit": empty.to_numpy(), "row": np.int64(-1), "col": np.int64(-1), "fallback": True})
        pts = pd.concat([pts, extra], ignore_index=True)
    pts = pts.reset_index(drop=True)
    pts.index.name = "origin"
    return pts, how


def unit_values(values: NDArray[np.float64], points: pd.DataFrame, *, index: pd.Index) -> pd.DataFrame:
    """Per unit, from one value per :func:`demand_points` point: :func:`aggregate`'s columns
    plus the value of units without people and a ``reach`` label.

    ``mean``: the population-weighted mean over the unit's people with a finite value;
    for a unit without people, the value at its ``fallback`` point. ``reach``:
    ``"ok"`` (a finite mean from people), ``"no people"`` (no people; the value is its
    point's) or ``"unreachable"`` (``mean`` is NaN: none of its people, or for a unit
    without people its point, can reach a facility). ``mean`` is NaN exactly when
    ``reach`` is ``"unreachable"`` (given a point for every unit, as
    :func:`demand_points` makes).

    Examples
    --------
    >>> pts = pd.DataFrame({"unit": ["a", "a", "b", "c"], "people": [10.0, 30.0, 0.0, 5.0],
    ...                     "fallback": [False, False, True, False]})
    >>> v = unit_values(np.array([10.0, 20.0, 7.0, np.inf]), pts, index=pd.Index(["a", "b", "c"]))
    >>> v["mean"].tolist(), v["reach"].tolist()
    ([17.5, 7.0, nan], ['ok', 'no people', 'unreachable'])
    """
    t = np.asarray(values, dtype=float)
    out = aggregate(t, points, index=index)
    fb = points["fallback"].to_numpy(dtype=bool) if "fallback" in points.columns else \
        (points["people"].to_numpy(dtype=float) <= 0)
    at = pd.Series(t[fb], index=points["unit"].to_numpy()[fb])
    at = at[~at.index.duplicated(keep="first")].reindex(index)
    empty = (out["people"] <= 0).to_numpy()
    mean = out["mean"].to_numpy(copy=True)
    fill = at.to_numpy(dtype=float)
    mean[empty] = np.where(np.isfinite(fill[empty]), fill[empty], np.nan)
    out["mean"] = mean
    reach = np.where(empty, REACH_NO_PEOPLE, REACH_OK).astype(object)
    reach[np.isnan(mean)] = REACH_UNREACHABLE
    out["reach"] = reach
    return out
