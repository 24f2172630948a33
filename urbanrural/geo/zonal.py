"""Zonal sums of a people-per-cell raster: exact cell coverage fractions or cell centres.

Methods (``method=``)
---------------------
``"exact"`` (default)
    Each cell's people are shared among the units by the fraction of the cell each unit
    covers (exactextract, the field's tool for coverage fractions): a unit smaller than a
    cell gets ``value x its share of the cell``, never 0.  The sum over units equals the
    sum over cells of value x covered fraction, so units that tile the raster preserve
    its total (to float rounding).
``"centre"``
    A cell goes wholly to the unit containing its centre (GDAL's rasterize rule, the
    rule of earlier versions): every person is counted once, but a unit that holds no
    cell centre gets 0 people.

The units are taken to the raster's CRS for the zonal step (edges segmentized first, so
a straight edge stays where it was); the raster is never resampled.  On a geographic
raster (WorldPop, LandScan in EPSG:4326) the fractions are computed on the lon/lat
cells: a cell's area in square metres varies with latitude, but its value is a count of
people, so the fraction-weighted sum is right (within one cell the scale varies by less
than 1e-4 of itself for a 30" cell, and that is the only error).

Memory: only the units' window is read (their bounds in the raster's CRS plus one
cell, see :func:`urbanrural.geo.raster.window_for`), in blocks of at most
``block_cells`` cells; a block holds the raw values (float64) and per-cell flags, so a
national file over a county costs the county's cells only.  A window of at least
``BAR_MIN_CELLS`` cells (about 2 s of exact coverage) shows a bar with an ETA over its
blocks on stderr (not under ``-q``); the blocks are the same with or without it.

Shares of a cell below ``MIN_FRACTION`` (1e-6) are dropped: they are slivers left by
coordinates rounded through another CRS (a unit edge 1e-9 m off a cell edge), and would
otherwise make a neighbour's cell "inside" a unit; a cell shared among units whose
shares add up to 1 within 1e-6 is rescaled to exactly 1 (exactextract reports float32
fractions), so units that tile the raster keep its total to float64 rounding.

Checks (every method): the raster's nodata value must be declared or given; cells
inside the units (a share above ``MIN_FRACTION``) that are NaN (when nodata is not NaN) or infinite are
excluded from every sum and counted; negative cells inside the units raise DataError;
negative cells in the window outside every unit are counted and left out.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio.features
import rasterio.windows
import shapely
from numpy.typing import NDArray
from pyproj import CRS

from .checks import CheckLog, get_log
from .crs import crs_label
from .errors import CRSError, DataError, RasterError
from .progress import progress
from .raster import RasterInfo, format_extent, open_raster, read_band, window_for
from .registry import check_choice
from .resources import block_items

__all__ = ["ZONAL_METHODS", "MIN_FRACTION", "ZonalResult", "zonal_sum", "cell_people", "zones_in_raster_crs"]

ZONAL_METHODS = ("exact", "centre")
BLOCK_CELLS = 4_000_000  # cells per block read at the default 8 GB budget (~32 MB of float64 plus flags)
BAR_MIN_CELLS = 8_000_000  # windows from this size show a bar over their blocks
MIN_FRACTION = 1e-6  # smaller shares of a cell are slivers of float rounding, not people
# straight unit edges are split into pieces no longer than this before reprojection
_SEGMENT = {"projected": 1_000.0, "geographic": 0.01}


@dataclass(frozen=True)
class ZonalResult:
    """Zonal sums per unit and what fell outside."""

    sums: pd.Series
    outside: float
    total: float
    cells_used: int
    excluded: dict[str, int] = field(default_factory=dict)
    """Cells inside the units left out of every sum, by kind: ``nan`` (NaN where
    nodata is not NaN), ``+inf``, ``-inf``; and ``nodata`` (declared nodata cells)."""
    method: str = "exact"
    window: rasterio.windows.Window | None = None
    """The window of the raster that was read (the units' bounds plus one cell)."""

    @property
    def excluded_cells(self) -> int:
        """Cells inside the units that are not values (NaN, +/-inf); nodata not included."""
        return int(sum(v for k, v in self.excluded.items() if k != "nodata"))


# ---------------------------------------------------------------- geometry and blocks
def zones_in_raster_crs(units: gpd.GeoDataFrame | gpd.GeoSeries, crs: object) -> NDArray[np.object_]:
    """The units' geometries in ``crs``, edges segmentized first when the CRS differs
    (1 km pieces in a projected CRS, 0.01 degree in a geographic one).

    Examples
    --------
    >>> u = gpd.GeoSeries([shapely.box(400000, 4300000, 404000, 4304000)], crs=32650)
    >>> g = zones_in_raster_crs(u, "EPSG:4326")[0]
    >>> int(shapely.get_num_coordinates(g))    # 4 km edges in 1 km pieces, ring closed
    17
    """
    if units.crs is None:
        raise CRSError("units have no CRS; cannot overlay them on a raster (set it: units.set_crs(...))")
    geoms = np.asarray(units.geometry.values if isinstance(units, gpd.GeoDataFrame) else units.values)
    src, dst = CRS.from_user_input(units.crs), CRS.from_user_input(crs)
    if src.equals(dst):
        return geoms
    seg = _SEGMENT["geographic" if src.is_geographic else "projected"]
    dense = shapely.segmentize(geoms, seg)
    return np.asarray(gpd.GeoSeries(dense, crs=src).to_crs(dst).values)


def _block_cells() -> int:
    """Cells per block read: :data:`BLOCK_CELLS` at the default budget, scaled by ``scale: memory_gb``."""
    return block_items(64, share=1 / 32)  # ~64 bytes a cell with temporaries; 8 GB -> 3.9M cells


def _block_rows(win: rasterio.windows.Window, block_cells: int) -> int:
    return max(1, int(block_cells) // max(int(win.width), 1))


def _blocks(win: rasterio.windows.Window, block_cells: int) -> Iterator[rasterio.windows.Window]:
    rows = _block_rows(win, block_cells)
    for r in range(0, int(win.height), rows):
        yield rasterio.windows.Window(win.col_off, win.row_off + r, win.width, min(rows, int(win.height) - r))


def _feature_source(geoms: NDArray[np.object_] | None, ids: NDArray[np.intp], *,
                    wkbs: Sequence[bytes] | None = None) -> object:
    """Units ``ids`` as an exactextract feature source of WKB with an ``id`` field (units and
    raster in one CRS, so none is declared); ``wkbs``: their WKB already made (else from
    ``geoms[ids]``)."""
    from exactextract import Feature
    from exactextract.feature import FeatureSource

    class WkbFeature(Feature):
        def __init__(self, fid: int, wkb: bytes) -> None:
            Feature.__init__(self)
            self.fid, self.wkb, self.props = fid, wkb, {}

        def geometry(self) -> bytes:
            return self.wkb

        def set_geometry_format(self) -> str:
            return "wkb"

        def get(self, name: str) -> object:
            return self.fid if name == "id" else self.props[name]

        def set(self, name: str, value: object) -> None:
            self.props[name] = value

        def set_geometry(self, wkb: object) -> None:  # output geometry is not asked for
            pass

        def fields(self) -> list[str]:
            return ["id"]

    class WkbSource(FeatureSource):
        def __init__(self) -> None:
            super().__init__()

        def count(self) -> int:
            return len(ids)

        def __iter__(self) -> Iterator[WkbFeature]:
            for i, wkb in zip(ids, shapely.to_wkb(geoms[ids]) if wkbs is None else wkbs, strict=True):
                yield WkbFeature(int(i), wkb)

        def srs_wkt(self) -> None:  # the caller put units and raster in one CRS
            return None

    return WkbSource()


def _polygonal(geoms: NDArray[np.object_], ids: NDArray[np.intp]) -> NDArray[np.object_]:
    """``geoms`` with the entries at ``ids`` reduced to their polygons (exactextract takes
    Polygon and MultiPolygon only; a collection's lines and points have no area)."""
    sub = geoms[ids]
    kinds = shapely.get_type_id(sub)
    odd = ~np.isin(kinds, (3, 6))  # Polygon, MultiPolygon
    if not odd.any():
        return geoms
    out = geoms.copy()
    for i, g in zip(ids[odd], sub[odd], strict=True):
        parts = [p for p in shapely.get_parts(g) if shapely.get_type_id(p) in (3, 6)]
        polys = [q for p in parts for q in shapely.get_parts(p)]
        out[i] = shapely.MultiPolygon(polys) if polys else shapely.Polygon()
    return out


def _exact_pairs(shape: tuple[int, int], transform: object, geoms: NDArray[np.object_],
                 ids: NDArray[np.intp]) -> tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.float64]]:
    """(unit, cell, fraction) for every cell a unit covers in a block (cell = row * width + col)."""
    try:
        from exactextract import exact_extract
        from exactextract.raster import NumPyRasterSource
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise ImportError("exact zonal sums need exactextract: pip install exactextract "
                          "(or use method='centre')") from exc
    geoms = _polygonal(geoms, ids)
    ids = ids[~shapely.is_empty(geoms[ids])]
    h, w = shape
    t = transform
    # coverage of a dummy grid: exactextract drops NaN cells from cell_id/coverage, and
    # the value checks are done here on the real cells
    grid = NumPyRasterSource(np.broadcast_to(np.float32(0), shape), t.c, t.f + h * t.e, t.c + w * t.a, t.f)
    feats = exact_extract(grid, _feature_source(geoms, ids), ["cell_id", "coverage"], include_cols=["id"],
                          output="geojson")
    units, counts, cells, fracs = [], [], [], []
    for f in feats:
        p = f["properties"]
        c = np.asarray(p["cell_id"], dtype=np.intp)
        if len(c):
            units.append(f["id"])
            counts.append(len(c))
            cells.append(c)
            fracs.append(np.asarray(p["coverage"], dtype=np.float64))
    if not cells:
        return np.empty(0, np.intp), np.empty(0, np.intp), np.empty(0)
    return np.repeat(np.asarray(units, dtype=np.intp), counts), np.concatenate(cells), np.concatenate(fracs)


def _mappings(geoms: NDArray[np.object_]) -> list[object]:
    """GeoJSON-like mappings of ``geoms`` for rasterio, the coordinates taken out in one
    vectorised pass for polygons and multipolygons (the same floats as their
    ``__geo_interface__``, at a fraction of its cost); other types use theirs."""
    kinds = shapely.get_type_id(geoms)
    out: list[object] = list(geoms)
    fast = np.flatnonzero(np.isin(kinds, (3, 6)))
    if not len(fast):
        return out
    parts, part_of = shapely.get_parts(geoms[fast], return_index=True)
    rings, ring_of = shapely.get_rings(parts, return_index=True)
    xy, coord_of = shapely.get_coordinates(rings, return_index=True)
    ends = np.cumsum(np.bincount(coord_of, minlength=len(rings))).tolist()
    flat = xy.tolist()
    starts = [0] + ends[:-1]
    ring_lists = [flat[a:b] for a, b in zip(starts, ends, strict=True)]
    polys: list[list[object]] = [[] for _ in range(len(parts))]
    for r, k in zip(ring_lists, ring_of.tolist(), strict=True):
        polys[k].append(r)
    per_geom: list[list[object]] = [[] for _ in range(len(fast))]
    for poly, k in zip(polys, part_of.tolist(), strict=True):
        per_geom[k].append(poly)
    for j, i in enumerate(fast.tolist()):
        if kinds[i] == 3:
            out[i] = {"type": "Polygon", "coordinates": per_geom[j][0] if per_geom[j] else []}
        else:
            out[i] = {"type": "MultiPolygon", "coordinates": per_geom[j]}
    return out


def _centre_pairs(shape: tuple[int, int], transform: object, geoms: NDArray[np.object_],
                  ids: NDArray[np.intp]) -> tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.float64]]:
    ids = np.asarray([i for i in ids if geoms[i] is not None and not shapely.is_empty(geoms[i])], dtype=np.intp)
    shapes = zip(_mappings(geoms[ids]), (ids + 1).tolist(), strict=True)
    codes = rasterio.features.rasterize(shapes, out_shape=shape, transform=transform, fill=0,
                                        all_touched=False, dtype="int32").ravel()
    cells = np.flatnonzero(codes)
    return codes[cells].astype(np.intp) - 1, cells, np.ones(len(cells))


_PAIRS = {"exact": _exact_pairs, "centre": _centre_pairs}


def _check_grid(info: RasterInfo, label: str) -> None:
    t = info.transform
    if t.b != 0 or t.d != 0 or t.e >= 0 or t.a <= 0:
        raise RasterError(f"{label} is not a north-up grid (transform {tuple(t)[:6]}); warp it first "
                          f"(gdalwarp {info.path.name} northup.tif)")


@dataclass
class _Block:
    window: rasterio.windows.Window
    raw: NDArray[np.float64]           # (h*w,) as stored
    unit: NDArray[np.intp]             # pairs: unit position, cell (in block), fraction
    cell: NDArray[np.intp]
    frac: NDArray[np.float64]


def _iter_blocks(info: RasterInfo, geoms: NDArray[np.object_], win: rasterio.windows.Window, *, method: str,
                 label: str, block_cells: int, desc: str = "zonal") -> Iterator[_Block]:
    """The window's blocks with their (unit, cell, fraction) pairs; a bar (``desc``) over
    the blocks when the window has at least ``BAR_MIN_CELLS`` cells."""
    pairs = _PAIRS[method]
    tree = shapely.STRtree(geoms)
    n_blocks = -(-int(win.height) // _block_rows(win, block_cells))
    show = int(win.width) * int(win.height) >= BAR_MIN_CELLS
    for blk in progress(_blocks(win, block_cells), desc=f"{desc} {label}", total=n_blocks, unit="block", show=show):
        raw = read_band(info, window=blk, name=label)
        bt = rasterio.windows.transform(blk, info.transform)
        ids = tree.query(shapely.box(*rasterio.windows.bounds(blk, info.transform)), predicate="intersects")
        ids = np.sort(ids)
        if len(ids):
            u, c, f = pairs(raw.shape, bt, geoms, ids)
            keep = f > MIN_FRACTION  # slivers: edges off by float rounding through another CRS
            if not keep.all():
                u, c, f = u[keep], c[keep], f[keep]
            if method == "exact" and len(f):
                # exactextract reports fractions as float32: a cell fully shared among units
                # (sum within 1e-6 of 1) is rescaled to exactly 1, so tiling units keep the total.
                # Only cells with a fraction below 1 can change (a cell covered whole by one
                # unit has cover 1 and stays 1; by several, cover >= 2 and stays): their pairs
                # are summed in the same order as over all pairs
                mark = np.zeros(raw.size, dtype=bool)
                mark[c[f != 1.0]] = True
                sel = np.flatnonzero(mark[c])
                if len(sel):
                    cs, fs = c[sel], f[sel]
                    cover = np.bincount(cs, weights=fs, minlength=raw.size)[cs]
                    full = np.abs(cover - 1.0) < 1e-6
                    f = f.copy()
                    f[sel] = np.where(full, fs / np.where(full, cover, 1.0), fs)
        else:
            u, c, f = np.empty(0, np.intp), np.empty(0, np.intp), np.empty(0)
        yield _Block(blk, raw.ravel(), u, c, f)


def _overlap_window(info: RasterInfo, units: gpd.GeoDataFrame, geoms: NDArray[np.object_],
                    label: str) -> rasterio.windows.Window:
    rb = info.bounds
    ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    ub = shapely.total_bounds(geoms[ok]) if ok.any() else np.full(4, np.nan)
    win = window_for(info, ub, margin=1) if np.isfinite(ub).all() else rasterio.windows.Window(0, 0, 0, 0)
    miss = not np.isfinite(ub).all() or ub[0] >= rb[2] or ub[2] <= rb[0] or ub[1] >= rb[3] or ub[3] <= rb[1]
    if miss or win.width <= 0 or win.height <= 0:
        theirs = "" if CRS.from_user_input(units.crs).equals(info.crs) else \
            f"; {format_extent(units.total_bounds, units.crs)} as given"
        raise RasterError(
            f"{label} (extent {format_extent(rb, info.crs)}) does not overlap the units (extent "
            f"{format_extent(ub, info.crs)}{theirs}); check the raster's CRS and that it covers the "
            "study area"
        )
    return win


# ---------------------------------------------------------------- zonal sums
def zonal_sum(path: str | Path | RasterInfo, units: gpd.GeoDataFrame, *, method: str = "exact",
              nodata: float | None = None, name: str | None = None, log: CheckLog | None = None,
              nodata_hint: str | None = None, block_cells: int | None = None) -> ZonalResult:
    """Sum a people-per-cell raster per unit, reading only the units' window.

    Parameters
    ----------
    path : path-like or RasterInfo
        The raster, or an already checked :class:`~urbanrural.geo.raster.RasterInfo`
        (then ``nodata`` is ignored).
    units : GeoDataFrame
        Units in any CRS (taken to the raster's for this step).
    method : {"exact", "centre"}
        ``"exact"``: cells shared by exact coverage fractions (a unit smaller than a cell
        gets its share); ``"centre"``: each cell to the unit containing its centre.
    nodata : float, optional
        The nodata value when the file declares none.
    block_cells : int, optional
        Cells read at a time (memory bound: about 9 bytes per cell); default
        :data:`BLOCK_CELLS` at an 8 GB budget, scaled by ``scale: memory_gb``.

    Returns
    -------
    ZonalResult
        ``sums`` on ``units.index``; ``outside``: people in the window (the units' bounds
        plus one cell) in no unit (for ``"exact"``, the uncovered part of each cell);
        ``total``: people in the window.

    Examples
    --------
    >>> import tempfile, pathlib, numpy as np, rasterio, geopandas as gpd, shapely
    >>> from rasterio.transform import from_origin
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> prof = dict(driver="GTiff", width=4, height=2, count=1, dtype="float32",
    ...             crs="EPSG:32650", transform=from_origin(0, 200, 100, 100), nodata=-1)
    >>> with rasterio.open(d / "pop.tif", "w", **prof) as dst:
    ...     dst.write(np.array([[1, 2, 3, 4], [5, 6, 7, -1]], "float32"), 1)
    >>> u = gpd.GeoDataFrame({"geometry": [shapely.box(0, 0, 200, 200), shapely.box(200, 0, 400, 200),
    ...                                    shapely.box(10, 110, 20, 120)]}, index=["a", "b", "tiny"], crs=32650)
    >>> zonal_sum(d / "pop.tif", u).sums.round(6).tolist()   # tiny: 1% of the cell holding 1
    [14.0, 14.0, 0.01]
    >>> zonal_sum(d / "pop.tif", u, method="centre").sums.tolist()
    [14.0, 14.0, 0.0]
    """
    block_cells = block_cells or _block_cells()
    check_choice(method, ZONAL_METHODS, what="zonal method")
    log = get_log(log)
    info = path if isinstance(path, RasterInfo) else open_raster(path, nodata=nodata, name=name,
                                                                   nodata_hint=nodata_hint)
    label = name or info.path.name
    _check_grid(info, label)
    geoms = zones_in_raster_crs(units, info.crs)
    win = _overlap_window(info, units, geoms, label)
    n = len(geoms)
    sums = np.zeros(n)
    touched = np.zeros(n, dtype=np.int64)
    covered_cells = np.zeros(n)
    excluded = {"nan": 0, "+inf": 0, "-inf": 0, "nodata": 0}
    neg_values: Counter[float] = Counter()
    n_neg_in = n_neg_out = cells_used = 0
    outside = total = 0.0
    for b in _iter_blocks(info, geoms, win, method=method, label=label, block_cells=block_cells):
        raw = b.raw
        declared = info.nodata_mask(raw)
        inside = np.zeros(raw.size, dtype=bool)
        inside[b.cell] = True
        excluded["nan"] += int((np.isnan(raw) & ~declared & inside).sum())
        excluded["+inf"] += int((np.isposinf(raw) & inside).sum())
        excluded["-inf"] += int((np.isneginf(raw) & inside).sum())
        excluded["nodata"] += int((declared & inside).sum())
        valid = np.isfinite(raw) & ~declared
        negative = valid & (raw < 0)
        if negative.any():
            neg_in = negative & inside
            n_neg_in += int(neg_in.sum())
            n_neg_out += int((negative & ~inside).sum())
            if len(neg_values) < 1000:
                neg_values.update(raw[neg_in][:1000].tolist())
        vals = np.where(valid & ~negative, raw, 0.0)
        sums += np.bincount(b.unit, weights=b.frac * vals[b.cell], minlength=n)
        touched += np.bincount(b.unit, minlength=n)
        covered_cells += np.bincount(b.unit, weights=b.frac, minlength=n)
        cover = np.minimum(np.bincount(b.cell, weights=b.frac, minlength=raw.size), 1.0)
        outside += float((vals * (1.0 - cover)).sum())
        total += float(vals.sum())
        cells_used += int(inside.sum())
    if n_neg_in:
        top = ", ".join(f"{v:.6g} x{c}" for v, c in neg_values.most_common(3))
        raise DataError(
            f"{label}: {n_neg_in} cell(s) inside the units are negative ({top}); a count of people "
            f"must be >= 0: if they mark empty cells, declare that value as nodata"
            f"{' (' + nodata_hint + ')' if nodata_hint else ''}, else fix the raster"
        )
    if n_neg_out:
        log.add(label, "negative cells", "warning", count=n_neg_out,
                detail="negative cells outside every unit (in the units' window): not counted")
    _log_cells(log, label, info, excluded, cells_used)
    _log_units(log, label, info, units, geoms, method, touched, covered_cells)
    if outside > 0:
        share = outside / total if total else 0.0
        log.add(label, "zonal sum", "info", count=int(round(outside)),
                detail=f"{share:.1%} of the raster's value in the units' window (their bounds plus one "
                       "cell) lies outside every unit")
    return ZonalResult(pd.Series(sums, index=units.index, name="population"), max(outside, 0.0), total,
                       cells_used, excluded, method, win)


def _log_cells(log: CheckLog, label: str, info: RasterInfo, excluded: dict[str, int], cells_used: int) -> None:
    n_bad = excluded["nan"] + excluded["+inf"] + excluded["-inf"]
    if n_bad:
        kinds = ", ".join(f"{k} x{v}" for k, v in excluded.items() if v and k != "nodata")
        log.add(label, "non-finite cells", "warning", count=n_bad,
                detail=f"cells inside the units that are not numbers ({kinds}) and not the "
                       f"declared nodata ({info.nodata:g}): excluded from every sum (counted as "
                       "0 people); fix the raster if they should hold people")
    else:
        log.add(label, "non-finite cells", "ok", count=cells_used,
                detail="every cell inside the units is a number or the declared nodata")


def _log_units(log: CheckLog, label: str, info: RasterInfo, units: gpd.GeoDataFrame, geoms: NDArray[np.object_],
               method: str, touched: NDArray[np.int64], covered_cells: NDArray[np.float64]) -> None:
    empty = touched == 0
    if empty.any():
        ids = list(units.index[empty])
        why = ("units smaller than a cell get no cell centre and 0 population (zonal: exact gives them "
               "their share of the cell)") if method == "centre" else \
            "units on no cell of the raster (outside it, or empty geometry) get 0 population"
        log.add(label, "zonal sum", "warning", count=len(ids), detail=f"{why}: {ids[:5]}")
    if method == "exact":
        cell_area = abs(info.transform.a * info.transform.e)
        area_cells = np.nan_to_num(shapely.area(geoms)) / cell_area
        partial = ~empty & (covered_cells < area_cells * (1 - 1e-4))
        if partial.any():
            ids = list(units.index[partial])
            worst = float(np.min(covered_cells[partial] / area_cells[partial]))
            log.add(label, "zonal sum", "warning", count=len(ids),
                    detail=f"units reaching beyond the raster's extent ({crs_label(info.crs)}): people "
                           f"there are not counted (least covered {worst:.2%}): {ids[:5]}")


# ---------------------------------------------------------------- people per cell and unit
def cell_people(info: RasterInfo, units: gpd.GeoDataFrame, *, method: str = "exact",
                block_cells: int | None = None, codes: bool = False) -> pd.DataFrame:
    """People per (cell, unit) pair: the cells a zonal sum uses, for demand points.

    One row per populated cell and unit it overlaps: ``row``, ``col`` (in the full
    raster), ``unit`` (the units' index label), ``fraction`` (of the cell in the unit;
    1 for ``"centre"``), ``people`` (cell value x fraction) and ``x``, ``y`` (the cell
    centre in the units' CRS).  Summed by unit, ``people`` equals
    :func:`zonal_sum`'s sums for the same method.  Nodata, NaN, infinite, zero and
    negative cells are left out (the checks are :func:`zonal_sum`'s).  Rows are sorted
    by (row, col, unit position).  ``codes=True`` adds ``unit_code``, the unit's position
    in ``units`` (for grouping by integers instead of labels).

    Examples
    --------
    >>> import tempfile, rasterio
    >>> from rasterio.transform import from_origin
    >>> p = Path(tempfile.mkdtemp()) / "pop.tif"
    >>> with rasterio.open(p, "w", driver="GTiff", width=1, height=1, count=1, dtype="float32",
    ...                    crs="EPSG:32650", transform=from_origin(0, 100, 100, 100), nodata=-1) as dst:
    ...     dst.write(np.array([[8.0]], "float32"), 1)
    >>> u = gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 25, 100), shapely.box(25, 0, 100, 100)],
    ...                      index=["w", "e"], crs=32650)
    >>> cell_people(open_raster(p), u)[["unit", "fraction", "people"]].to_dict("records")
    [{'unit': 'w', 'fraction': 0.25, 'people': 2.0}, {'unit': 'e', 'fraction': 0.75, 'people': 6.0}]
    """
    block_cells = block_cells or _block_cells()
    check_choice(method, ZONAL_METHODS, what="zonal method")
    label = info.path.name
    _check_grid(info, label)
    geoms = zones_in_raster_crs(units, info.crs)
    win = _overlap_window(info, units, geoms, label)
    n_units = max(len(geoms), 1)
    rows, cols, pos, fracs, people = [], [], [], [], []
    for b in _iter_blocks(info, geoms, win, method=method, label=label, block_cells=block_cells,
                          desc="people per cell"):
        raw = b.raw
        ok = np.isfinite(raw) & ~info.nodata_mask(raw) & (raw > 0)
        keep = ok[b.cell]
        u, c, f = b.unit[keep], b.cell[keep], b.frac[keep]
        # order by cell, then unit: blocks follow each other by rows, so the pieces end up
        # sorted by (row, col, unit) as a whole
        if len(c) > 1 and not (np.all(c[1:] > c[:-1])):
            order = np.argsort(c.astype(np.int64) * n_units + u, kind="stable")
            u, c, f = u[order], c[order], f[order]
        w = int(b.window.width)
        rows.append(c // w + int(b.window.row_off))
        cols.append(c % w + int(b.window.col_off))
        pos.append(u)
        fracs.append(f)
        people.append(raw[c] * f)
    row = np.concatenate(rows).astype(np.int64, copy=False) if rows else np.empty(0, np.int64)
    col = np.concatenate(cols).astype(np.int64, copy=False) if cols else np.empty(0, np.int64)
    unit_pos = np.concatenate(pos).astype(np.intp, copy=False) if pos else np.empty(0, np.intp)
    t = info.transform  # north-up (checked): a x + 0 y + c, bit for bit the affine product
    xs, ys = (col + 0.5) * t.a + t.c, (row + 0.5) * t.e + t.f
    if len(xs) and not CRS.from_user_input(units.crs).equals(info.crs):
        pts = gpd.GeoSeries(gpd.points_from_xy(xs, ys), crs=info.crs).to_crs(units.crs)
        xs, ys = pts.x.to_numpy(), pts.y.to_numpy()
    labels = units.index.take(unit_pos)
    # an object index is handed over as its values, for pandas to infer their type as before
    labels = units.index.to_numpy()[unit_pos] if labels.dtype == object else labels.array
    out = pd.DataFrame({"x": xs, "y": ys,
                        "people": np.concatenate(people).astype(float, copy=False) if people else np.empty(0),
                        "unit": labels, "row": row, "col": col,
                        "fraction": np.concatenate(fracs).astype(float, copy=False) if fracs else np.empty(0)},
                       copy=False)
    if codes:
        out["unit_code"] = unit_pos
    return out
