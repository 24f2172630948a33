"""Degree of Urbanisation (UN Statistical Commission 2020; GHSL R2023A rules).

Stage 1 classifies a 1 km grid (:func:`classify_grid` on arrays or aligned rasters,
:func:`classify_raster` for any population raster, resampled to the 1 km Mollweide grid;
``classify_grid_tiled`` gives the same codes tile by tile on dask for grids larger than
memory: it needs the ``scale`` extra and is imported on first use);
stage 2 classifies units by the share of their *people* in each grid class
(:func:`classify_units`, :func:`unit_classes`); simpler designations serve when a grid is
not the right tool (:func:`from_codes` for China's official codes, :func:`by_density`).

Grid codes
----------
Level 2: 30 urban centre, 23 dense urban cluster, 22 semi-dense urban cluster, 21 suburban
or peri-urban, 13 rural cluster, 12 low density rural, 11 very low density rural, 10 water.
Level 1 (GHSL/flexurba values): 3 urban centre, 2 urban cluster, 1 rural, 0 water.
255 marks cells outside the population data when no land grid is given.

Rules (defaults; every threshold is a field of :class:`GridParams`), on densities per
km2 of permanent land:

- **urban centre**: cells >= 1,500/km2 or >= 20 % built-up per permanent land (the
  R2023A "reduce fragmentation" option; 0.2 is GHSL's optimal threshold for 2020, or
  ``uc_built_threshold="optimal"`` derives it from the data), 4-connected, >= 50,000
  people; edges smoothed by the R2023A majority rule; holes < 15 km2 filled;
- **dense urban cluster**: the same density/built-up rule, 4-connected, >= 5,000 people;
- **semi-dense urban cluster**: >= 900/km2, 4-connected, >= 2,500 people, more than 2
  cells from centres and dense clusters (July 2024 revision, flexurba's default;
  ``GridParams.preset("R2023A")`` gives the GHS-SMOD R2023A rule: >= 300/km2, >= 5,000,
  8-connected, 3 cells);
- **suburban or peri-urban**: other cells of >= 300/km2 in 8-connected clusters of >= 5,000;
- **urban cluster** (level 1): >= 300/km2, 8-connected, >= 5,000 people;
- **rural cluster**: >= 300/km2, 8-connected, >= 500 people; **low density**: >= 50/km2;
- **water**: a very-low-density (level 1: rural) cell with < 50 % permanent land, no
  people and no built-up surface.

Resampling
----------
:func:`to_mollweide_1km` moves population onto the 1 km Mollweide grid (ESRI:54009, cell
edges at multiples of 1,000 m) by splitting every source cell into k x k equal parts
(k = ceil(source cell size / 250 m)) and adding each part's people to the 1 km cell that
contains its centre: totals are preserved exactly (to float rounding) and the location
error is at most 125 m.  Land and built-up shares are averaged by area (GDAL "average").

Progress
--------
Long steps show a bar with an ETA on stderr (not under ``-q``, not off a terminal): the
resampling over its chunks of sub-cell points when there are at least
``BAR_MIN_POINTS`` of them, and the grid rules over their stages from
``_degurba_grid.BAR_MIN_CELLS`` cells (``classify_grid`` labels clusters over the whole
grid in memory; ``classify_grid_tiled`` is the tiled route).

Examples
--------
>>> import numpy as np
>>> pop = np.full((12, 12), 10.0)
>>> pop[3:9, 3:9] = 2000.0                    # 36 km2 at 2,000/km2 = 72,000 people
>>> classes = classify_grid(pop, level=1)
>>> int(classes[5, 5]), int(classes[0, 0])
(3, 1)
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
import rasterio.windows
from numpy.typing import NDArray
from pyproj import CRS, Transformer
from rasterio.features import rasterize
from rasterio.warp import Resampling, reproject

from ..geo.errors import CRSError, DataError, RasterError
from ..geo.io import atomic_path
from ..geo.progress import progress_bar
from ..geo.raster import open_raster, read_masked
from ..geo.registry import check_choice
from ..geo.resources import block_items
from ._degurba_grid import NODATA, GridParams, classify_arrays, optimal_builtup

__all__ = ["GridParams", "GridResult", "classify_grid", "classify_raster", "to_mollweide_1km", "optimal_builtup", "water_mask",
           "classify_units", "unit_classes", "from_codes", "by_density", "LEVEL1", "LEVEL2", "UNIT_LEVEL1",
           "UNIT_LEVEL2", "MOLLWEIDE", "NODATA"]

logger = logging.getLogger("urbanrural")


def __getattr__(name: str) -> Any:
    if name == "classify_grid_tiled":  # needs dask (the 'scale' extra): imported on first use
        try:
            from ._degurba_tiled import classify_grid_tiled
        except ImportError as exc:  # pragma: no cover - the scale extra is missing
            raise ImportError("classify_grid_tiled needs dask: pip install 'urbanrural[scale]'") from exc
        return classify_grid_tiled
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
MOLLWEIDE = "ESRI:54009"
LEVEL2 = {30: "urban centre", 23: "dense urban cluster", 22: "semi-dense urban cluster",
          21: "suburban or peri-urban", 13: "rural cluster", 12: "low density rural", 11: "very low density rural",
          10: "water"}
LEVEL1 = {3: "urban centre", 2: "urban cluster", 1: "rural", 0: "water"}
UNIT_LEVEL1 = {3: "city", 2: "town or semi-dense area", 1: "rural area"}
UNIT_LEVEL2 = {30: "city", 23: "dense town", 22: "semi-dense town", 21: "suburban or peri-urban area",
               13: "village", 12: "dispersed rural area", 11: "mostly uninhabited area"}
_SUB_M = 250.0  # resampling: sub-cell spacing (m)
_CHUNK = 4_000_000  # resampling: sub-points per chunk
BAR_MIN_POINTS = 8_000_000  # resampling: sub-points from which a bar is shown (~ a few seconds)


# ---------------------------------------------------------------------------- stage 1

def _params(params: GridParams | None, overrides: dict[str, Any]) -> GridParams:
    return (params or GridParams()).with_overrides(**overrides)


def _read(path: str | Path, name: str) -> tuple[NDArray[np.float64], Any]:
    info = open_raster(path, name=name)
    return read_masked(info, name=name).filled(np.nan), info


def _share(a: NDArray, cell_m2: float, name: str) -> NDArray:
    """Shares of the cell (0-1); GHSL grids in m2 (max > 1) are divided by the cell area."""
    mx = np.nanmax(a) if np.isfinite(a).any() else 0.0
    if mx > 1.0:
        a = a / cell_m2
        if np.nanmax(a) > 1.0 + 1e-6:
            raise DataError(f"{name} grid: values exceed the cell area ({cell_m2:g} m2); give shares (0-1) "
                            "or square metres per cell")
    return a


def classify_grid(population: NDArray | str | Path, *, land: NDArray | str | Path | None = None,
                  built: NDArray | str | Path | None = None, level: int = 2, params: GridParams | None = None,
                  cell_km2: float | None = None, **overrides: Any) -> NDArray[np.uint8]:
    """Classify a population grid (stage 1).

    Parameters
    ----------
    population : 2-D array or raster path
        People per cell (NaN = no data).  Rasters must declare nodata and a CRS; they are
        used as they are (see :func:`classify_raster` to resample first).
    land, built : 2-D array or raster path, optional
        Permanent-land and built-up surface as shares of the cell (0-1); grids in m2 (GHSL)
        are recognised (max > 1) and divided by the cell area.  Without ``land`` every
        cell is land (no water class); without ``built`` the built-up criterion is off.
    level : {1, 2}
    params : GridParams, optional
        Thresholds and rules (default: :class:`GridParams`); keyword ``overrides`` replace
        single fields, e.g. ``uc_density=1000`` or ``uc_built_threshold="optimal"``.
    cell_km2 : float, optional
        Cell area in km2: 1 for arrays, from the transform for rasters.

    Returns
    -------
    ndarray of uint8
        Level 2 codes (10, 11, 12, 13, 21, 22, 23, 30) or level 1 codes (0, 1, 2, 3);
        255 where the population is NaN and no land grid was given.

    Raises
    ------
    DataError
        Grids of different shapes, negative population, a level other than 1 or 2.
    ConfigError, UnknownNameError
        A bad or unknown parameter.
    NodataError, CRSError
        A raster without nodata or CRS.

    Examples
    --------
    >>> pop = np.full((10, 10), 20.0)
    >>> pop[2:8, 2:8] = 1500.0                  # 36 x 1,500 = 54,000 people
    >>> c = classify_grid(pop)
    >>> int(c[4, 4]), int(c[0, 0])
    (30, 11)
    >>> int(classify_grid(pop, uc_size=60_000)[4, 4])   # too small for a centre: dense cluster
    23
    """
    return _classify(population, land=land, built=built, level=level, params=_params(params, overrides),
                     cell_km2=cell_km2)[0]


def _classify(population, *, land, built, level, params, cell_km2):
    if level not in (1, 2):
        raise DataError(f"level must be 1 or 2; got {level!r}")
    arrays: dict[str, NDArray | None] = {}
    ref = None
    for name, a in (("population", population), ("land", land), ("built", built)):
        if isinstance(a, (str, Path)):
            arr, info = _read(a, name)
            if ref is None:
                ref = info
            elif (info.transform, info.width, info.height) != (ref.transform, ref.width, ref.height):
                raise RasterError(f"{name} raster {info.path.name} is not on the grid of {ref.path.name}; "
                                  "resample it first (classify_raster does)")
            if cell_km2 is None:
                cell_km2 = info.cell_area_m2 / 1e6
            if name != "population":
                arr = _share(arr, info.cell_area_m2, name)
            a = arr
        arrays[name] = None if a is None else np.asarray(a)
    cell_km2 = 1.0 if cell_km2 is None else float(cell_km2)
    pop = arrays["population"]
    if pop.ndim != 2:
        raise DataError(f"population must be a 2-D grid; got shape {pop.shape}")
    if pop.dtype not in (np.float32, np.float64):
        pop = pop.astype(np.float64)
    with np.errstate(invalid="ignore"):
        if (pop < 0).any():
            raise DataError("population grid has negative cells: declare the nodata value or clip negatives")
    out: dict[str, NDArray | None] = {}
    for name in ("land", "built"):
        a = arrays[name]
        if a is not None:
            if a.shape != pop.shape:
                raise DataError(f"{name} grid has shape {a.shape}, population {pop.shape}: they must align")
            a = _share(a.astype(pop.dtype, copy=False), cell_km2 * 1e6, name)
        out[name] = a
    if out["built"] is None and (params.uc_built or (level == 2 and params.duc_built)):
        logger.info("degurba: no built-up grid: the built-up criterion is off")
    classes, info = classify_arrays(pop, out["land"], out["built"], level=level, params=params, cell_km2=cell_km2)
    return classes, info, pop


def water_mask(population: NDArray, *, land: NDArray, built: NDArray | None = None, params: GridParams | None = None,
               **overrides: Any) -> NDArray[np.bool_]:
    """Permanent-water cells: land share < ``water_land``, people <= ``water_pop`` and
    built-up share <= ``water_built`` (missing values satisfy each test, as in flexurba).

    Examples
    --------
    >>> water_mask(np.array([[0.0, 0.0, 5.0]]), land=np.array([[0.2, 0.8, 0.2]])).tolist()
    [[True, False, False]]
    """
    from ._degurba_grid import _Inputs

    p = _params(params, overrides)
    pop = np.asarray(population, dtype=np.float64)
    land_a = np.asarray(land, dtype=np.float64)
    built_a = None if built is None else np.asarray(built, dtype=np.float64)
    for name, a in (("land", land_a), ("built", built_a)):
        if a is not None and a.shape != pop.shape:
            raise DataError(f"{name} grid has shape {a.shape}, population {pop.shape}: they must align")
    return _Inputs(pop, land_a, built_a, 1.0).water(p)


@dataclass(frozen=True)
class GridResult:
    """A classified grid with its georeferencing (from :func:`classify_raster`)."""

    classes: NDArray[np.uint8]
    population: NDArray[np.floating]
    transform: rasterio.Affine
    crs: str
    level: int
    params: GridParams
    built_threshold: float | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    def counts(self) -> pd.DataFrame:
        """Cells and people per class (index: code; columns class, cells, population)."""
        labels = LEVEL2 if self.level == 2 else LEVEL1
        pop = np.nan_to_num(self.population)
        rows = [{"code": code, "class": name, "cells": int((self.classes == code).sum()),
                 "population": float(pop[self.classes == code].sum())} for code, name in labels.items()]
        return pd.DataFrame(rows).set_index("code")

    def write(self, path: str | Path) -> Path:
        """Write the classes as a GeoTIFF (uint8, nodata 255), atomically."""
        path = Path(path)
        profile = dict(driver="GTiff", width=self.classes.shape[1], height=self.classes.shape[0], count=1,
                       dtype="uint8", crs=self.crs, transform=self.transform, nodata=NODATA, compress="deflate")
        with atomic_path(path) as tmp, rasterio.open(tmp, "w", **profile) as dst:
            dst.write(self.classes, 1)
            dst.update_tags(method="Degree of Urbanisation, stage 1 (GHSL R2023A rules)", level=str(self.level),
                            built_threshold=str(self.built_threshold), params=str(asdict(self.params)))
            labels = LEVEL2 if self.level == 2 else LEVEL1
            dst.update_tags(1, **{f"class_{k}": v for k, v in labels.items()})
        return path


def _is_mollweide_1km(info) -> bool:
    t = info.transform
    return (info.crs is not None and CRS.from_user_input(info.crs) == CRS.from_user_input(MOLLWEIDE)
            and t.b == 0 and t.d == 0 and abs(t.a) == 1000 and t.e == -1000 and t.c % 1000 == 0 and t.f % 1000 == 0)


def to_mollweide_1km(path: str | Path, *, kind: str = "population", like: tuple[rasterio.Affine, tuple[int, int]]
                     | None = None, nodata: float | None = None) -> tuple[NDArray[np.float64], rasterio.Affine]:
    """Resample a raster onto the 1 km Mollweide grid (ESRI:54009, edges at multiples of 1 km).

    Parameters
    ----------
    path : raster path (nodata and CRS required)
    kind : {"population", "share"}
        ``"population"``: counts; each source cell is split into k x k equal parts
        (k = ceil(cell size / 250 m)) whose people go to the 1 km cell holding the part's
        centre, so the total is preserved.  ``"share"``: 0-1 shares (or m2 per cell,
        converted), averaged by area.
    like : (transform, (height, width)), optional
        The target grid (default: the 1 km cells covering the raster's data).
    nodata : float, optional
        The nodata value of a raster that declares none (config: ``population: nodata:``).

    Returns
    -------
    (array, transform)
        NaN where no source data falls.

    Examples
    --------
    >>> import tempfile, rasterio
    >>> from rasterio.transform import from_origin
    >>> p = Path(tempfile.mkdtemp()) / "pop.tif"
    >>> with rasterio.open(p, "w", driver="GTiff", width=10, height=10, count=1, dtype="float32",
    ...                    crs="EPSG:32650", nodata=-1, transform=from_origin(400000, 4300000, 200, 200)) as dst:
    ...     dst.write(np.full((10, 10), 3.0, dtype="float32"), 1)
    >>> arr, t = to_mollweide_1km(p)
    >>> round(float(np.nansum(arr)), 3), t.a
    (300.0, 1000.0)
    """
    check_choice(kind, ("population", "share"), what="raster kind")
    info = open_raster(path, name=kind, nodata=nodata)
    if info.crs is None:
        raise CRSError(f"{info.path.name} has no CRS; set one (e.g. gdal_edit.py -a_srs EPSG:xxxx)")
    if _is_mollweide_1km(info) and like is None:
        arr = read_masked(info, name=kind).filled(np.nan)
        return (arr if kind == "population" else _share(arr, info.cell_area_m2, kind)), info.transform
    if kind == "population":
        return _population_to_1km(info, like)
    arr = read_masked(info, name=kind).filled(np.nan)
    if kind == "share":
        arr = _share(arr, info.cell_area_m2, info.path.name)
        if like is None:
            raise DataError("share rasters are resampled onto a population grid: pass like=(transform, shape)")
        transform, shape = like
        if _is_mollweide_1km(info):
            return _window_like(arr, info.transform, transform, shape), transform
        out = np.full(shape, np.nan)
        reproject(arr, out, src_transform=info.transform, src_crs=info.crs, dst_transform=transform,
                  dst_crs=MOLLWEIDE, resampling=Resampling.average, src_nodata=np.nan, dst_nodata=np.nan)
        return out, transform
    raise AssertionError("unreachable")  # pragma: no cover


def _row_windows(info) -> Iterator[tuple[int, NDArray[np.float64]]]:
    """(first row, cells with nodata as NaN) of the raster, a block of rows at a time
    (about :data:`_CHUNK` cells, sized by the memory budget), top to bottom."""
    rows = _row_windows_rows(info)
    for r0 in range(0, info.height, rows):
        win = rasterio.windows.Window(0, r0, info.width, min(rows, info.height - r0))
        yield r0, read_masked(info, window=win, name="population").filled(np.nan)


def _population_to_1km(info, like) -> tuple[NDArray[np.float64], rasterio.Affine]:
    """Population moved onto the 1 km Mollweide grid by sub-cells, the raster read by
    blocks of rows (never whole); cells are added in raster order, as one pass would."""
    t = info.transform
    tr = Transformer.from_crs(info.crs, MOLLWEIDE, always_xy=True)
    # source cell size in metres, measured in Mollweide at the raster centre
    cx, cy = t * (info.width / 2, info.height / 2)
    (x0, x1), (y0, y1) = tr.transform([cx, cx + t.a], [cy, cy])
    (u0, u1), (v0, v1) = tr.transform([cx, cx], [cy, cy + t.e])
    size_m = max(math.hypot(x1 - x0, y1 - y0), math.hypot(u1 - u0, v1 - v0))
    if not math.isfinite(size_m) or size_m <= 0:
        raise CRSError(f"{info.path.name}: cannot project its cells to Mollweide; check its CRS")
    k = max(1, math.ceil(size_m / _SUB_M - 1e-9))
    offs = (np.arange(k) + 0.5) / k
    if like is None:
        # grid: 1 km cells covering the data's bounding box projected with densified edges
        # (+ margin): straight source edges bow in Mollweide, by km over hundreds of km
        r0 = c0 = None
        r1 = c1 = -1
        for top, block in _row_windows(info):
            fr = np.flatnonzero(np.isfinite(block).any(axis=1))
            if len(fr) == 0:
                continue
            fc = np.flatnonzero(np.isfinite(block).any(axis=0))
            r0 = top + int(fr[0]) if r0 is None else r0
            r1 = top + int(fr[-1]) + 1
            c0 = int(fc[0]) if c0 is None else min(c0, int(fc[0]))
            c1 = max(c1, int(fc[-1]) + 1)
        if r0 is None:
            raise DataError(f"{info.path.name}: no cell holds data (all nodata)")
        mx, my = _projected_edges(t, tr, r0, r1, c0, c1)
        xmin, xmax = math.floor(min(mx) / 1000) * 1000 - 1000, math.ceil(max(mx) / 1000) * 1000 + 1000
        ymin, ymax = math.floor(min(my) / 1000) * 1000 - 1000, math.ceil(max(my) / 1000) * 1000 + 1000
        transform = rasterio.Affine(1000, 0, xmin, 0, -1000, ymax)
        shape = (int((ymax - ymin) // 1000), int((xmax - xmin) // 1000))
    else:
        transform, shape = like
    out = np.zeros(shape)
    covered = np.zeros(shape, dtype=bool)
    lost = 0.0
    per = max(1, _CHUNK // (k * k))
    with progress_bar(desc="degurba: population to 1 km", total=info.height, unit="row",
                      show=info.width * info.height * k * k >= BAR_MIN_POINTS) as bar:
        for top, block in _row_windows(info):
            rows, cols = np.nonzero(np.isfinite(block))
            vals = block[rows, cols] / (k * k)
            rows = rows + top
            del block
            for s in range(0, len(rows), per):
                rr, cc, vv = rows[s:s + per], cols[s:s + per], vals[s:s + per]
                fr = (rr[:, None] + offs[None, :]).repeat(k, axis=1).ravel()
                fc = np.tile(cc[:, None] + offs[None, :], (1, k)).ravel()
                px, py = t * (fc, fr)
                mx, my = tr.transform(px, py)
                c = np.floor((np.asarray(mx) - transform.c) / 1000).astype(np.int64)
                r = np.floor((transform.f - np.asarray(my)) / 1000).astype(np.int64)
                v = np.repeat(vv, k * k)
                ok = (r >= 0) & (r < shape[0]) & (c >= 0) & (c < shape[1])
                lost += float(v[~ok].sum())
                np.add.at(out, (r[ok], c[ok]), v[ok])
                covered[r[ok], c[ok]] = True
            bar.update(min(info.height - top, _row_windows_rows(info)))
    if like is None and lost > 0:
        raise RasterError(f"{info.path.name}: {lost:g} people fell outside the 1 km grid; report this bug")
    out[~covered] = np.nan
    return out, transform


def _row_windows_rows(info) -> int:
    """Rows per block read (~64 bytes a cell with the sub-cell temporaries, 1/32 of the budget)."""
    return max(1, block_items(64, share=1 / 32) // max(info.width, 1))


def _window_like(arr: NDArray, src_t: rasterio.Affine, dst_t: rasterio.Affine, shape: tuple[int, int]) -> NDArray:
    """Cut/pad an aligned 1 km Mollweide array to another aligned 1 km window."""
    out = np.full(shape, np.nan)
    r0 = int(round((src_t.f - dst_t.f) / -1000))
    c0 = int(round((dst_t.c - src_t.c) / 1000))
    h, w = arr.shape
    rs, re_ = max(r0, 0), min(r0 + h, shape[0])
    cs, ce = max(-c0, 0), min(w - c0, shape[1])
    if rs < re_ and cs < ce:
        out[rs:re_, cs:ce] = arr[rs - r0:re_ - r0, cs + c0:ce + c0]
    return out


def _projected_edges(t: rasterio.Affine, tr: Transformer, r0: float, r1: float, c0: float, c1: float
                     ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The outline of the pixel box rows r0-r1, columns c0-c1 projected with ``tr``, each
    edge densified to a point every ~8 cells (at least 16, at most 4,096 per edge), so
    the bow of a straight source edge in the target CRS is not cut off (issue 16: 8 points
    of a 700 km-wide UTM 47N raster at 45 N missed ~1.9 km)."""
    n = int(min(4096, max(16, math.ceil(max(r1 - r0, c1 - c0) / 8))))
    s = np.linspace(0.0, 1.0, n + 1)
    cs, rs = c0 + s * (c1 - c0), r0 + s * (r1 - r0)
    ex = np.concatenate([cs, np.full_like(s, c1), cs, np.full_like(s, c0)])
    ey = np.concatenate([np.full_like(s, r0), rs, np.full_like(s, r1), rs])
    gx, gy = t * (ex, ey)
    mx, my = tr.transform(gx, gy)
    mx, my = np.asarray(mx, dtype=float), np.asarray(my, dtype=float)
    ok = np.isfinite(mx) & np.isfinite(my)
    if not ok.any():
        raise CRSError("cannot project the raster's outline to Mollweide; check its CRS")
    return mx[ok], my[ok]


def classify_raster(population: str | Path, *, land: str | Path | None = None, built: str | Path | None = None,
                    level: int = 2, out: str | Path | None = None, params: GridParams | None = None,
                    nodata: float | None = None, tiled: int | None = None, scratch: str | Path | None = None,
                    **overrides: Any) -> GridResult:
    """Classify a population raster of any CRS and resolution on the 1 km Mollweide grid.

    This is what ``urbanrural degurba POP.tif [--land L] [--built B] [--level 1|2] --out C.tif``
    runs.  Population is resampled preserving totals (see :func:`to_mollweide_1km`); land
    and built-up rasters (shares or m2 per cell) are averaged onto the same grid.

    Parameters
    ----------
    population : raster path (nodata and CRS required)
    land, built : raster paths, optional
        Without ``land`` every cell counts as permanent land (no water; cells outside the
        population data get 255); without ``built`` the built-up criterion is off.
    level : {1, 2}
    out : path, optional
        Write the classes here (GeoTIFF, uint8, nodata 255), atomically.
    nodata : float, optional
        The population raster's nodata value when the file declares none.
    tiled : int, optional
        Classify the 1 km grid in tiles of this many cells a side on the active dask
        scheduler (:func:`classify_grid_tiled`; equal cell for cell to the in-memory rules);
        the resampling and the returned grid stay in memory. A grid within one tile is
        classified in memory.
    scratch : directory, optional
        With ``tiled``: where tiles wait between rounds (default: a temporary directory);
        every dask worker must see it.
    params, **overrides
        As :func:`classify_grid`.

    Returns
    -------
    GridResult

    Examples
    --------
    >>> import tempfile
    >>> from rasterio.transform import from_origin
    >>> d = Path(tempfile.mkdtemp())
    >>> pop = np.full((8, 8), 40.0, dtype="float32"); pop[2:6, 2:6] = 4000.0   # 64,000 people
    >>> with rasterio.open(d / "pop.tif", "w", driver="GTiff", width=8, height=8, count=1, dtype="float32",
    ...                    crs="ESRI:54009", nodata=-1, transform=from_origin(0, 8000, 1000, 1000)) as dst:
    ...     dst.write(pop, 1)
    >>> res = classify_raster(d / "pop.tif", out=d / "classes.tif")
    >>> int(res.counts().loc[30, "cells"]), (d / "classes.tif").exists()
    (16, True)
    """
    p = _params(params, overrides)
    pop, transform = to_mollweide_1km(population, kind="population", nodata=nodata)
    notes = []
    arrays = {}
    for name, path in (("land", land), ("built", built)):
        if path is not None:
            arrays[name], _ = to_mollweide_1km(path, kind="share", like=(transform, pop.shape))
    if land is None:
        notes.append("no land grid: every cell counts as permanent land (no water class)")
    if built is None:
        notes.append("no built-up grid: the built-up criterion is off")
    if tiled and max(pop.shape) > int(tiled):  # one tile would gain nothing
        classes, threshold = _classify_tiled(pop, arrays, level=level, params=p, tile=int(tiled), transform=transform,
                                             scratch=scratch)
    else:
        classes, info, pop = _classify(pop, land=arrays.get("land"), built=arrays.get("built"), level=level,
                                       params=p, cell_km2=1.0)
        threshold = info.get("built_threshold_uc")
    result = GridResult(classes, pop, transform, MOLLWEIDE, level, p, threshold, tuple(notes))
    if out is not None:
        result.write(out)
    return result


def _classify_tiled(pop: NDArray, arrays: dict[str, NDArray], *, level: int, params: GridParams, tile: int,
                    transform: rasterio.Affine, scratch: str | Path | None) -> tuple[NDArray[np.uint8], float | None]:
    """Stage 1 on dask tiles (:func:`classify_grid_tiled`), read back into memory."""
    import tempfile

    from ._degurba_tiled import classify_grid_tiled

    with tempfile.TemporaryDirectory(prefix="degurba-", dir=scratch) as tmp:
        path = classify_grid_tiled(pop, land=arrays.get("land"), built=arrays.get("built"), level=level,
                                   params=params, chunks=tile, cell_km2=1.0, out=Path(tmp) / "classes.tif",
                                   scratch=tmp, transform=transform, crs=MOLLWEIDE)
        with rasterio.open(path) as src:
            classes = src.read(1)
            thr = src.tags().get("built_threshold")
    return classes, (float(thr) if thr not in (None, "None", "") else None)


# ---------------------------------------------------------------------------- stage 2

def unit_classes(shares: pd.DataFrame, *, rules: str = "2024") -> pd.DataFrame:
    """Stage-2 rules on population shares per grid class.

    Parameters
    ----------
    shares : DataFrame
        One row per unit; columns are level-2 grid codes (30, 23, 22, 21, 13, 12, 11; a
        missing column counts as 0) holding population shares (rows summing to 1).
    rules : {"2024", "2021"}
        Level-2 unit rules of the July 2024 revision (default) or of the 2021 manual.

    Returns
    -------
    DataFrame with ``degurba_l1`` (3 city, 2 town or semi-dense area, 1 rural area) and
    ``degurba_l2`` (30, 23, 22, 21, 13, 12, 11), on the index of ``shares``.

    Notes
    -----
    Level 1: city when >= 50 % of the people live in urban centres; rural area when
    > 50 % live in rural cells (13, 12, 11); otherwise town or semi-dense area.
    Level 2 (2024): dense town when urban centre + dense cluster >= 50 %; suburban or
    peri-urban area when suburban + rural >= 50 %; else semi-dense town.  Village when
    urban (30-21) + rural cluster >= 50 %; mostly uninhabited when very low density >= 50 %;
    else dispersed rural area.  (flexurba 0.2 writes the suburban test as semi-dense +
    rural; the manual and flexurba's own documentation say suburban + rural, used here.)
    Level 2 (2021): dense town when dense >= semi-dense and dense + semi-dense > suburban;
    semi-dense town when dense < semi-dense and dense + semi-dense > suburban; else
    suburban; rural areas by the largest of rural cluster, low and very low density.

    Examples
    --------
    >>> s = pd.DataFrame({30: [0.6, 0.1, 0.0], 23: [0.2, 0.5, 0.0], 13: [0.2, 0.4, 0.2], 11: [0.0, 0.0, 0.8]},
    ...                  index=["a", "b", "c"])
    >>> unit_classes(s).to_dict("list")
    {'degurba_l1': [3, 2, 1], 'degurba_l2': [30, 23, 11]}
    """
    check_choice(rules, ("2024", "2021"), what="unit classification rules")
    s = shares.reindex(columns=[30, 23, 22, 21, 13, 12, 11], fill_value=0.0).fillna(0.0)
    eps = 1e-12  # shares computed from sums: 0.5 may come out as 0.49999999999999994
    uc, duc, sduc, surb, rc, ldr, vldr = (s[c].to_numpy(dtype=float) for c in (30, 23, 22, 21, 13, 12, 11))
    rural = rc + ldr + vldr
    l1 = np.where(uc >= 0.5 - eps, 3, np.where(rural > 0.5 + eps, 1, 2))
    if rules == "2024":
        town = np.where(uc + duc >= 0.5 - eps, 23, np.where(surb + rural >= 0.5 - eps, 21, 22))
        rur = np.where(uc + duc + sduc + surb + rc >= 0.5 - eps, 13, np.where(vldr >= 0.5 - eps, 11, 12))
    else:
        town = np.where(duc + sduc > surb, np.where(duc >= sduc, 23, 22), 21)
        rur = np.select([(rc >= ldr) & (rc >= vldr), ldr >= vldr], [13, 12], 11)
    l2 = np.where(l1 == 3, 30, np.where(l1 == 2, town, rur))
    return pd.DataFrame({"degurba_l1": l1.astype(int), "degurba_l2": l2.astype(int)}, index=shares.index)


def _read_classes(grid: GridResult | str | Path) -> tuple[NDArray[np.uint8], rasterio.Affine, Any, int,
                                                          NDArray | None]:
    if isinstance(grid, GridResult):
        return grid.classes, grid.transform, grid.crs, grid.level, grid.population
    info = open_raster(grid, name="grid classes")
    with rasterio.open(info.path) as src:
        classes = src.read(1)
    vals = set(np.unique(classes).tolist()) - {NODATA}
    level = 1 if vals <= set(LEVEL1) else 2
    if not vals <= set(LEVEL2) | set(LEVEL1):
        raise DataError(f"{info.path.name}: values {sorted(vals)} are not Degree of Urbanisation codes")
    return classes, info.transform, info.crs, level, None


def classify_units(units: gpd.GeoDataFrame, grid: GridResult | str | Path, population: str | Path | None = None, *,
                   rules: str = "2024", nodata: float | None = None) -> pd.DataFrame:
    """Stage 2: classify units by the share of their people in each grid class.

    Parameters
    ----------
    units : GeoDataFrame (any CRS), index = unit id
    grid : GridResult or path of a classes raster
        The stage-1 grid (level 1 or 2; from level 1 only ``degurba_l1`` is meaningful).
    population : raster path, optional
        A (finer) population raster, as GHSL does with its 100 m grid: each of its cells
        takes the class of the grid cell holding its centre.  Default: the grid's own
        1 km population (needs a GridResult).
    rules : {"2024", "2021"}
        See :func:`unit_classes`.

    Returns
    -------
    DataFrame on ``units.index`` with ``degurba_l1``, ``degurba_l2``, ``population`` (people
    counted, 0 for units too small to hold a cell centre), ``basis`` ("population", "area"
    for units without people: shares of cells, as GHSL; "touching" for units holding no
    cell centre: all touching cells) and ``share_<code>`` for every level-2 code.

    Examples
    --------
    >>> import shapely
    >>> from rasterio.transform import from_origin
    >>> pop = np.full((4, 6), 100.0); pop[:, :3] = 3000.0           # west: 36,000 people
    >>> cls = np.full((4, 6), 11, dtype=np.uint8); cls[:, :3] = 30
    >>> g = GridResult(cls, pop, from_origin(0, 4000, 1000, 1000), MOLLWEIDE, 2, GridParams())
    >>> u = gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 3000, 4000), shapely.box(3000, 0, 6000, 4000)],
    ...                      index=["west", "east"], crs=MOLLWEIDE)
    >>> classify_units(u, g)[["degurba_l1", "degurba_l2", "population"]].to_dict("index")["west"]
    {'degurba_l1': 3, 'degurba_l2': 30, 'population': 36000.0}
    """
    classes, g_t, g_crs, level, g_pop = _read_classes(grid)
    if level == 1:
        lut = np.full(256, NODATA, dtype=np.uint8)
        lut[[3, 2, 1, 0]] = [30, 21, 11, 10]
        classes = lut[classes]
    codes = np.array([30, 23, 22, 21, 13, 12, 11, 10], dtype=np.uint8)
    code_pos = np.full(256, -1, dtype=np.int64)
    code_pos[codes] = np.arange(len(codes))

    def tally(cells_idx: NDArray, cells_cls: NDArray, weights: NDArray | None, n_units: int) -> NDArray:
        pos = code_pos[cells_cls]
        ok = (cells_idx > 0) & (pos >= 0)
        flat = (cells_idx[ok] - 1) * len(codes) + pos[ok]
        w = None if weights is None else weights[ok]
        return np.bincount(flat, weights=w, minlength=n_units * len(codes)).reshape(n_units, len(codes))

    n = len(units)
    if population is None:
        if g_pop is None:
            raise DataError("classify_units: give the population raster (the classes raster holds no people)")
        pop_all = np.asarray(g_pop, dtype=np.float64)
        p_t, p_crs, tr, info = g_t, CRS.from_user_input(g_crs), None, None

        def blocks() -> Iterator[tuple[rasterio.windows.Window, NDArray, NDArray]]:
            yield rasterio.windows.Window(0, 0, pop_all.shape[1], pop_all.shape[0]), pop_all, classes
    else:
        info = open_raster(population, name="population", nodata=nodata)
        if info.crs is None:
            raise CRSError(f"{info.path.name} has no CRS")
        p_t, p_crs = info.transform, info.crs
        tr = Transformer.from_crs(p_crs, g_crs, always_xy=True)
        lost = [0.0]

        def blocks() -> Iterator[tuple[rasterio.windows.Window, NDArray, NDArray]]:
            # the raster a block of rows at a time (never whole): each cell gets the class of
            # the grid cell holding its centre
            for top, pop in _row_windows(info):
                win = rasterio.windows.Window(0, top, info.width, pop.shape[0])
                cell_cls, out = _cell_classes(pop, win, p_t, tr, classes, g_t)
                lost[0] += out
                yield win, pop, cell_cls
    u = units.to_crs(p_crs)
    shapes = [(geom, i + 1) for i, geom in enumerate(u.geometry) if geom is not None and not geom.is_empty]
    by_pop = np.zeros((n, len(codes)))
    by_area = np.zeros((n, len(codes)))
    for win, pop, cell_cls in blocks():
        idx = rasterize(shapes, out_shape=pop.shape, transform=rasterio.windows.transform(win, p_t), fill=0,
                        dtype="int32") if shapes else np.zeros(pop.shape, dtype=np.int32)
        by_pop += tally(idx.ravel(), cell_cls.ravel(), np.nan_to_num(pop).ravel(), n)
        by_area += tally(idx.ravel(), cell_cls.ravel(), None, n)
        del idx
    if population is not None and lost[0] > 0:
        logger.warning(f"classify_units: {lost[0]:,.0f} people lie outside the classes grid")
    total = by_pop.sum(axis=1)
    basis = np.where(total > 0, "population", np.where(by_area.sum(axis=1) > 0, "area", "touching"))
    mat = np.where((total > 0)[:, None], by_pop, by_area)
    for i in np.nonzero(basis == "touching")[0]:
        geom = u.geometry.iloc[i]
        if geom is None or geom.is_empty:
            continue
        # a unit holding no cell centre: the cells it touches, read in its own window
        shape = (pop_all.shape if info is None else (info.height, info.width))
        win = rasterio.windows.from_bounds(*geom.bounds, transform=p_t).round_offsets(op="floor") \
            .round_lengths(op="ceil")
        win = rasterio.windows.Window(win.col_off - 1, win.row_off - 1, win.width + 2, win.height + 2).intersection(
            rasterio.windows.Window(0, 0, shape[1], shape[0]))
        if info is None:
            sl = win.toslices()
            pop, cell_cls = pop_all[sl], classes[sl]
        else:
            pop = read_masked(info, window=win, name="population").filled(np.nan)
            cell_cls, _ = _cell_classes(pop, win, p_t, tr, classes, g_t)
        one = rasterize([(geom, 1)], out_shape=pop.shape, transform=rasterio.windows.transform(win, p_t), fill=0,
                        dtype="int32", all_touched=True)
        sel = one.ravel() > 0
        people = np.nan_to_num(pop).ravel()
        row = tally(one.ravel()[sel], cell_cls.ravel()[sel], people[sel], 1)[0]
        mat[i] = row if row.sum() > 0 else tally(one.ravel()[sel], cell_cls.ravel()[sel], None, 1)[0]
    sums = mat.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(sums > 0, mat / sums, 0.0)
    shares = pd.DataFrame(share, index=units.index, columns=codes.tolist())
    land_shares = shares.drop(columns=[10])
    land_tot = land_shares.sum(axis=1)
    # water holds no people; for area-based units, shares are taken over land classes
    land_shares = land_shares.div(land_tot.where(land_tot > 0, 1.0), axis=0)
    out = unit_classes(land_shares, rules=rules)
    empty = sums[:, 0] == 0
    if empty.any():
        out.loc[empty, ["degurba_l1", "degurba_l2"]] = [1, 11]
        logger.warning(f"classify_units: {int(empty.sum())} unit(s) cover no grid cell: rural (11)")
    if level == 1:
        out["degurba_l2"] = pd.array([pd.NA] * n, dtype="Int64")
    out["population"] = np.where(basis == "population", total, 0.0)
    out["basis"] = basis
    for c in codes:
        out[f"share_{c}"] = shares[int(c)].to_numpy()
    return out


def _cell_classes(pop: NDArray, win: rasterio.windows.Window, p_t: rasterio.Affine, tr: Transformer,
                  classes: NDArray[np.uint8], g_t: rasterio.Affine) -> tuple[NDArray[np.uint8], float]:
    """The grid class of each cell of a window of the population raster (that of the 1 km
    cell holding its centre; NODATA where it has no data or lies outside the grid), and the
    people outside the grid."""
    rows, cols = np.nonzero(np.isfinite(pop))
    xs, ys = p_t * (cols + win.col_off + 0.5, rows + win.row_off + 0.5)
    mx, my = tr.transform(xs, ys)
    gc = np.floor((np.asarray(mx) - g_t.c) / g_t.a).astype(np.int64)
    gr = np.floor((np.asarray(my) - g_t.f) / g_t.e).astype(np.int64)
    inside = (gr >= 0) & (gr < classes.shape[0]) & (gc >= 0) & (gc < classes.shape[1])
    cell_cls = np.full(pop.shape, NODATA, dtype=np.uint8)
    cell_cls[rows[inside], cols[inside]] = classes[gr[inside], gc[inside]]
    return cell_cls, float(pop[rows[~inside], cols[~inside]].sum())


# ---------------------------------------------------------------------------- designations

_URBAN_CODES = (111, 112, 121, 122, 123)
_RURAL_CODES = (210, 220)


def from_codes(codes: pd.Series) -> pd.Series:
    """China's urban-rural classification codes (统计用城乡划分代码) to "urban"/"rural".

    111 main urban area, 112 urban-rural fringe, 121 town centre, 122 town-rural fringe,
    123 special area are urban; 210 village centre and 220 village are rural.  Numbers or
    text ("111") are accepted.

    Raises
    ------
    DataError
        Missing values or other codes, listing them.

    Examples
    --------
    >>> from_codes(pd.Series([111, "122", 210, 220], index=list("abcd"))).tolist()
    ['urban', 'urban', 'rural', 'rural']
    """
    num = pd.to_numeric(pd.Series(codes).astype("string").str.strip(), errors="coerce")
    urban = num.isin(_URBAN_CODES)
    rural = num.isin(_RURAL_CODES)
    bad = ~(urban | rural)
    if bad.any():
        shown = sorted({str(v) for v in pd.Series(codes)[bad].tolist()})
        raise DataError(f"{int(bad.sum())} unit(s) have codes outside China's urban-rural codes (urban "
                        f"{', '.join(map(str, _URBAN_CODES))}; rural 210, 220): {', '.join(shown[:10])}"
                        f"{' ...' if len(shown) > 10 else ''}; fix the column or use a density threshold")
    return pd.Series(np.where(urban, "urban", "rural"), index=codes.index, name="urban_class")


def by_density(density: pd.Series, *, threshold: float) -> pd.Series:
    """"urban" where people per km2 >= ``threshold``, else "rural".

    Examples
    --------
    >>> by_density(pd.Series([2000.0, 300.0, 10.0]), threshold=300).tolist()
    ['urban', 'urban', 'rural']
    """
    if not (isinstance(threshold, (int, float)) and math.isfinite(threshold) and threshold > 0):
        raise DataError(f"density threshold must be a positive number of people per km2; got {threshold!r}")
    d = pd.to_numeric(density, errors="coerce")
    if d.isna().any():
        raise DataError(f"{int(d.isna().sum())} unit(s) have no density "
                        f"({', '.join(map(str, d.index[d.isna()][:10]))}); give every unit a population and area")
    if (d < 0).any():
        raise DataError(f"{int((d < 0).sum())} unit(s) have a negative density")
    return pd.Series(np.where(d >= threshold, "urban", "rural"), index=density.index, name="urban_class")
