"""Zonal sums of a national people-per-cell raster tile by tile on dask (private).

:func:`zonal_sum_tiled` cuts the units' window of the raster into square tiles; each
tile (one dask task) reads its cells, takes the units that touch it and adds every
cell's people to the units by the same rules as :func:`urbanrural.geo.zonal.zonal_sum`
(exact coverage fractions with exactextract, or the cell centre with
``rasterio.features.rasterize``; slivers below ``MIN_FRACTION`` dropped; a cell whose
shares add up to 1 within 1e-6 rescaled to exactly 1; nodata, NaN and infinite cells
inside the units excluded and counted; negative cells inside the units refused).  A
cell's fractions do not depend on the tile it is in, so the per-unit sums are the
serial ones up to the order of float additions (tile sums are added, not cells in
row order: relative differences of ~1e-15).

Tiles carry only their units' geometries (as WKB), so a worker never holds the raster
or all the units; each returns sums for the units it touches only (not a vector over
every unit: a nation's 40,000 townships x 10,000 tiles would be 3 GB), added on the client.  Computes with the
active dask scheduler, or on ``client=``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio.features
import rasterio.windows
import shapely
from numpy.typing import NDArray

from .checks import CheckLog, get_log
from .errors import DataError, RasterError
from .raster import RasterInfo, open_raster, read_band
from .registry import check_choice
from .zonal import (
    MIN_FRACTION,
    ZONAL_METHODS,
    ZonalResult,
    _feature_source,
    _overlap_window,
    zones_in_raster_crs,
)

__all__ = ["zonal_sum_tiled"]

TILE = 2048  # cells per tile side (4M cells: ~40 MB of float64 and flags per task)


def _polygons(g: Any) -> Any:
    """A geometry reduced to its polygons (exactextract takes Polygon/MultiPolygon only)."""
    if g is None or shapely.is_empty(g) or shapely.get_type_id(g) in (3, 6):
        return g
    polys = [q for p in shapely.get_parts(g) if shapely.get_type_id(p) in (3, 6) for q in shapely.get_parts(p)]
    return shapely.MultiPolygon(polys) if polys else shapely.Polygon()


def _pairs(shape: tuple[int, int], t: Any, wkb: list[bytes], ids: NDArray[np.intp], method: str
           ) -> tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.float64]]:
    """(unit, cell, fraction) for the cells of a tile the units cover (cell = row * w + col)."""
    geoms = shapely.from_wkb(wkb)
    h, w = shape
    if method == "centre":
        codes = rasterio.features.rasterize(
            ((g, k + 1) for k, g in enumerate(geoms) if g is not None and not shapely.is_empty(g)),
            out_shape=shape, transform=t, fill=0, all_touched=False, dtype="int32").ravel()
        cells = np.flatnonzero(codes)
        return ids[codes[cells] - 1], cells, np.ones(len(cells))
    from exactextract import exact_extract
    from exactextract.raster import NumPyRasterSource

    geoms = np.asarray([_polygons(g) for g in geoms], dtype=object)
    ok = ~shapely.is_empty(geoms)
    if not ok.any():
        return np.empty(0, np.intp), np.empty(0, np.intp), np.empty(0)
    grid = NumPyRasterSource(np.broadcast_to(np.float32(0), shape), t.c, t.f + h * t.e, t.c + w * t.a, t.f)
    units, cells, fracs = [], [], []
    for f in exact_extract(grid, _feature_source(None, ids[ok], wkbs=shapely.to_wkb(geoms[ok])), ["cell_id", "coverage"],
                           include_cols=["id"], output="geojson"):
        p = f["properties"]
        c = np.asarray(p["cell_id"], dtype=np.intp)
        if len(c):
            units.append(np.full(len(c), f["id"], dtype=np.intp))
            cells.append(c)
            fracs.append(np.asarray(p["coverage"], dtype=np.float64))
    if not cells:
        return np.empty(0, np.intp), np.empty(0, np.intp), np.empty(0)
    return np.concatenate(units), np.concatenate(cells), np.concatenate(fracs)


def _tile_sums(info: RasterInfo, win: rasterio.windows.Window, wkb: list[bytes], ids: NDArray[np.intp],
               method: str, label: str) -> dict[str, Any]:
    """One tile's contribution: sums, touched cells and covered cells of its units ``ids``
    (sorted; aligned to them); people outside every unit and in total; cells excluded,
    used and negative."""
    raw = read_band(info, window=win, name=label).ravel()
    shape = (int(win.height), int(win.width))
    if len(ids):
        u, c, f = _pairs(shape, rasterio.windows.transform(win, info.transform), wkb, ids, method)
        keep = f > MIN_FRACTION
        u, c, f = u[keep], c[keep], f[keep]
        if method == "exact" and len(f):
            cover = np.bincount(c, weights=f, minlength=raw.size)[c]
            full = np.abs(cover - 1.0) < 1e-6
            f = np.where(full, f / np.where(full, cover, 1.0), f)
    else:
        u, c, f = np.empty(0, np.intp), np.empty(0, np.intp), np.empty(0)
    declared = info.nodata_mask(raw)
    inside = np.zeros(raw.size, dtype=bool)
    inside[c] = True
    excluded = {"nan": int((np.isnan(raw) & ~declared & inside).sum()), "+inf": int((np.isposinf(raw) & inside).sum()),
                "-inf": int((np.isneginf(raw) & inside).sum()), "nodata": int((declared & inside).sum())}
    valid = np.isfinite(raw) & ~declared
    negative = valid & (raw < 0)
    neg_in = negative & inside
    vals = np.where(valid & ~negative, raw, 0.0)
    cover = np.minimum(np.bincount(c, weights=f, minlength=raw.size), 1.0)
    k = np.searchsorted(ids, u)  # position of each pair's unit among the tile's units
    m = len(ids)
    return {"ids": ids, "sums": np.bincount(k, weights=f * vals[c], minlength=m),
            "touched": np.bincount(k, minlength=m), "covered": np.bincount(k, weights=f, minlength=m),
            "outside": float((vals * (1.0 - cover)).sum()), "total": float(vals.sum()),
            "cells_used": int(inside.sum()), "excluded": excluded, "neg_in": int(neg_in.sum()),
            "neg_out": int((negative & ~inside).sum()), "neg_values": raw[neg_in][:5].tolist()}


def zonal_sum_tiled(path: str | Path | RasterInfo, units: gpd.GeoDataFrame, *, method: str = "exact",
                    nodata: float | None = None, name: str | None = None, tile: int = TILE, client: Any = None,
                    log: CheckLog | None = None) -> ZonalResult:
    """Sum a people-per-cell raster per unit on dask, one task per tile of the units' window.

    Parameters
    ----------
    path : path-like or RasterInfo
        The raster (nodata declared or given).
    units : GeoDataFrame
        Units in any CRS (taken to the raster's, edges segmentized).
    method : {"exact", "centre"}
        As :func:`urbanrural.geo.zonal.zonal_sum`.
    nodata, name
        As :func:`~urbanrural.geo.zonal.zonal_sum`.
    tile : int
        Cells per tile side (memory per task: about 10 bytes per cell).
    client : distributed.Client, optional
        Compute there (default: the active dask scheduler).

    Returns
    -------
    ZonalResult
        As :func:`~urbanrural.geo.zonal.zonal_sum` (same window, sums to float rounding).

    Raises
    ------
    DataError
        Negative cells inside the units.
    RasterError
        The raster does not overlap the units or is not north-up.

    Examples
    --------
    >>> import tempfile, pathlib, rasterio, dask
    >>> from rasterio.transform import from_origin
    >>> from urbanrural.geo.zonal import zonal_sum
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> prof = dict(driver="GTiff", width=40, height=30, count=1, dtype="float32",
    ...             crs="EPSG:32650", transform=from_origin(0, 3000, 100, 100), nodata=-1)
    >>> with rasterio.open(d / "pop.tif", "w", **prof) as dst:
    ...     dst.write(np.arange(1200, dtype="float32").reshape(30, 40) % 7, 1)
    >>> u = gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 2050, 3000), shapely.box(2050, 0, 4000, 3000)],
    ...                      index=["w", "e"], crs=32650)
    >>> with dask.config.set(scheduler="synchronous"):
    ...     tiled = zonal_sum_tiled(d / "pop.tif", u, tile=16)
    >>> np.allclose(tiled.sums, zonal_sum(d / "pop.tif", u).sums, rtol=1e-12), tiled.sums.round(1).tolist()
    (True, [1843.0, 1751.0])
    """
    import dask

    check_choice(method, ZONAL_METHODS, what="zonal method")
    if not (isinstance(tile, (int, np.integer)) and tile >= 1):
        raise DataError(f"tile must be a whole number of cells >= 1; got {tile!r}")
    log = get_log(log)
    info = path if isinstance(path, RasterInfo) else open_raster(path, nodata=nodata, name=name)
    label = name or info.path.name
    t = info.transform
    if t.b != 0 or t.d != 0 or t.e >= 0 or t.a <= 0:
        raise RasterError(f"{label} is not a north-up grid (transform {tuple(t)[:6]}); warp it first")
    geoms = zones_in_raster_crs(units, info.crs)
    win = _overlap_window(info, units, geoms, label)
    n = len(geoms)
    ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    tree = shapely.STRtree(np.where(ok, geoms, None))
    tasks = []
    task = dask.delayed(_tile_sums, pure=False)
    r0, c0, H, W = int(win.row_off), int(win.col_off), int(win.height), int(win.width)
    for r in range(r0, r0 + H, tile):
        for c in range(c0, c0 + W, tile):
            tw = rasterio.windows.Window(c, r, min(tile, c0 + W - c), min(tile, r0 + H - r))
            ids = np.sort(tree.query(shapely.box(*rasterio.windows.bounds(tw, t)), predicate="intersects"))
            tasks.append(task(info, tw, list(shapely.to_wkb(geoms[ids])), ids.astype(np.intp), method, label))
    parts = dask.compute(*tasks, scheduler=None if client is None else client.get)
    sums, touched, covered = np.zeros(n), np.zeros(n, dtype=np.int64), np.zeros(n)
    excluded = {"nan": 0, "+inf": 0, "-inf": 0, "nodata": 0}
    outside = total = 0.0
    cells_used = neg_in = neg_out = 0
    neg_values: list[float] = []
    for p in parts:
        ids = p["ids"]  # unique within a tile: one addition per unit, in tile order as before
        sums[ids] += p["sums"]
        touched[ids] += p["touched"]
        covered[ids] += p["covered"]
        outside += p["outside"]
        total += p["total"]
        cells_used += p["cells_used"]
        neg_in += p["neg_in"]
        neg_out += p["neg_out"]
        neg_values += p["neg_values"]
        for k, v in p["excluded"].items():
            excluded[k] += v
    if neg_in:
        raise DataError(f"{label}: {neg_in} cell(s) inside the units are negative (e.g. "
                        f"{', '.join(f'{v:.6g}' for v in neg_values[:3])}); a count of people must be >= 0: if "
                        "they mark empty cells, declare that value as nodata, else fix the raster")
    if neg_out:
        log.add(label, "negative cells", "warning", count=neg_out,
                detail="negative cells outside every unit (in the units' window): not counted")
    bad = sum(v for k, v in excluded.items() if k != "nodata")
    if bad:
        log.add(label, "excluded cells", "warning", count=bad,
                detail="NaN or infinite cells inside the units: left out of every sum")
    return ZonalResult(pd.Series(sums, index=units.index, name="population"), max(outside, 0.0), total,
                       cells_used, excluded, method, win)
