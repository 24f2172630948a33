"""Travel time on every cell of a grid over the study area, and isochrones from it.

The accessibility step writes ``rasters/tt_<category>.tif`` in every mode. In network and
straight-line modes the grid is the population raster's (the window covering the study
area, when it is in the analysis CRS), else a grid of ``resolution`` metres; each cell
centre inside the study area is priced like a demand point (network: snapped to its
nearest node with the graph's one KD-tree, plus the off-road leg; straight line: the
distance to the nearest facility), cells outside are nodata (-1) and cells from which no
facility is reachable -2. Cells are processed in blocks of rows, so memory is bounded by
the block whatever the grid size, and every category is written in the same pass (one
snap per block).

Isochrones are the cells with a travel time <= T, polygonised and clipped to the study
area, so a band's area is the share of the study area's cells within T (not a hull or a
buffer around the facilities). Large grids are sampled every ``stride`` cells for the
polygons (at most :data:`ISO_MAX_CELLS` cells), a display shape only.

Examples
--------
>>> import shapely
>>> study = shapely.box(0, 0, 300, 200)
>>> grid = study_grid(study, raster=None, resolution=100, crs=32650)
>>> grid.shape
(2, 3)
>>> b = bands_from_array(np.array([[1.0, 5.0, np.inf], [2.0, 12.0, 3.0]]), np.ones((2, 3), bool),
...                      grid.transform, [4, 10])
>>> b.band.tolist()
[[0, 1, 2], [0, 2, 0]]
>>> iso = isochrones(b, study, crs=32650)
>>> iso["minutes"].tolist(), iso.area.round().tolist()
([4.0, 10.0], [30000.0, 40000.0])
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
import rasterio.features
import rasterio.windows
import shapely
from affine import Affine
from numpy.typing import NDArray
from pyproj import CRS

from ...geo.io import atomic_path
from ...geo.progress import progress
from ...geo.raster import RasterInfo, _window
from ...geo.resources import block_items
from .friction import NODATA, UNREACHABLE, grid_for

__all__ = ["CellGrid", "Bands", "study_grid", "cell_blocks", "write_cell_times", "bands_from_array", "isochrones",
           "ISO_MAX_CELLS", "BLOCK_CELLS", "OUTSIDE"]

ISO_MAX_CELLS = 4_000_000  # cells polygonised per isochrone band at most (larger grids are sampled)
BLOCK_CELLS = 1 << 19  # cells priced per block at the default 8 GB budget
OUTSIDE = 255  # band value of cells outside the study area


def _block_cells() -> int:
    """About :data:`BLOCK_CELLS` at 8 GB, scaled by the memory budget (``scale: memory_gb``)."""
    return block_items(256, share=1 / 60)  # ~256 bytes a cell (coordinates, snaps, a time per category)


@dataclass(frozen=True)
class CellGrid:
    """A north-up grid over the study area.

    Attributes
    ----------
    transform : affine.Affine
    shape : tuple of int
        (rows, cols).
    source : str
        Where the grid comes from (for run.json).
    """

    transform: Affine
    shape: tuple[int, int]
    source: str


@dataclass(frozen=True)
class Bands:
    """Per cell, the index of the first threshold reached (``len(thresholds)`` = beyond the
    last or unreachable, :data:`OUTSIDE` = outside the study area), on a grid sampled every
    ``stride`` cells.

    Attributes
    ----------
    band : ndarray of uint8
    transform : affine.Affine
        Transform of the sampled grid.
    thresholds : tuple of float
    stride : int
    """

    band: NDArray[np.uint8]
    transform: Affine
    thresholds: tuple[float, ...]
    stride: int = 1


def study_grid(study: shapely.Geometry, *, raster: RasterInfo | None, resolution: float, crs: object) -> CellGrid:
    """The population raster's grid over the study area when it is in ``crs`` and covers
    it, else a grid of ``resolution`` metres over the study area's bounds."""
    bounds = np.asarray(study.bounds, dtype=float)
    if raster is not None and (raster.crs is None or crs is None or CRS.from_user_input(crs).equals(raster.crs)):
        win = _window(raster, bounds)
        if win.width > 0 and win.height > 0:
            return CellGrid(rasterio.windows.transform(win, raster.transform), (int(win.height), int(win.width)),
                            f"population raster grid ({abs(raster.transform.a):g} m cells)")
    transform, shape = grid_for(tuple(bounds), resolution=resolution)
    return CellGrid(transform, shape, f"{resolution:g} m grid (analyses.accessibility.resolution)")


def _stride(shape: tuple[int, int]) -> int:
    return max(1, math.ceil(math.sqrt(shape[0] * shape[1] / ISO_MAX_CELLS)))


def _samples(n: int, stride: int) -> NDArray[np.intp]:
    return np.minimum(np.arange(0, n, stride) + stride // 2, n - 1)


def _band(minutes: NDArray[np.float64], thresholds: Sequence[float]) -> NDArray[np.uint8]:
    t = np.where(np.isnan(minutes), np.inf, minutes)
    return np.searchsorted(np.asarray(thresholds, dtype=float), t, side="left").astype(np.uint8)


def cell_blocks(grid: CellGrid, study: shapely.Geometry, *,
                block_cells: int | None = None) -> Iterator[tuple[int, int, NDArray[np.bool_], NDArray[np.float64]]]:
    """Blocks of whole rows: ``(row0, row1, inside, xy)`` with the block's study-area mask
    (cell centre inside) and the centres (metres) of its inside cells, row-major."""
    rows, cols = grid.shape
    block_cells = block_cells or _block_cells()
    step = max(1, block_cells // max(cols, 1))
    t = grid.transform
    for r0 in range(0, rows, step):
        r1 = min(rows, r0 + step)
        bt = t * Affine.translation(0, r0)
        inside = rasterio.features.geometry_mask([study], out_shape=(r1 - r0, cols), transform=bt, invert=True)
        rr, cc = np.nonzero(inside)
        x, y = bt * (cc + 0.5, rr + 0.5)
        yield r0, r1, inside, np.column_stack([np.asarray(x, dtype=float), np.asarray(y, dtype=float)])


def write_cell_times(paths: Mapping[str, Path], grid: CellGrid, study: shapely.Geometry, *, crs: object,
                     prepare: Callable[[NDArray[np.float64]], Any],
                     times: Mapping[str, Callable[[Any], NDArray[np.float64]]], thresholds: Sequence[float],
                     block_cells: int | None = None) -> dict[str, Bands]:
    """Write one float32 travel-time GeoTIFF per key of ``times`` (atomically), block by block.

    ``prepare(xy)`` runs once per block on the inside cell centres (e.g. snapping them to
    the road graph); ``times[key](prepared)`` gives their minutes (``inf`` = unreachable,
    written -2; outside cells are nodata -1).

    Returns
    -------
    dict
        :class:`Bands` per key, for :func:`isochrones`.
    """
    rows, cols = grid.shape
    ths = tuple(float(v) for v in sorted(thresholds))
    stride = _stride(grid.shape)
    srow, scol = _samples(rows, stride), _samples(cols, stride)
    bands = {k: np.full((len(srow), len(scol)), OUTSIDE, dtype=np.uint8) for k in times}
    profile = dict(driver="GTiff", width=cols, height=rows, count=1, dtype="float32",
                   crs=CRS.from_user_input(crs) if crs is not None else None, transform=grid.transform,
                   nodata=NODATA, compress="deflate")
    with ExitStack() as stack:
        dsts = {}
        for k in times:
            tmp = stack.enter_context(atomic_path(paths[k]))
            dsts[k] = stack.enter_context(rasterio.open(tmp, "w", **profile))
        block_cells = block_cells or _block_cells()
        n_blocks = -(-grid.shape[0] // max(1, block_cells // max(grid.shape[1], 1)))
        for r0, r1, inside, xy in progress(cell_blocks(grid, study, block_cells=block_cells),
                                           desc="travel-time rasters", total=n_blocks, unit="block"):
            state = prepare(xy) if len(xy) else None
            pick = (srow >= r0) & (srow < r1)
            for k, fn in times.items():
                out = np.full((r1 - r0, cols), NODATA, dtype="float32")
                band = np.full((r1 - r0, cols), OUTSIDE, dtype=np.uint8)
                if len(xy):
                    t = np.asarray(fn(state), dtype=float)
                    out[inside] = np.where(np.isfinite(t), t, UNREACHABLE)
                    band[inside] = _band(t, ths)
                dsts[k].write(out, 1, window=rasterio.windows.Window(0, r0, cols, r1 - r0))
                if pick.any():
                    bands[k][pick] = band[srow[pick] - r0][:, scol]
        for dst in dsts.values():
            dst.update_tags(units="minutes", unreachable=str(UNREACHABLE),
                            note="-2 = no facility reachable; nodata -1 = outside the study area")
    t = grid.transform
    st = Affine(t.a * stride, t.b, t.c, t.d, t.e * stride, t.f)
    return {k: Bands(b, st, ths, stride) for k, b in bands.items()}


def bands_from_array(minutes: NDArray[np.float64], inside: NDArray[np.bool_], transform: Affine,
                     thresholds: Sequence[float]) -> Bands:
    """:class:`Bands` of a travel-time array held in memory (raster mode); ``inside`` is the
    study-area mask."""
    ths = tuple(float(v) for v in sorted(thresholds))
    stride = _stride(minutes.shape)
    r, c = _samples(minutes.shape[0], stride), _samples(minutes.shape[1], stride)
    sub = minutes[np.ix_(r, c)]
    band = np.where(np.asarray(inside, dtype=bool)[np.ix_(r, c)], _band(sub, ths), OUTSIDE).astype(np.uint8)
    st = Affine(transform.a * stride, transform.b, transform.c, transform.d, transform.e * stride, transform.f)
    return Bands(band, st, ths, stride)


def isochrones(bands: Bands, study: shapely.Geometry, *, crs: object) -> gpd.GeoDataFrame:
    """One polygon per threshold T: the cells within T minutes, clipped to ``study``.

    Columns ``facility`` (``"all"``: the area within T of the category's nearest
    facility), ``minutes``, ``geometry``; thresholds that no cell reaches get no row.
    """
    rows = []
    for k, th in enumerate(bands.thresholds):
        mask = bands.band <= k
        if not mask.any():
            continue
        polys = [shapely.geometry.shape(g) for g, v in rasterio.features.shapes(
            mask.astype(np.uint8), mask=mask, transform=bands.transform) if v == 1]
        # connected components never overlap (they may touch at a corner, or sit in another's
        # hole): one MultiPolygon is already valid, no union needed (1.5 s for 4,000 pieces)
        merged = shapely.MultiPolygon(polys) if len(polys) > 1 else polys[0]
        if not shapely.is_valid(merged):  # pragma: no cover - defensive
            merged = shapely.union_all(polys)
        geom = shapely.intersection(merged, study)
        if geom.is_empty:
            continue
        rows.append({"facility": "all", "minutes": th, "geometry": geom})
    if not rows:
        return gpd.GeoDataFrame({"facility": pd.Series([], dtype=object), "minutes": pd.Series([], dtype=float)},
                                geometry=gpd.GeoSeries([], crs=crs), crs=crs)
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=crs)
