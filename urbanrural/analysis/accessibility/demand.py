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
per-unit sums go through integer unit codes (``unit_code``, set by
:func:`demand_points` or :func:`set_unit_codes`) and ``np.bincount``, not text ids;
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
           "REACH_UNREACHABLE", "REACH_NO_PEOPLE", "UNIT_POINT_RULE", "UNIT_CODE", "set_unit_codes",
           "unit_sums", "unit_column", "units_key"]

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


def from_raster(info: RasterInfo, units: gpd.GeoDataFrame, *, zonal: str = "exact",
                codes: bool = False) -> pd.DataFrame:
    """Points (x, y, people, unit, row, col) at the centres of populated cells in the units.

    The people are the population's own zonal rule (:func:`urbanrural.geo.zonal.cell_people`):
    ``zonal="exact"`` shares a cell among the units it overlaps by covered fraction (a cell
    on a border becomes one point per unit, each at the cell centre with its share), so the
    demand points of a unit add up to its population exactly; ``"centre"`` gives each cell
    to the unit holding its centre.  Only the units' window is read.  Nodata, zero and
    negative cells are skipped.  The index is the cell number ``row * width + col`` in the
    full raster (repeated for a shared cell).  ``codes=True`` adds ``unit_code``, the
    position of the unit in ``units`` (see :func:`set_unit_codes`).

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

    cells = cell_people(info, units, method=zonal, codes=codes)
    keep = cells["people"].to_numpy(dtype=float) > 0
    if not keep.all():
        cells = cells.loc[keep]
    cols = ["x", "y", "people", "unit", "row", "col"] + ([UNIT_CODE] if codes else [])
    out = cells[cols].copy()
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


# ---------------------------------------------------------------- unit codes
UNIT_CODE = "unit_code"
_UNITS_KEY = "urbanrural_units_key"  # points.attrs: fingerprint of the units' index the codes refer to


def units_key(index: pd.Index) -> int:
    """An order-sensitive fingerprint of a units' index (labels and their order).

    Examples
    --------
    >>> units_key(pd.Index(["a", "b"])) == units_key(pd.Index(["a", "b"])) != units_key(pd.Index(["b", "a"]))
    True
    """
    h = pd.util.hash_pandas_object(index, index=False).to_numpy(dtype=np.uint64)
    odd = np.arange(len(h), dtype=np.uint64) * np.uint64(2) + np.uint64(1)
    return int((h * odd).sum(dtype=np.uint64)) ^ len(h)


def set_unit_codes(points: pd.DataFrame, index: pd.Index) -> pd.DataFrame:
    """``points`` with ``unit_code`` = the position of each point's ``unit`` in ``index``
    (-1 when not in it), remembered as belonging to ``index``: the per-unit sums of
    :func:`aggregate`, :func:`unit_values`, :func:`within_share` and
    :func:`~urbanrural.analysis.accessibility.coverage.underserved` then use it instead
    of matching text ids (one ``np.bincount`` per sum). :func:`demand_points` sets it.
    If you change ``points["unit"]`` afterwards, call this again.

    Examples
    --------
    >>> pts = set_unit_codes(pd.DataFrame({"unit": ["b", "a", "z"]}), pd.Index(["a", "b"]))
    >>> pts["unit_code"].tolist()
    [1, 0, -1]
    """
    out = points.copy(deep=False)
    out[UNIT_CODE] = _lookup(points["unit"], index)
    out.attrs[_UNITS_KEY] = units_key(index)
    return out


def _lookup(labels: pd.Series, index: pd.Index) -> NDArray[np.intp]:
    uniq = index if index.is_unique else index.unique()
    codes = uniq.get_indexer(pd.Index(labels.to_numpy()))
    missing = labels.isna().to_numpy()
    if missing.any():  # groupby leaves missing ids out
        codes[missing] = -1
    return codes.astype(np.intp, copy=False)


def _codes(points: pd.DataFrame, index: pd.Index, uniq: pd.Index) -> NDArray[np.intp]:
    """Positions of the points' units in ``uniq`` (``index`` without repeats): the
    ``unit_code`` column when it was made for ``index``, else by matching labels."""
    if UNIT_CODE in points.columns and uniq is index and points.attrs.get(_UNITS_KEY) == units_key(index):
        return points[UNIT_CODE].to_numpy(dtype=np.intp)
    return _lookup(points["unit"], uniq)


def unit_column(points: pd.DataFrame, values: pd.Series) -> NDArray:
    """One value per point: each point's unit's entry of ``values`` (a Series on the units'
    index; missing for points of units not in it), by ``unit_code`` when it was made for that
    index (no text-id matching over millions of points).

    Examples
    --------
    >>> pts = set_unit_codes(pd.DataFrame({"unit": ["b", "a", "z"]}), pd.Index(["a", "b"]))
    >>> unit_column(pts, pd.Series(["urban", "rural"], index=["a", "b"])).tolist()
    ['rural', 'urban', nan]
    """
    index = values.index
    uniq = index if index.is_unique else index.unique()
    codes = _codes(points, index, uniq)
    vals = values.to_numpy() if uniq is index else values[~index.duplicated()].to_numpy()
    out = np.take(vals, np.clip(codes, 0, None)) if len(vals) else np.full(len(codes), np.nan, dtype=object)
    if (codes < 0).any():
        out = out.astype(object) if out.dtype.kind not in "fcO" else out.copy()
        out[codes < 0] = np.nan
    return out


def unit_sums(points: pd.DataFrame, index: pd.Index, *weights: NDArray[np.float64]) -> list[NDArray[np.float64]]:
    """Per-unit sums of each of ``weights`` (one value per point) on ``index``
    (0 for units without points; points of units not in ``index`` left out).

    Uses ``points["unit_code"]`` when it was made for this ``index``
    (:func:`set_unit_codes`), else matches ``points["unit"]`` once for all ``weights``.

    Examples
    --------
    >>> pts = pd.DataFrame({"unit": ["a", "b", "a"]})
    >>> unit_sums(pts, pd.Index(["b", "a", "c"]), np.array([1.0, 2.0, 3.0]))[0].tolist()
    [2.0, 4.0, 0.0]
    """
    uniq = index if index.is_unique else index.unique()
    codes = _codes(points, index, uniq)
    ok = codes >= 0
    every = bool(ok.all())
    c = codes if every else codes[ok]
    out = []
    for w in weights:
        w = np.asarray(w, dtype=float)
        sums = np.bincount(c, weights=w if every else w[ok], minlength=len(uniq)).astype(float, copy=False)
        out.append(sums if uniq is index else sums[uniq.get_indexer(index)])
    return out


def _first_at(points: pd.DataFrame, index: pd.Index, mask: NDArray[np.bool_],
              values: NDArray[np.float64]) -> NDArray[np.float64]:
    """Per unit on ``index``: the value of its first point where ``mask`` holds (NaN if none)."""
    sub = points.loc[mask] if not mask.all() else points
    uniq = index if index.is_unique else index.unique()
    codes = _codes(sub, index, uniq)
    vals = np.asarray(values, dtype=float)[mask]
    ok = codes >= 0
    first, at = np.unique(codes[ok], return_index=True)
    out = np.full(len(uniq), np.nan)
    out[first] = vals[ok][at]
    return out if uniq is index else out[uniq.get_indexer(index)]



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
    wt, reach, lost, ppl = unit_sums(points, index, np.where(finite, t, 0.0) * people,
                                     np.where(finite, people, 0.0), np.where(finite, 0.0, people), people)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(reach > 0, wt / reach, np.nan)
        share = np.where(ppl > 0, reach / ppl, np.nan)
    return pd.DataFrame({"mean": mean, "unreachable": lost, "people": ppl, "reachable_share": share},
                        index=index)


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
    near = t <= threshold
    within, beyond, ppl = unit_sums(points, index, np.where(near, people, 0.0), np.where(near, 0.0, people), people)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(ppl > 0, within / ppl, np.nan)
    return pd.DataFrame({"within": within, "beyond": beyond, "share": share}, index=index)


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
        -1 for points that are not cells), ``fallback`` (True for the point of a unit
        without people: people 0, it gives the unit a value and weighs nothing in any
        total) and ``unit_code`` (the unit's position in ``units``, used by the per-unit
        sums, see :func:`set_unit_codes`), indexed 0..n-1 (``origin``); and the variant
        actually used (``"raster"``, ``"centroid"`` or ``"weighted_centroid"``).
        ``attrs["fallback_units"]``: units given their unit point because no demand point
        carries people for them (no populated cell, or, under ``zonal="centre"``, a unit
        holding no cell centre); ``attrs["fallback_smaller_than_cell"]``: how many of
        those are smaller than one population cell (raster modes; 0 otherwise).

    Every unit gets at least one point, so every unit gets a value from
    :func:`unit_values` (NaN only when its point, or all its people, reach nothing).

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
    n = len(units)
    if how == "raster":
        pts = from_raster(raster, units, zonal=zonal, codes=True).reset_index(drop=True)
    elif how == "weighted_centroid":
        pts = from_weighted_centroids(from_raster(raster, units, zonal=zonal), units).reset_index(drop=True)
        pts[UNIT_CODE] = np.arange(n, dtype=np.intp)
    else:
        ppl = people if people is not None else pd.Series(1.0, index=units.index)
        pts = from_centroids(units, ppl).reset_index(drop=True)
        pts[UNIT_CODE] = np.arange(n, dtype=np.intp)
    for c in ("row", "col"):
        pts[c] = pts[c].astype(np.int64) if c in pts.columns else np.int64(-1)
    ppl_pts = pts["people"].to_numpy(dtype=float)
    if how == "raster" and not (ppl_pts > 0).all():
        pts = pts.loc[ppl_pts > 0]
        ppl_pts = pts["people"].to_numpy(dtype=float)
    code = pts[UNIT_CODE].to_numpy(dtype=np.intp)
    has = np.zeros(n, dtype=bool)
    has[code[(ppl_pts > 0) & (code >= 0)]] = True
    pts = pts.assign(fallback=ppl_pts <= 0)
    empty = np.flatnonzero(~has)
    if how == "raster" and len(empty):
        # every unit gets a point: a unit without people (or smaller than a cell, holding no
        # cell centre under zonal "centre") gets its unit point with people 0
        up = unit_points(units.iloc[empty])
        extra = pd.DataFrame({"x": up["x"].to_numpy(), "y": up["y"].to_numpy(), "people": 0.0,
                              "unit": units.index[empty], "row": np.int64(-1), "col": np.int64(-1),
                              UNIT_CODE: empty.astype(np.intp), "fallback": True})
        pts = pd.concat([pts, extra[pts.columns]], ignore_index=True)
    pts = pts.reset_index(drop=True)
    pts.index.name = "origin"
    if pts["unit"].dtype == object and len(pts) and (pts[UNIT_CODE].to_numpy() >= 0).all():
        # one shared id object per unit, not one per point (pandas made a new str per point
        # when it joined the fallback rows: 9.8M cells held ~0.6 GB of copies of 15,000 ids)
        ids = units.index.to_numpy(dtype=object)[pts[UNIT_CODE].to_numpy(dtype=np.intp)]
        pts["unit"] = pd.Series(ids, index=pts.index, dtype=object, copy=False)
    cols = ["x", "y", "people", "unit", "row", "col", "fallback", UNIT_CODE]
    pts = pts[cols + [c for c in pts.columns if c not in cols]]
    pts.attrs = {}
    if units.index.is_unique:
        pts.attrs[_UNITS_KEY] = units_key(units.index)
    pts.attrs["fallback_units"] = int(len(empty))
    if how != "centroid" and len(empty):
        cell = abs(raster.transform.a * raster.transform.e)
        area = units.geometry.iloc[empty].to_crs(raster.crs).area.to_numpy() if units.crs is not None \
            and not units.crs.equals(raster.crs) else units.geometry.iloc[empty].area.to_numpy()
        pts.attrs["fallback_smaller_than_cell"] = int((area < cell).sum())
    else:
        pts.attrs["fallback_smaller_than_cell"] = 0
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
    fill = _first_at(points, index, fb, t)
    empty = (out["people"] <= 0).to_numpy()
    mean = out["mean"].to_numpy(copy=True)
    mean[empty] = np.where(np.isfinite(fill[empty]), fill[empty], np.nan)
    out["mean"] = mean
    reach = np.where(empty, REACH_NO_PEOPLE, REACH_OK).astype(object)
    reach[np.isnan(mean)] = REACH_UNREACHABLE
    out["reach"] = reach
    return out
