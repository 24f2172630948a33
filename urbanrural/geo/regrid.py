"""People on another grid, total preserved (a 100 m WorldPop in EPSG:4326 to a 250 m UTM
grid, a LandScan tile to the 1 km Mollweide grid, ...).

Method (the rule of :func:`urbanrural.analysis.degurba.to_mollweide_1km`, generalised to
any target grid): every source cell is split into k x k equal sub-cells, each carrying
``value / k**2`` people, and each sub-cell's people go to the target cell that contains
its centre (reprojected to the target CRS).  k = ceil(source cell size measured in the
target CRS / ``sub_size``), with ``sub_size`` a quarter of the target cell by default, so
a person moves at most half a sub-cell diagonal (about 0.18 target cells) and no
person is created or lost: the target total equals the total of the source sub-cells
that fall on the target grid (all of them when the grid covers the data).

Resampling with GDAL's ``sum`` (or ``average`` x area) and rescaling is the alternative;
the split rule needs no rescaling and is exact per source cell, which is what totals
per unit need.
"""

from __future__ import annotations

import math

import numpy as np
import rasterio.transform
import rasterio.windows
from affine import Affine
from numpy.typing import NDArray
from pyproj import CRS, Transformer

from .errors import CRSError, DataError
from .raster import RasterInfo, read_band, window_for
from .zonal import BLOCK_CELLS

__all__ = ["to_grid", "cells_to_grid", "split_factor"]

SUB_POINTS = 4_000_000  # sub-cell centres transformed at a time (~100 MB of temporaries)
MAX_SPLIT = 64          # k is capped: a 1 km cell onto a 10 m grid is spread over 64 x 64 parts


def split_factor(src_transform: Affine, src_crs: object, *, crs: object, sub_size: float,
                 at: tuple[float, float] | None = None) -> int:
    """k: sub-cells per source cell side so that a sub-cell is at most ``sub_size`` target-CRS
    units wide, measured at ``at`` (source pixel coordinates; default the origin cell).

    Examples
    --------
    >>> from rasterio.transform import from_origin
    >>> split_factor(from_origin(0, 0, 100, 100), "EPSG:32650", crs="EPSG:32650", sub_size=62.5)
    2
    """
    if not (math.isfinite(sub_size) and sub_size > 0):
        raise DataError(f"sub_size must be a positive length in the target CRS; got {sub_size!r}")
    c, r = at if at is not None else (0.0, 0.0)
    px = np.array([c, c + 1, c, c + 1], dtype=float)
    py = np.array([r, r, r + 1, r + 1], dtype=float)
    x, y = src_transform * (px, py)
    if not CRS.from_user_input(src_crs).equals(CRS.from_user_input(crs)):
        x, y = Transformer.from_crs(src_crs, crs, always_xy=True).transform(x, y)
    x, y = np.asarray(x), np.asarray(y)
    size = max(math.hypot(x[1] - x[0], y[1] - y[0]), math.hypot(x[2] - x[0], y[2] - y[0]),
               math.hypot(x[3] - x[0], y[3] - y[0]) / math.sqrt(2))
    if not math.isfinite(size) or size <= 0:
        raise CRSError(f"cannot project the source cells to {CRS.from_user_input(crs).name}; check the CRSs")
    return int(min(MAX_SPLIT, max(1, math.ceil(size / sub_size - 1e-9))))


def cells_to_grid(values: NDArray, *, src_transform: Affine, src_crs: object, transform: Affine,
                  shape: tuple[int, int], crs: object, k: int, out: NDArray[np.float64] | None = None,
                  row_off: int = 0, col_off: int = 0) -> NDArray[np.float64]:
    """Add the people of ``values`` (a source block; NaN and values <= 0 carry none) to
    ``out`` on the target grid by the k x k split rule; returns ``out``.

    ``row_off``, ``col_off``: where the block starts in the grid of ``src_transform``.

    Examples
    --------
    >>> from rasterio.transform import from_origin
    >>> a = np.array([[4.0, 8.0]])
    >>> g = cells_to_grid(a, src_transform=from_origin(0, 100, 100, 100), src_crs="EPSG:32650",
    ...                   transform=from_origin(0, 100, 50, 50), shape=(2, 4), crs="EPSG:32650", k=2)
    >>> g.tolist()
    [[1.0, 1.0, 2.0, 2.0], [1.0, 1.0, 2.0, 2.0]]
    """
    if out is None:
        out = np.zeros(shape)
    rows, cols = np.nonzero(np.nan_to_num(np.asarray(values, dtype=float), nan=0.0, posinf=0.0) > 0)
    if not len(rows):
        return out
    vals = np.asarray(values, dtype=float)[rows, cols] / (k * k)
    rows, cols = rows + row_off, cols + col_off
    offs = (np.arange(k) + 0.5) / k
    same = CRS.from_user_input(src_crs).equals(CRS.from_user_input(crs))
    tr = None if same else Transformer.from_crs(src_crs, crs, always_xy=True)
    inv = ~transform
    flat = out.reshape(-1)
    per = max(1, SUB_POINTS // (k * k))
    for s in range(0, len(rows), per):
        rr, cc, vv = rows[s:s + per], cols[s:s + per], vals[s:s + per]
        fr = np.repeat(rr[:, None] + offs[None, :], k, axis=1).ravel()   # sub-rows: each repeated k times
        fc = np.tile(cc[:, None] + offs[None, :], (1, k)).ravel()        # sub-cols: cycling
        x, y = src_transform * (fc, fr)
        if tr is not None:
            x, y = tr.transform(x, y)
        gc, gr = inv * (np.asarray(x), np.asarray(y))
        gc, gr = np.floor(gc).astype(np.int64), np.floor(gr).astype(np.int64)
        ok = (gr >= 0) & (gr < shape[0]) & (gc >= 0) & (gc < shape[1])
        v = np.repeat(vv, k * k)
        np.add.at(flat, gr[ok] * shape[1] + gc[ok], v[ok])
    return out


def to_grid(info: RasterInfo, *, transform: Affine, shape: tuple[int, int], crs: object,
            sub_size: float | None = None, block_cells: int = BLOCK_CELLS) -> NDArray[np.float64]:
    """People per cell of ``info`` on the grid (``transform``, ``shape``, ``crs``), total preserved.

    Reads only the window of the source over the grid (its bounds in the source CRS
    plus one cell), in blocks.  Each source cell is split into k x k sub-cells whose
    people go to the target cell holding their centre (see the module docstring);
    nodata, NaN and infinite cells carry no people; negative cells in the window raise
    DataError.

    Parameters
    ----------
    info : RasterInfo
        A checked people-per-cell raster (:func:`~urbanrural.geo.raster.open_raster`).
    transform, shape, crs
        The target grid.
    sub_size : float, optional
        Largest sub-cell side in target-CRS units (default: a quarter of the target cell).

    Returns
    -------
    ndarray
        float64 of ``shape``: people per target cell; NaN where the target cell's centre
        lies on no source data (outside the source, or on a nodata cell) and no people
        fell in it.

    Examples
    --------
    >>> import tempfile, pathlib, rasterio
    >>> from rasterio.transform import from_origin
    >>> from urbanrural.geo.raster import open_raster
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "wp.tif"
    >>> with rasterio.open(p, "w", driver="GTiff", width=12, height=12, count=1, dtype="float32",
    ...                    crs="EPSG:4326", nodata=-99999, transform=from_origin(116, 40, 1 / 1200, 1 / 1200)) as dst:
    ...     dst.write(np.full((12, 12), 2.5, "float32"), 1)
    >>> a = to_grid(open_raster(p), transform=from_origin(414000, 4429000, 250, 250), shape=(12, 8), crs="EPSG:32650")
    >>> round(float(np.nansum(a)), 6)                     # 144 cells x 2.5 people
    360.0
    """
    h, w = int(shape[0]), int(shape[1])
    if h <= 0 or w <= 0:
        raise DataError(f"target grid shape must be positive; got {shape!r}")
    cell = math.sqrt(abs(transform.a * transform.e - transform.b * transform.d))
    sub = sub_size if sub_size is not None else cell / 4
    out = np.zeros((h, w))
    bounds = rasterio.transform.array_bounds(h, w, transform)
    win = window_for(info, bounds, crs=crs, margin=1)
    if win.width <= 0 or win.height <= 0:
        return np.full((h, w), np.nan)
    mid = (win.col_off + win.width / 2, win.row_off + win.height / 2)
    k = max(split_factor(info.transform, info.crs, crs=crs, sub_size=sub, at=at)
            for at in ((win.col_off, win.row_off), (win.col_off, win.row_off + win.height - 1),
                       (win.col_off + win.width - 1, win.row_off), mid))
    # target cell centres in source pixel coordinates: which lie on source data
    tc, tr_ = np.meshgrid(np.arange(w) + 0.5, np.arange(h) + 0.5)
    x, y = transform * (tc.ravel(), tr_.ravel())
    if not CRS.from_user_input(crs).equals(info.crs):
        x, y = Transformer.from_crs(crs, info.crs, always_xy=True).transform(x, y)
    sc, sr = ~info.transform * (np.asarray(x), np.asarray(y))
    sc = np.floor(np.nan_to_num(sc, nan=-1, posinf=-1, neginf=-1)).astype(np.int64)
    sr = np.floor(np.nan_to_num(sr, nan=-1, posinf=-1, neginf=-1)).astype(np.int64)
    has_data = np.zeros(h * w, dtype=bool)
    rows_per = max(1, int(block_cells) // max(int(win.width), 1))
    for r0 in range(int(win.row_off), int(win.row_off + win.height), rows_per):
        blk = rasterio.windows.Window(win.col_off, r0, win.width, min(rows_per, int(win.row_off + win.height) - r0))
        raw = read_band(info, window=blk)
        bad = ~np.isfinite(raw) | info.nodata_mask(raw)
        neg = ~bad & (raw < 0)
        if neg.any():
            raise DataError(f"{info.path.name}: {int(neg.sum())} cell(s) over the target grid are negative "
                            f"(min {raw[neg].min():.6g}); a count of people must be >= 0: is the nodata value right?")
        vals = np.where(bad, 0.0, raw)
        cells_to_grid(vals, src_transform=info.transform, src_crs=info.crs, transform=transform, shape=(h, w),
                      crs=crs, k=k, out=out, row_off=int(blk.row_off), col_off=int(blk.col_off))
        inb = (sr >= blk.row_off) & (sr < blk.row_off + blk.height) & (sc >= blk.col_off) & \
              (sc < blk.col_off + blk.width)
        idx = np.flatnonzero(inb)
        has_data[idx] = ~bad[sr[idx] - int(blk.row_off), sc[idx] - int(blk.col_off)]
    out[~has_data.reshape(h, w) & (out == 0)] = np.nan
    return out
