"""Degree of Urbanisation (UN Statistical Commission 2020; GHSL R2023A rules).

Stage 1 classifies a 1 km grid; stage 2 classifies units by the share of their people in
each grid class; simpler designations (official codes, a density threshold) serve when a
grid is not the right tool.

Grid rules (defaults; every one is a field of :class:`GridParams`), on densities per km2
of *permanent land* (people / land share of the cell):

- **30 urban centre**: cells >= 1,500/km2 *or* with >= 20 % built-up surface per
  permanent land (the R2023A "reduce fragmentation" option; 20 % is GHSL's optimal value
  for 2020), 4-connected, >= 50,000 people; edges smoothed by the R2023A majority rule (a
  cell joins a centre when more than half of its valid neighbours belong to it; water and
  empty non-land cells are not counted and never join); then holes < 15 km2 filled.
- **23 dense urban cluster**: the same density/built-up rule, 4-connected, >= 5,000 people,
  no smoothing or gap filling.
- **22 semi-dense urban cluster**: >= 300/km2, 8-connected, >= 5,000 people, not
  touching a 3-cell buffer (8-neighbour dilation) around 30 and 23.
- **21 suburban or peri-urban**: other cells of >= 300/km2, 8-connected, >= 5,000 clusters.
- **13 rural cluster**: >= 300/km2, 8-connected, >= 500 people; **12 low-density rural**:
  >= 50/km2; **11 very low density rural**: the rest.
- **10 water**: a rural cell with < 50 % permanent land, no people and no built-up area.

Level 1 maps 30 -> 3 (urban centre), 21-23 -> 2 (urban cluster), 11-13 -> 1 (rural),
10 -> 0 (water). Cluster sizes sum the people of all cells of the cluster, including
cells already classified at a higher level (as GHSL and flexurba do).

Inputs at other resolutions or CRSs are resampled onto the 1 km Mollweide (ESRI:54009)
grid by :func:`to_mollweide_1km`: population by summing fine cells into the coarse cell
containing their centre (so the total is preserved exactly), land and built-up as
area-weighted means.

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
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
from numpy.typing import NDArray
from rasterio.warp import Resampling, reproject
from scipy import ndimage

from ..geo.errors import DataError
from ..geo.io import atomic_path
from ..geo.raster import open_raster, read_masked

__all__ = ["GridParams", "classify_grid", "classify_raster", "classify_units", "from_codes", "by_density",
           "to_mollweide_1km", "LEVEL2", "LEVEL1", "GridResult"]

logger = logging.getLogger("urbanrural")
MOLLWEIDE = "ESRI:54009"
LEVEL2 = {30: "urban centre", 23: "dense urban cluster", 22: "semi-dense urban cluster",
          21: "suburban or peri-urban", 13: "rural cluster", 12: "low density rural", 11: "very low density rural",
          10: "water"}
LEVEL1 = {3: "urban centre", 2: "urban cluster", 1: "rural", 0: "water"}
_TO_LEVEL1 = {30: 3, 23: 2, 22: 2, 21: 2, 13: 1, 12: 1, 11: 1, 10: 0}
_N4 = ndimage.generate_binary_structure(2, 1)
_N8 = ndimage.generate_binary_structure(2, 2)


@dataclass(frozen=True)
class GridParams:
    """Every threshold and rule of the grid classification (GHSL R2023A defaults)."""

    uc_density: float = 1500.0
    uc_size: float = 50_000.0
    uc_contiguity: int = 4
    uc_built: bool = True
    uc_built_threshold: float = 0.2
    uc_gap_fill: bool = True
    uc_max_gap_km2: float = 15.0
    uc_smooth_edge: str | None = "R2023A"  # "R2023A", "R2022A" or None
    duc_density: float = 1500.0
    duc_size: float = 5000.0
    duc_contiguity: int = 4
    duc_built: bool = True
    duc_built_threshold: float = 0.2
    sduc_density: float = 300.0
    sduc_size: float = 5000.0
    sduc_contiguity: int = 8
    sduc_buffer: int = 3
    surb_density: float = 300.0
    surb_size: float = 5000.0
    surb_contiguity: int = 8
    rc_density: float = 300.0
    rc_size: float = 500.0
    rc_contiguity: int = 8
    ldr_density: float = 50.0
    ucl_density: float = 300.0  # level 1 urban clusters
    ucl_size: float = 5000.0
    ucl_contiguity: int = 8
    water_land: float = 0.5
    water_pop: float = 0.0
    water_built: float = 0.0

    def __post_init__(self) -> None:
        for f in fields(self):
            if f.name.endswith("contiguity") and getattr(self, f.name) not in (4, 8):
                raise DataError(f"{f.name} must be 4 or 8; got {getattr(self, f.name)!r}")
        if self.uc_smooth_edge not in (None, "R2023A", "R2022A"):
            raise DataError(f"uc_smooth_edge must be 'R2023A', 'R2022A' or None; got {self.uc_smooth_edge!r}")


def _clusters(dense: NDArray[np.bool_], pop: NDArray[np.float64], *, size: float, contiguity: int) -> NDArray[np.int32]:
    """Labels (1..k) of contiguous dense cells whose people sum to >= size; 0 elsewhere."""
    lab, n = ndimage.label(dense, structure=_N4 if contiguity == 4 else _N8)
    if n == 0:
        return lab
    sums = np.bincount(lab.ravel(), weights=np.where(np.isnan(pop), 0, pop).ravel(), minlength=n + 1)
    keep = sums >= size
    keep[0] = False
    new_id = np.zeros(n + 1, dtype=np.int32)
    new_id[keep] = np.arange(1, keep.sum() + 1)
    return new_id[lab]


_OFFSETS = [(dr, dc) for dr in (-1, 0, 1) for dc in (-1, 0, 1) if (dr, dc) != (0, 0)]


def _majority(ids: NDArray[np.int32], *, water: NDArray[np.bool_], ignore: NDArray[np.bool_],
              version: str) -> NDArray[np.int32]:
    """Iterative majority-rule edge smoothing of labelled clusters (synchronous updates).

    Only cells next to cells added in the previous round can change, so after the first
    round the candidates are found from the newly added cells alone.
    """
    h, w = ids.shape
    pid = np.pad(ids, 1)  # 0 = not a cluster (also outside the grid)
    pex = np.pad(water | ignore, 1, constant_values=False)
    pwater = np.pad(water, 1, constant_values=True)
    rows, cols = np.nonzero(ndimage.binary_dilation(ids > 0, structure=_N8) & (ids == 0))
    rows, cols = rows + 1, cols + 1
    while len(rows):
        keep = pid[rows, cols] == 0
        if version == "R2023A":
            keep &= ~pwater[rows, cols]
        rows, cols = rows[keep], cols[keep]
        if not len(rows):
            break
        nb = np.stack([pid[rows + dr, cols + dc] for dr, dc in _OFFSETS])
        if version == "R2023A":
            excluded = np.stack([pex[rows + dr, cols + dc] for dr, dc in _OFFSETS])
            nb = np.where(excluded & (nb == 0), -1, nb)
            valid = (nb != -1).sum(0)
        else:
            valid = np.full(len(rows), 8)
        best = np.zeros(len(rows), dtype=np.int32)
        best_n = np.zeros(len(rows), dtype=np.int64)
        for k in range(8):
            v = nb[k]
            cnt = (nb == v[None, :]).sum(0)
            better = (v > 0) & (cnt > best_n)
            best = np.where(better, v, best)
            best_n = np.where(better, cnt, best_n)
        ok = (best_n * 2 > valid) if version == "R2023A" else (best_n >= 5)
        if not ok.any():
            break
        nr, nc = rows[ok], cols[ok]
        pid[nr, nc] = best[ok]
        # next candidates: neighbours of the cells just added (inside the grid)
        cand_r = np.concatenate([nr + dr for dr, _ in _OFFSETS])
        cand_c = np.concatenate([nc + dc for _, dc in _OFFSETS])
        inside = (cand_r >= 1) & (cand_r <= h) & (cand_c >= 1) & (cand_c <= w)
        flat = np.unique(cand_r[inside] * (w + 2) + cand_c[inside])
        rows, cols = flat // (w + 2), flat % (w + 2)
    return pid[1:-1, 1:-1].copy()


def _fill_gaps(ids: NDArray[np.int32], max_cells: int) -> NDArray[np.int32]:
    """Fill holes (4-connected non-cluster regions enclosed by one cluster) of <= max_cells."""
    bg, n = ndimage.label(ids == 0, structure=_N4)
    if n == 0:
        return ids
    sizes = np.bincount(bg.ravel(), minlength=n + 1)
    border = np.unique(np.concatenate([bg[0], bg[-1], bg[:, 0], bg[:, -1]]))
    pairs = []
    for sh in ((1, 0), (-1, 0), (0, 1), (0, -1)):
        a = bg
        b = np.roll(ids, sh, axis=(0, 1))
        m = (a > 0) & (b > 0)
        # np.roll wraps: drop the wrapped row/column
        if sh[0] == 1:
            m[0, :] = False
        elif sh[0] == -1:
            m[-1, :] = False
        if sh[1] == 1:
            m[:, 0] = False
        elif sh[1] == -1:
            m[:, -1] = False
        pairs.append(np.stack([a[m], b[m]], axis=1))
    p = np.unique(np.concatenate(pairs), axis=0)
    region, owner = p[:, 0], p[:, 1]
    n_owners = np.bincount(region, minlength=n + 1)
    fill = np.zeros(n + 1, dtype=np.int32)
    single = n_owners[region] == 1
    fill[region[single]] = owner[single]
    fill[sizes > max_cells] = 0
    fill[border] = 0
    fill[0] = 0
    out = ids.copy()
    holes = fill[bg]
    out[holes > 0] = holes[holes > 0]
    return out


def _prepare(population: NDArray, land: NDArray | None, built: NDArray | None, cell_km2: float):
    pop = np.asarray(population)
    pop = pop if pop.dtype in (np.float32, np.float64) else pop.astype(np.float64)
    if pop.ndim != 2:
        raise DataError(f"population must be a 2-D grid; got shape {pop.shape}")
    if (pop < 0).any():
        raise DataError("population grid has negative cells: is the nodata value declared?")
    land_share = np.ones_like(pop) if land is None else np.asarray(land, dtype=pop.dtype)
    built_share = None if built is None else np.asarray(built, dtype=pop.dtype)
    for name, a in (("land", land_share), ("built", built_share)):
        if a is not None and a.shape != pop.shape:
            raise DataError(f"{name} grid has shape {a.shape}, population {pop.shape}: they must align")
    with np.errstate(divide="ignore", invalid="ignore"):
        density = pop / (land_share * cell_km2)  # people per km2 of permanent land (inf when no land)
        built_per_land = None if built_share is None else np.round(built_share / land_share, 3)
    return pop, land_share, built_share, density, built_per_land


def _water(pop, land, built, p: GridParams) -> NDArray[np.bool_]:
    w = (np.isnan(land) | (land < p.water_land)) & (np.isnan(pop) | (pop <= p.water_pop))
    if built is not None:
        w &= np.isnan(built) | (built <= p.water_built)
    return w


def _dense(density, built_per_land, threshold_density: float, use_built: bool, built_threshold: float):
    with np.errstate(invalid="ignore"):
        d = density >= threshold_density
        if use_built and built_per_land is not None:
            d |= built_per_land >= built_threshold
    return d


def _urban_centres(pop, land, built, density, built_per_land, p: GridParams) -> NDArray[np.int32]:
    ids = _clusters(_dense(density, built_per_land, p.uc_density, p.uc_built, p.uc_built_threshold), pop,
                    size=p.uc_size, contiguity=p.uc_contiguity)
    if p.uc_smooth_edge:
        water = _water(pop, land, built, p)
        with np.errstate(invalid="ignore"):
            ignore = (land < 0.5) & (pop == 0)
        ids = _majority(ids, water=water, ignore=ignore, version=p.uc_smooth_edge)
    if p.uc_gap_fill:
        ids = _fill_gaps(ids, int(np.ceil(p.uc_max_gap_km2)) - 1)
    return ids


def classify_grid(population: NDArray | str | Path, *, land: NDArray | str | Path | None = None,
                  built: NDArray | str | Path | None = None, level: int = 2, cell_km2: float = 1.0,
                  params: GridParams | None = None, **overrides: float) -> NDArray[np.uint8]:
    """Classify a population grid (stage 1).

    Parameters
    ----------
    population : 2-D array or raster path
        People per cell (NaN = no data). Raster paths are read as they are; use
        :func:`classify_raster` to resample onto the 1 km Mollweide grid first.
    land, built : 2-D array or raster path, optional
        Permanent land and built-up surface as shares of the cell (0-1); rasters in m2
        (GHSL) are detected (max > 1) and divided by the cell area. Without ``land`` every
        cell counts as land; without ``built`` the built-up criterion is off.
    level : {1, 2}
    cell_km2 : float
        Cell area (1 for the GHSL grid).
    params : GridParams, optional
        Thresholds and rules; keyword ``overrides`` replace single fields
        (e.g. ``uc_density=1000``).

    Returns
    -------
    ndarray of uint8
        Level 2 codes 10-30, or level 1 codes 0-3.
    """
    if level not in (1, 2):
        raise DataError(f"level must be 1 or 2; got {level!r}")
    p = replace(params or GridParams(), **overrides) if overrides else (params or GridParams())
    arrays = []
    for name, a in (("population", population), ("land", land), ("built", built)):
        if isinstance(a, (str, Path)):
            info = open_raster(a, name=name)
            arr = read_masked(info, name=name).filled(np.nan)
            cell_m2 = abs(info.transform.a * info.transform.e)
            if name != "population" and np.nanmax(arr) > 1.0:
                arr = arr / cell_m2
            a = arr
        arrays.append(a)
    pop, land_share, built_share, density, built_per_land = _prepare(arrays[0], arrays[1], arrays[2], cell_km2)
    if built_share is None and (p.uc_built or p.duc_built):
        logger.info("degurba: no built-up grid: the built-up criterion is off")
        p = replace(p, uc_built=False, duc_built=False)
    uc = _urban_centres(pop, land_share, built_share, density, built_per_land, p)
    out = np.zeros(pop.shape, dtype=np.uint8)
    out[uc > 0] = 30
    if level == 1:
        ucl = _clusters(np.where(np.isnan(density), -1, density) >= p.ucl_density, pop, size=p.ucl_size,
                        contiguity=p.ucl_contiguity)
        out[(out == 0) & (ucl > 0)] = 21
    else:
        duc = _clusters(_dense(density, built_per_land, p.duc_density, p.duc_built, p.duc_built_threshold), pop,
                        size=p.duc_size, contiguity=p.duc_contiguity)
        out[(out == 0) & (duc > 0)] = 23
        buffer = out > 0
        if p.sduc_buffer > 0:
            buffer = ndimage.binary_dilation(buffer, structure=_N8, iterations=p.sduc_buffer)
        d300 = np.where(np.isnan(density), -1, density)
        sduc = _clusters(d300 >= p.sduc_density, pop, size=p.sduc_size, contiguity=p.sduc_contiguity)
        touching = np.unique(sduc[buffer & (sduc > 0)])
        ok = (sduc > 0) & ~np.isin(sduc, touching)
        out[(out == 0) & ok] = 22
        surb = _clusters(d300 >= p.surb_density, pop, size=p.surb_size, contiguity=p.surb_contiguity)
        out[(out == 0) & (surb > 0)] = 21
        rc = _clusters(d300 >= p.rc_density, pop, size=p.rc_size, contiguity=p.rc_contiguity)
        out[(out == 0) & (rc > 0)] = 13
        out[(out == 0) & (d300 >= p.ldr_density)] = 12
    out[out == 0] = 11
    out[(out == 11) & _water(pop, land_share, built_share, p)] = 10
    if level == 1:
        return np.vectorize(_TO_LEVEL1.get, otypes=[np.uint8])(out) if out.size < 1000 else \
            np.select([out == 30, out >= 21, out >= 11], [3, 2, 1], 0).astype(np.uint8)
    return out


@dataclass(frozen=True)
class GridResult:
    """A classified grid with its georeferencing."""

    classes: NDArray[np.uint8]
    population: NDArray[np.float64]
    transform: rasterio.Affine
    crs: object
    level: int

    def counts(self) -> pd.DataFrame:
        labels = LEVEL2 if self.level == 2 else LEVEL1
        rows = []
        for code, name in labels.items():
            m = self.classes == code
            rows.append({"code": code, "class": name, "cells": int(m.sum()),
                         "population": float(np.nansum(self.population[m]))})
        return pd.DataFrame(rows).set_index("code")


def to_mollweide_1km(path: str | Path, *, kind: str = "population") -> tuple[NDArray[np.float64], rasterio.Affine]:
    """Resample a raster onto the 1 km Mollweide grid (cells aligned to multiples of 1 km).

    ``kind="population"``: each fine cell's people go to the 1 km cell containing its
    centre (totals preserved exactly); ``"share"``: area-weighted average of a 0-1 share.
    """
    info = open_raster(path, name=kind)
    arr = read_masked(info, name=kind).filled(np.nan)
    if info.crs.to_string() in (MOLLWEIDE, "ESRI:54009") and abs(info.transform.a) == 1000 and \
            info.transform.c % 1000 == 0 and info.transform.f % 1000 == 0:
        return arr, info.transform
    from pyproj import Transformer

    rows, cols = np.nonzero(np.isfinite(arr))
    xs, ys = rasterio.transform.xy(info.transform, rows, cols)
    mx, my = Transformer.from_crs(info.crs, MOLLWEIDE, always_xy=True).transform(np.asarray(xs), np.asarray(ys))
    x0, y1 = np.floor(mx.min() / 1000) * 1000, np.ceil(my.max() / 1000) * 1000
    width = int(np.ceil((mx.max() - x0) / 1000)) + 1
    height = int(np.ceil((y1 - my.min()) / 1000)) + 1
    transform = rasterio.Affine(1000, 0, x0, 0, -1000, y1)
    if kind == "population":
        c = ((mx - x0) // 1000).astype(int)
        r = ((y1 - my) // 1000).astype(int)
        out = np.zeros((height, width))
        np.add.at(out, (r, c), arr[rows, cols])
        covered = np.zeros((height, width), dtype=bool)
        covered[r, c] = True
        out[~covered] = np.nan
        return out, transform
    out = np.full((height, width), np.nan)
    reproject(arr, out, src_transform=info.transform, src_crs=info.crs, dst_transform=transform, dst_crs=MOLLWEIDE,
              resampling=Resampling.average, src_nodata=np.nan, dst_nodata=np.nan)
    return out, transform


def classify_raster(population: str | Path, *, land: str | Path | None = None, built: str | Path | None = None,
                    level: int = 2, out: str | Path | None = None, params: GridParams | None = None,
                    **overrides: float) -> GridResult:
    """Classify population (and optional land/built-up) rasters, resampled to 1 km Mollweide
    when needed, and optionally write the classes as a GeoTIFF (uint8, nodata 255)."""
    pop, transform = to_mollweide_1km(population, kind="population")
    land_arr = built_arr = None
    for name, path in (("land", land), ("built", built)):
        if path is None:
            continue
        info = open_raster(path, name=name)
        if info.crs.to_string() == MOLLWEIDE and info.transform == transform:
            a = read_masked(info, name=name).filled(np.nan)
            a = a / 1e6 if np.nanmax(a) > 1 else a
        else:
            a, _ = to_mollweide_1km(path, kind="share")
            a = a / (abs(info.transform.a * info.transform.e)) if np.nanmax(a) > 1 else a
            if a.shape != pop.shape:
                raise DataError(f"{name} raster does not cover the population grid; clip both to the same area")
        if name == "land":
            land_arr = a
        else:
            built_arr = a
    classes = classify_grid(pop, land=land_arr, built=built_arr, level=level, params=params, **overrides)
    result = GridResult(classes, pop, transform, MOLLWEIDE, level)
    if out is not None:
        profile = dict(driver="GTiff", width=pop.shape[1], height=pop.shape[0], count=1, dtype="uint8",
                       crs=MOLLWEIDE, transform=transform, nodata=255, compress="deflate")
        with atomic_path(out) as tmp, rasterio.open(tmp, "w", **profile) as dst:
            dst.write(classes, 1)
            dst.update_tags(method="Degree of Urbanisation (GHSL R2023A rules)", level=str(level),
                            params=str(asdict(params or GridParams())))
    return result


def classify_units(units: gpd.GeoDataFrame, grid: GridResult, *, population: str | Path | None = None) -> pd.DataFrame:
    """Stage 2: classify units by the share of their population in each grid class.

    With ``population`` (a finer population raster) each fine cell takes the class of the
    1 km cell containing its centre and its people count for the unit containing it;
    otherwise the 1 km cells are assigned to units by their centres.

    Level 1: city when >= 50 % of the people live in urban centres; rural area when > 50 %
    live in rural cells (11-13); otherwise town or semi-dense area. Level 2 by plurality:
    towns are dense (23 > 22), semi-dense (22 >= 23 > 0) or suburban; rural areas are
    villages, dispersed rural areas or mostly uninhabited by the largest of 13, 12, 11.
    """
    if population is not None:
        info = open_raster(population, name="population")
        fine = read_masked(info, name="population").filled(0.0)
        rows, cols = np.nonzero(fine > 0)
        xs, ys = rasterio.transform.xy(info.transform, rows, cols)
        crs = info.crs
        people = fine[rows, cols]
    else:
        rows, cols = np.nonzero(np.nan_to_num(grid.population) > 0)
        xs, ys = rasterio.transform.xy(grid.transform, rows, cols)
        crs = grid.crs
        people = grid.population[rows, cols]
    pts = gpd.GeoSeries(gpd.points_from_xy(np.asarray(xs), np.asarray(ys)), crs=crs)
    mx = pts.to_crs(grid.crs)
    c = ((mx.x.to_numpy() - grid.transform.c) // grid.transform.a).astype(int)
    r = ((mx.y.to_numpy() - grid.transform.f) // grid.transform.e).astype(int)
    inside = (r >= 0) & (r < grid.classes.shape[0]) & (c >= 0) & (c < grid.classes.shape[1])
    code = np.full(len(people), 11, dtype=np.uint8)
    code[inside] = grid.classes[r[inside], c[inside]]
    if grid.level == 1:
        code = np.select([code == 3, code == 2, code == 1], [30, 21, 11], 10).astype(np.uint8)
    u = units.to_crs(crs)
    hit = gpd.sjoin(gpd.GeoDataFrame(geometry=pts.to_numpy(), crs=crs), u[["geometry"]], predicate="within",
                    how="inner")
    frame = pd.DataFrame({"unit": u.index.to_numpy()[u.index.get_indexer(hit["index_right"])]
                          if "index_right" in hit else hit.iloc[:, -1].to_numpy(),
                          "code": code[hit.index.to_numpy()], "people": people[hit.index.to_numpy()]})
    shares = frame.pivot_table(index="unit", columns="code", values="people", aggfunc="sum", fill_value=0.0)
    shares = shares.reindex(index=units.index, columns=list(LEVEL2), fill_value=0.0)
    total = shares.sum(axis=1)
    s = shares.div(total.where(total > 0), axis=0)
    rural = s[[11, 12, 13]].sum(axis=1)
    l1 = np.where(s[30] >= 0.5, 3, np.where(rural > 0.5, 1, 2))
    town = np.where(s[23] > s[22], 23, np.where(s[22] > 0, 22, 21))
    rur = np.select([(s[13] >= s[12]) & (s[13] >= s[11]), s[12] >= s[11]], [13, 12], 11)
    l2 = np.where(l1 == 3, 30, np.where(l1 == 2, town, rur))
    l1 = np.where(total > 0, l1, 1)
    out = pd.DataFrame({"degurba_l1": l1, "degurba_l2": np.where(total > 0, l2, 11), "population": total},
                       index=units.index)
    for code in (30, 23, 22, 21, 13, 12, 11, 10):
        out[f"share_{code}"] = s[code].fillna(0.0)
    return out


def from_codes(codes: pd.Series) -> pd.Series:
    """China's urban-rural classification codes to "urban"/"rural": 111-123 urban
    (main urban area, urban-rural fringe, town centre, town fringe, special areas);
    210 and 220 rural (village centre, village). Other codes raise DataError."""
    num = pd.to_numeric(codes, errors="coerce")
    urban = num.between(111, 123) & num.isin([111, 112, 121, 122, 123])
    rural = num.isin([210, 220])
    bad = ~(urban | rural)
    if bad.any():
        raise DataError(f"{int(bad.sum())} unit(s) have codes outside China's urban-rural codes (111, 112, 121, "
                        f"122, 123, 210, 220): {sorted(pd.unique(codes[bad].astype(str)))[:10]}")
    return pd.Series(np.where(urban, "urban", "rural"), index=codes.index, name="urban_class")


def by_density(density: pd.Series, *, threshold: float) -> pd.Series:
    """"urban" where people per km2 >= threshold, else "rural"."""
    if not threshold > 0:
        raise DataError(f"density threshold must be positive; got {threshold!r}")
    d = pd.to_numeric(density, errors="coerce")
    if d.isna().any():
        raise DataError(f"{int(d.isna().sum())} unit(s) have no density")
    return pd.Series(np.where(d >= threshold, "urban", "rural"), index=density.index, name="urban_class")
