"""Friction-surface travel time (Weiss et al. 2018; AccessMod's isotropic mode).

1. :func:`friction_surface`: minutes per metre in every cell. Off-road cells cost
   ``60 / (off_road_kmh * 1000)`` (times an optional ``penalty`` raster, e.g. slope or land
   cover factors >= 0); road cells cost ``60 / (speed_kmh * 1000)`` of the fastest road
   crossing them (roads are burned slowest first, so the fastest wins); ``barrier`` cells
   (water) are impassable (``inf``) unless a road crosses them (a bridge or ferry).
2. :func:`travel_time`: least-cost accumulation from the facility cells over the 8
   neighbours; a step between cells a and b costs ``(f_a + f_b) / 2 x`` the step length
   (cell size, or the diagonal), the rule of scikit-image ``MCP_Geometric``. The kernel
   is a heap-based Dijkstra compiled with numba (O(cells log cells), ~5 arrays of cells
   in memory); ``MCP_Geometric`` is its test oracle. Cells not reachable get ``inf``.
3. :func:`write_geotiff` (atomic; -2 = unreachable, nodata -1 outside), :func:`sample`
   (value at points) and :func:`zonal` (mean and population-weighted mean per unit).

Examples
--------
>>> import geopandas as gpd, numpy as np, shapely
>>> from rasterio.transform import from_origin
>>> roads = gpd.GeoDataFrame({"speed_kmh": [60.0]}, crs=32650,
...                          geometry=[shapely.LineString([(0, 50), (1000, 50)])])
>>> s = friction_surface(roads, transform=from_origin(0, 100, 100, 100), shape=(1, 10), crs=32650)
>>> tt = travel_time(s, np.array([[50.0, 50.0]]))
>>> round(float(tt[0, -1]), 6)  # 900 m at 60 km/h
0.9
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
import rasterio.features
from affine import Affine
from numpy.typing import NDArray
from pyproj import CRS

from ...geo.crs import crs_label, require_projected
from ...geo.errors import CRSError, DataError, RasterError
from ...geo.io import atomic_path
from . import _od
from .demand import points_xy

__all__ = ["FrictionSurface", "grid_for", "friction_surface", "travel_time", "outside_count", "sample",
           "write_geotiff", "zonal", "od_table", "UNREACHABLE", "NODATA"]

logger = logging.getLogger("urbanrural")
UNREACHABLE = -2.0  # GeoTIFF value of cells from which no facility can be reached
NODATA = -1.0  # GeoTIFF nodata (outside the study area)


@dataclass(frozen=True)
class FrictionSurface:
    """Minutes per metre on a grid.

    Attributes
    ----------
    minutes_per_m : ndarray
        (rows, cols) float64; ``inf`` = impassable.
    transform : affine.Affine
        North-up grid transform (metres).
    crs : pyproj.CRS or None
    road_cells : int
        Cells carrying a road.
    barrier_cells : int
        Impassable cells.
    """

    minutes_per_m: NDArray[np.float64]
    transform: Affine
    crs: CRS | None
    road_cells: int = 0
    barrier_cells: int = 0

    @property
    def shape(self) -> tuple[int, int]:
        return self.minutes_per_m.shape  # type: ignore[return-value]

    @property
    def cell_size(self) -> tuple[float, float]:
        """(row spacing, column spacing) in metres."""
        return abs(self.transform.e), abs(self.transform.a)


def grid_for(bounds: tuple[float, float, float, float] | NDArray[np.float64], *,
             resolution: float) -> tuple[Affine, tuple[int, int]]:
    """North-up transform and (rows, cols) of a grid of ``resolution`` metres covering ``bounds``.

    Examples
    --------
    >>> t, shape = grid_for((0, 0, 950, 420), resolution=100)
    >>> shape, (t.c, t.f)
    ((5, 10), (0.0, 500.0))
    """
    if not (np.isfinite(resolution) and resolution > 0):
        raise DataError(f"resolution must be positive metres; got {resolution!r}")
    x0, y0, x1, y1 = (float(v) for v in bounds)
    cols = max(1, math.ceil((x1 - x0) / resolution))
    rows = max(1, math.ceil((y1 - y0) / resolution))
    top = y0 + rows * resolution
    return Affine(resolution, 0.0, x0, 0.0, -resolution, top), (rows, cols)


def _check_grid(arr: object, shape: tuple[int, int], name: str) -> NDArray:
    a = np.asarray(arr)
    if a.shape != shape:
        raise RasterError(f"{name} has shape {a.shape} but the grid is {shape}; resample it to the grid first")
    return a


def friction_surface(roads: gpd.GeoDataFrame | None, *, transform: Affine, shape: tuple[int, int],
                     crs: object = None, off_road_kmh: float = 5.0, barrier: NDArray[np.bool_] | None = None,
                     penalty: NDArray[np.float64] | None = None, speed_col: str = "speed_kmh",
                     all_touched: bool = False) -> FrictionSurface:
    """Build the minutes-per-metre surface.

    Parameters
    ----------
    roads : GeoDataFrame or None
        Lines with ``speed_kmh`` in the grid's CRS (None: off-road everywhere).
    transform, shape : the grid (north-up, metres), e.g. from :func:`grid_for`.
    crs : CRS of the grid; must be projected and equal to the roads' CRS.
    off_road_kmh : float, default 5
        Walking speed off the roads.
    barrier : bool array, optional
        True = impassable (water, ...); roads crossing it stay passable (bridges).
    penalty : float array, optional
        Multiplier of the off-road friction (e.g. 1.5 on steep slopes); ``inf`` or NaN =
        impassable; must be >= 0.
    all_touched : bool, default False
        Burn every cell a road touches (rasterio), instead of the 8-connected line.

    Examples
    --------
    >>> from rasterio.transform import from_origin
    >>> s = friction_surface(None, transform=from_origin(0, 20, 10, 10), shape=(2, 2), off_road_kmh=6)
    >>> float(s.minutes_per_m[0, 0])  # 6 km/h = 100 m per minute
    0.01
    """
    if crs is not None:
        require_projected(crs, name="friction grid", what="travel times")
    if not (np.isfinite(off_road_kmh) and off_road_kmh > 0):
        raise DataError(f"off_road_kmh must be positive km/h; got {off_road_kmh!r}")
    if transform.b != 0 or transform.d != 0 or transform.e >= 0:
        raise RasterError("the friction grid must be north-up (no rotation, negative y step)")
    rows, cols = (int(v) for v in shape)
    base = np.full((rows, cols), 60.0 / (off_road_kmh * 1000.0))
    if penalty is not None:
        p = _check_grid(penalty, (rows, cols), "penalty").astype(float)
        if (p < 0).any():
            raise RasterError(f"penalty has {int((p < 0).sum())} negative cell(s); use factors >= 0 (inf = impassable)")
        base = base * np.where(np.isnan(p), np.inf, p)
    barrier_cells = 0
    if barrier is not None:
        b = _check_grid(barrier, (rows, cols), "barrier").astype(bool)
        base[b] = np.inf
    road_cells = 0
    if roads is not None and len(roads):
        if crs is not None and roads.crs is not None and not CRS.from_user_input(roads.crs).equals(
                CRS.from_user_input(crs)):
            raise CRSError(f"roads are in {crs_label(roads.crs)} but the grid is in {crs_label(crs)}; "
                           "reproject the roads with roads.to_crs(grid crs)")
        if speed_col not in roads.columns:
            raise DataError(f"roads have no {speed_col} column; read them with read_roads(..., speeds=...)")
        speed = pd.to_numeric(roads[speed_col], errors="coerce").to_numpy(dtype=float)
        bad = ~(speed > 0) | ~np.isfinite(speed)
        if bad.any():
            raise DataError(f"{int(bad.sum())} road(s) have a missing or non-positive {speed_col}; give every "
                            "class a speed (roads: speeds: {...}, default_speed: ...)")
        order = np.argsort(speed, kind="stable")  # slowest first: the fastest road is burned last and wins
        geoms = roads.geometry.to_numpy()[order]
        shapes = ((g, 60.0 / (v * 1000.0)) for g, v in zip(geoms, speed[order], strict=True)
                  if g is not None and not g.is_empty)
        burned = rasterio.features.rasterize(shapes, out_shape=(rows, cols), transform=transform, fill=np.nan,
                                             all_touched=all_touched, dtype="float64")
        on = np.isfinite(burned)
        road_cells = int(on.sum())
        base = np.where(on, burned, base)
    barrier_cells = int(np.isinf(base).sum())
    return FrictionSurface(base, transform, CRS.from_user_input(crs) if crs is not None else None, road_cells,
                           barrier_cells)


def _has_numba() -> bool:
    try:
        import numba  # noqa: F401
    except ImportError:  # pragma: no cover - numba is a dependency; kept for stripped installs
        logger.info("numba is not installed: friction travel times use scipy.sparse.csgraph (more memory)")
        return False
    return True


def _kernel():
    """The numba Dijkstra on the 8-neighbour grid (compiled on first use, then cached on disk)."""
    global _KERNEL
    if _KERNEL is None:
        from ._friction_kernel import run

        _KERNEL = run
    return _KERNEL


_KERNEL = None


def _scipy_kernel(cost: NDArray[np.float64], starts: NDArray[np.int64], step_y: float, step_x: float,
                  limit: float) -> NDArray[np.float64]:
    """The same accumulation with scipy.sparse.csgraph (memory ~ 8 edges per cell; small grids)."""
    import scipy.sparse as sp
    from scipy.sparse.csgraph import dijkstra

    rows, cols = cost.shape
    n = rows * cols
    c = cost.ravel()
    idx = np.arange(n).reshape(rows, cols)
    src, dst, w = [], [], []
    diag = math.hypot(step_y, step_x)
    for dr, dc, length in ((0, 1, step_x), (1, 0, step_y), (1, 1, diag), (1, -1, diag)):
        r0, r1, c0, c1 = max(0, -dr), rows - max(0, dr), max(0, -dc), cols - max(0, dc)
        a = idx[r0:r1, c0:c1].ravel()
        b = idx[r0 + dr:r1 + dr, c0 + dc:c1 + dc].ravel()
        val = length * 0.5 * (c[a] + c[b])
        ok = np.isfinite(val) & (c[a] >= 0) & (c[b] >= 0)
        src += [a[ok], b[ok]]
        dst += [b[ok], a[ok]]
        w += [val[ok], val[ok]]
    s, d, ww = np.concatenate(src), np.concatenate(dst), np.concatenate(w)
    eps = 1e-300
    s = np.concatenate([s, np.full(len(starts), n)])
    d = np.concatenate([d, starts])
    ww = np.concatenate([np.maximum(ww, eps), np.full(len(starts), eps)])
    g = sp.csr_matrix((ww, (s, d)), shape=(n + 1, n + 1))
    dist = dijkstra(g, directed=True, indices=n, limit=limit + 2 * eps)[:n]
    dist = np.where(np.isfinite(dist), np.maximum(dist - eps, 0.0), np.inf)
    return dist.reshape(rows, cols)


def _cells(surface: FrictionSurface, facilities: object) -> tuple[NDArray[np.int64], int]:
    xy, _ = points_xy(facilities, name="facilities", crs=surface.crs)
    rows, cols = surface.shape
    inv = ~surface.transform
    c, r = inv * (xy[:, 0], xy[:, 1])
    r, c = np.floor(np.asarray(r)).astype(np.int64), np.floor(np.asarray(c)).astype(np.int64)
    inside = (r >= 0) & (r < rows) & (c >= 0) & (c < cols)
    return np.unique(r[inside] * cols + c[inside]), int((~inside).sum())


def travel_time(surface: FrictionSurface, facilities: object, *, max_cost: float | None = None,
                engine: str = "auto") -> NDArray[np.float64]:
    """Minutes from every cell to the nearest facility cell (``inf`` where unreachable).

    Parameters
    ----------
    surface : FrictionSurface
    facilities
        Points: (n, 2) array, DataFrame with ``x``/``y`` or GeoDataFrame in the grid's CRS.
        Facilities outside the grid are dropped and logged (count them with
        :func:`outside_count`).
    max_cost : float, optional
        Stop the search at this many minutes (cells beyond get ``inf``).
    engine : {"auto", "numba", "scipy"}
        The numba heap kernel (``"auto"`` picks it when numba imports), or
        scipy.sparse.csgraph on the grid graph (same result, ~8 edges per cell of memory).

    Examples
    --------
    >>> from rasterio.transform import from_origin
    >>> s = friction_surface(None, transform=from_origin(0, 300, 100, 100), shape=(3, 3), off_road_kmh=6)
    >>> travel_time(s, np.array([[150.0, 150.0]])).round(4).tolist()[0]  # diagonal 141.4 m at 100 m/min
    [1.4142, 1.0, 1.4142]
    """
    starts, outside = _cells(surface, facilities)
    if outside:
        logger.warning(f"{outside} facilit(y/ies) outside the friction grid were left out")
    limit = np.inf if max_cost is None else float(max_cost)
    if not limit > 0:
        raise DataError(f"max_cost must be positive minutes; got {max_cost!r}")
    if len(starts) == 0:
        return np.full(surface.shape, np.inf)
    sy, sx = surface.cell_size
    if engine == "auto":
        engine = "numba" if _has_numba() else "scipy"
    if engine == "numba":
        return _kernel()(np.ascontiguousarray(surface.minutes_per_m, dtype=np.float64), starts, float(sy), float(sx),
                         limit)
    if engine == "scipy":
        return _scipy_kernel(surface.minutes_per_m, starts, sy, sx, limit)
    raise DataError(f"engine must be 'auto', 'numba' or 'scipy'; got {engine!r}")


def outside_count(surface: FrictionSurface, facilities: object) -> int:
    """Facilities that fall outside the grid (and are left out of :func:`travel_time`)."""
    return _cells(surface, facilities)[1]


def sample(grid: NDArray[np.float64], transform: Affine, points: object) -> NDArray[np.float64]:
    """Grid value at each point (the cell containing it); NaN outside the grid.

    Examples
    --------
    >>> from rasterio.transform import from_origin
    >>> sample(np.array([[1.0, 2.0]]), from_origin(0, 10, 10, 10), np.array([[15.0, 5.0], [50.0, 5.0]])).tolist()
    [2.0, nan]
    """
    xy, _ = points_xy(points, name="points")
    c, r = (~transform) * (xy[:, 0], xy[:, 1])
    r, c = np.floor(np.asarray(r)).astype(np.int64), np.floor(np.asarray(c)).astype(np.int64)
    rows, cols = grid.shape
    ok = (r >= 0) & (r < rows) & (c >= 0) & (c < cols)
    out = np.full(len(xy), np.nan)
    out[ok] = grid[r[ok], c[ok]]
    return out


def write_geotiff(path: str | Path, minutes: NDArray[np.float64], *, transform: Affine, crs: object,
                  mask: NDArray[np.bool_] | None = None) -> Path:
    """Write travel minutes as a float32 GeoTIFF, atomically.

    ``inf`` (unreachable) is written as -2; cells where ``mask`` is False (outside the
    study area) as the nodata value -1.

    Examples
    --------
    >>> import tempfile, pathlib, rasterio
    >>> from rasterio.transform import from_origin
    >>> p = write_geotiff(pathlib.Path(tempfile.mkdtemp()) / "tt.tif", np.array([[1.5, np.inf]]),
    ...                   transform=from_origin(0, 10, 10, 10), crs="EPSG:32650")
    >>> with rasterio.open(p) as src:
    ...     src.read(1).tolist(), src.nodata
    ([[1.5, -2.0]], -1.0)
    """
    path = Path(path)
    out = np.where(np.isfinite(minutes), minutes, UNREACHABLE).astype("float32")
    if mask is not None:
        out[~_check_grid(mask, minutes.shape, "mask").astype(bool)] = NODATA
    profile = dict(driver="GTiff", width=out.shape[1], height=out.shape[0], count=1, dtype="float32",
                   crs=CRS.from_user_input(crs) if crs is not None else None, transform=transform, nodata=NODATA,
                   compress="deflate")
    with atomic_path(path) as tmp, rasterio.open(tmp, "w", **profile) as dst:
        dst.write(out, 1)
        dst.update_tags(units="minutes", unreachable=str(UNREACHABLE), note="-2 = no facility reachable")
    return path


def zonal(minutes: NDArray[np.float64], transform: Affine, units: gpd.GeoDataFrame, *,
          population: NDArray[np.float64] | None = None) -> pd.DataFrame:
    """Per unit: mean minutes over its reachable cells (``mean``), unreachable cells
    (``unreachable_cells``) and, with ``population`` on the same grid, the
    population-weighted mean over people with a finite time (``pop_mean``) and
    ``unreachable_people``. A cell belongs to the unit containing its centre.

    Examples
    --------
    >>> import shapely
    >>> from rasterio.transform import from_origin
    >>> units = gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 20, 10)], index=["u"], crs=32650)
    >>> zonal(np.array([[10.0, 20.0]]), from_origin(0, 10, 10, 10), units,
    ...       population=np.array([[3.0, 1.0]])).loc["u"].to_dict()
    {'mean': 15.0, 'unreachable_cells': 0.0, 'pop_mean': 12.5, 'unreachable_people': 0.0}
    """
    rows, cols = minutes.shape
    codes = rasterio.features.rasterize(((g, i + 1) for i, g in enumerate(units.geometry) if g is not None),
                                        out_shape=(rows, cols), transform=transform, fill=0, dtype="int32")
    lab = codes.ravel()
    t = minutes.ravel()
    inside = lab > 0
    finite = np.isfinite(t) & inside
    k = len(units) + 1
    n_fin = np.bincount(lab[finite], minlength=k)[1:]
    s_fin = np.bincount(lab[finite], weights=t[finite], minlength=k)[1:]
    n_inf = np.bincount(lab[inside & ~np.isfinite(t)], minlength=k)[1:]
    with np.errstate(invalid="ignore", divide="ignore"):
        out = pd.DataFrame({"mean": np.where(n_fin > 0, s_fin / n_fin, np.nan), "unreachable_cells": n_inf.astype(float)},
                           index=units.index)
    if population is not None:
        p = _check_grid(population, (rows, cols), "population").astype(float).ravel()
        p = np.where(np.isfinite(p) & (p > 0), p, 0.0)
        pw = np.bincount(lab[finite], weights=p[finite], minlength=k)[1:]
        pt = np.bincount(lab[finite], weights=p[finite] * t[finite], minlength=k)[1:]
        pu = np.bincount(lab[inside & ~np.isfinite(t)], weights=p[inside & ~np.isfinite(t)], minlength=k)[1:]
        with np.errstate(invalid="ignore", divide="ignore"):
            out["pop_mean"] = np.where(pw > 0, pt / pw, np.nan)
        out["unreachable_people"] = pu
    return out


def od_table(surface: FrictionSurface, origins: object, facilities: object, *, max_cost: float,
             compact: bool = False) -> pd.DataFrame | _od.ODMatrix:
    """Sparse OD table (origin, destination, cost minutes) on the friction surface.

    One search bounded by ``max_cost`` per facility (the numba kernel only settles cells
    within the bound, but allocates a grid of distances per facility); origins take the
    time of the cell containing them. Facilities outside the grid have no pairs.
    ``compact=True`` returns the :class:`~._od.ODMatrix` (CSR by origin, int32 facility
    positions, float64 minutes) built from the per-facility blocks, instead of a
    DataFrame of ids.

    Examples
    --------
    >>> from rasterio.transform import from_origin
    >>> s = friction_surface(None, transform=from_origin(0, 100, 100, 100), shape=(1, 5), off_road_kmh=6)
    >>> o = pd.DataFrame({"x": [50.0, 450.0], "y": [50.0, 50.0]}, index=["a", "b"])
    >>> od_table(s, o, pd.DataFrame({"x": [150.0], "y": [50.0]}, index=["h"]), max_cost=2.5).to_dict("records")
    [{'origin': 'a', 'destination': 'h', 'cost': 1.0}]
    >>> od_table(s, o, pd.DataFrame({"x": [150.0], "y": [50.0]}, index=["h"]), max_cost=2.5, compact=True)
    ODMatrix(1 pairs, 2 origins x 1 destinations, 0.0 MB)
    """
    if not (np.isfinite(max_cost) and max_cost > 0):
        raise DataError(f"max_cost must be positive minutes; got {max_cost!r}")
    oxy, oid = points_xy(origins, name="origins", crs=surface.crs)
    fxy, fid = points_xy(facilities, name="facilities", crs=surface.crs)
    small = np.int32 if len(oxy) < 2**31 else np.int64
    parts = []
    for j in range(len(fxy)):
        tt = travel_time(surface, fxy[j:j + 1], max_cost=max_cost)
        t = sample(tt, surface.transform, oxy)
        ok = np.flatnonzero(t <= max_cost)
        parts.append((ok.astype(small), np.full(len(ok), j, dtype=np.int32), t[ok]))
    if compact:
        return _od.from_parts(parts, oid, fid)
    if not parts:
        return pd.DataFrame({"origin": oid[:0], "destination": fid[:0], "cost": np.empty(0)})
    oi, fi = np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
    return pd.DataFrame({"origin": oid.to_numpy()[oi], "destination": fid.to_numpy()[fi],
                         "cost": np.concatenate([p[2] for p in parts])})
