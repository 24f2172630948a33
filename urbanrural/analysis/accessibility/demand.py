"""Demand points (where people are) and aggregation of per-point measures to units.

- :func:`from_raster`: one point per non-empty population cell (cell centre), weight =
  people, assigned to the unit containing the centre;
- :func:`from_centroids`: one point per unit (representative point), weight = the unit's
  population;
- :func:`from_weighted_centroids`: one point per unit at the population-weighted mean of
  its cell centres.

:func:`aggregate` turns per-point travel times into population-weighted unit means
(over people with a finite time) and the people who cannot reach anything.

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
import rasterio.windows
import shapely
from numpy.typing import NDArray

from ...geo.crs import crs_label, require_projected
from ...geo.errors import CRSError, DataError
from ...geo.raster import RasterInfo, _window, read_masked

__all__ = ["from_raster", "from_centroids", "from_weighted_centroids", "aggregate", "within_share",
           "points_xy"]


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
            geom = geom.representative_point()
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


def from_raster(info: RasterInfo, units: gpd.GeoDataFrame) -> pd.DataFrame:
    """Points (x, y, people, unit, row, col) at the centres of populated cells inside the units.

    Cells with nodata or 0 people are skipped; a cell belongs to the unit containing its
    centre (cells whose centre falls outside every unit are left out). When the raster's
    CRS differs from the units', cell centres are reprojected as points. The index is
    the cell number ``row * width + col`` in the full raster.

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
    same = info.crs is None or units.crs is None or units.crs.equals(info.crs)
    bounds = units.total_bounds if same else units.to_crs(info.crs).total_bounds
    window = _window(info, np.asarray(bounds))
    arr = read_masked(info, window=window)
    rows, cols = np.nonzero(~np.ma.getmaskarray(arr) & (arr.filled(0) > 0))
    people = arr.data[rows, cols].astype(float)
    xs, ys = rasterio.windows.transform(window, info.transform) * (cols + 0.5, rows + 0.5)
    xs, ys = np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)
    if not same:
        pts = gpd.GeoSeries(gpd.points_from_xy(xs, ys), crs=info.crs).to_crs(units.crs)
        xs, ys = pts.x.to_numpy(), pts.y.to_numpy()
    tree = shapely.STRtree(units.geometry.to_numpy())
    pi, ui = tree.query(shapely.points(xs, ys), predicate="within")
    unit = np.full(len(xs), None, dtype=object)
    unit[pi] = units.index.to_numpy()[ui]
    inside = pd.notna(unit)
    return pd.DataFrame({"x": xs[inside], "y": ys[inside], "people": people[inside], "unit": unit[inside],
                         "row": rows[inside] + int(window.row_off), "col": cols[inside] + int(window.col_off)},
                        index=pd.Index((rows[inside] + int(window.row_off)) * info.width
                                       + cols[inside] + int(window.col_off), name="origin"))


def from_centroids(units: gpd.GeoDataFrame, population: pd.Series) -> pd.DataFrame:
    """One point per unit at its representative point (always inside the polygon)."""
    p = units.geometry.representative_point()
    return pd.DataFrame({"x": p.x.to_numpy(), "y": p.y.to_numpy(),
                         "people": population.reindex(units.index).fillna(0).to_numpy(dtype=float),
                         "unit": units.index.to_numpy()}, index=pd.Index(units.index, name="origin"))


def from_weighted_centroids(cells: pd.DataFrame, units: gpd.GeoDataFrame) -> pd.DataFrame:
    """One point per unit at the population-weighted mean of its cells (``from_raster`` output);
    units without people fall back to their representative point."""
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
    frame = pd.DataFrame({"unit": points["unit"].to_numpy(), "wt": np.where(finite, t * people, 0.0),
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
