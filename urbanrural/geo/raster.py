"""Raster checks and zonal sums (population per unit).

A population raster must declare its nodata value (or the caller names one) and
carry a CRS; it must overlap the units.  Zonal sums assign each cell to the unit that
contains the cell centre, so every person inside the units is counted exactly once;
people in cells whose centre lies outside every unit are counted and reported.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
import rasterio.errors
import rasterio.features
import rasterio.windows
from affine import Affine
from pyproj import CRS
from rasterio._err import CPLE_BaseError

from .checks import CheckLog, get_log
from .crs import crs_label
from .errors import CRSError, DataError, InputFileError, NodataError, RasterError

__all__ = ["RasterInfo", "open_raster", "read_band", "read_masked", "zonal_sum", "ZonalResult"]


@dataclass(frozen=True)
class RasterInfo:
    """What a checked raster is: path, CRS, grid and nodata."""

    path: Path
    crs: CRS
    transform: Affine
    width: int
    height: int
    nodata: float
    dtype: str
    nodata_declared: bool

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        return rasterio.transform.array_bounds(self.height, self.width, self.transform)[::1]

    @property
    def cell_area_m2(self) -> float:
        return abs(self.transform.a * self.transform.e - self.transform.b * self.transform.d)


# what GDAL raises for a file it cannot open or a block it cannot decode (truncated,
# corrupt, wrong format): turned into InputFileError naming the file
_READ_ERRORS = (rasterio.errors.RasterioError, CPLE_BaseError)


def _unreadable(label: str, exc: BaseException, *, when: str) -> InputFileError:
    cause = exc.__cause__ or exc.__context__
    text = str(cause if cause is not None and str(cause).strip() else exc).strip()
    msg = text.splitlines()[0] if text else type(exc).__name__
    return InputFileError(
        f"{label} cannot be read as a raster {when} ({msg[:200]}); the file is truncated, "
        "corrupt or not a raster: copy or export it again (gdalinfo -checksum tests every block)"
    )


def open_raster(path: str | Path, *, nodata: float | None = None, name: str | None = None,
                require_nodata: bool = True, nodata_hint: str | None = None) -> RasterInfo:
    """Open a raster's header and check CRS and nodata.

    Parameters
    ----------
    path : path-like
        GeoTIFF or any GDAL raster.
    nodata : float, optional
        The nodata value when the file declares none (``float('nan')`` allowed).  When the
        file declares one and this differs, the explicit value wins and is recorded.
    require_nodata : bool, default True
        Raise NodataError when neither the file nor the caller gives a nodata value.
    nodata_hint : str, optional
        The config key that sets the nodata value of this input, named in the fix
        (e.g. ``"population: nodata: -9999"``).

    Raises
    ------
    InputFileError, CRSError, NodataError
    """
    p = Path(path)
    label = name or p.name
    if not p.exists():
        raise InputFileError(f"raster {p} does not exist; check the path")
    if p.is_dir():
        raise InputFileError(f"raster {p} is a folder; give the path of the raster file itself")
    if p.stat().st_size == 0:
        raise InputFileError(f"{label} is empty (0 bytes); check the path or export the raster again")
    try:
        with rasterio.open(p) as src:
            crs, transform, w, h = src.crs, src.transform, src.width, src.height
            declared, dtype = src.nodata, src.dtypes[0]
    except _READ_ERRORS as exc:
        raise _unreadable(label, exc, when="(header)") from exc
    if crs is None:
        raise CRSError(f"{label} has no CRS; assign one (gdal_edit.py -a_srs EPSG:xxxx {p.name}) before use")
    if declared is None and nodata is None and require_nodata:
        raise NodataError(
            f"{label} declares no nodata value, so empty cells cannot be told from real values; "
            f"pass nodata=<value>{f' (config: {nodata_hint})' if nodata_hint else ''} or declare "
            f"it in the file (gdal_edit.py -a_nodata -9999 {p.name})"
        )
    value = nodata if nodata is not None else declared
    return RasterInfo(p, CRS.from_user_input(crs), transform, w, h,
                      float("nan") if value is None else float(value), dtype, declared is not None)


def read_masked(info: RasterInfo, *, window: rasterio.windows.Window | None = None,
                name: str | None = None, nonnegative: bool = True) -> np.ma.MaskedArray:
    """Read band 1 as float64 with nodata (and NaN) masked; refuse negative values.

    A file that fails while its blocks are read (truncated, corrupt) raises
    InputFileError naming it.
    """
    arr = read_band(info, window=window, name=name)
    mask = ~np.isfinite(arr)
    if not math.isnan(info.nodata):
        mask |= arr == info.nodata
    out = np.ma.MaskedArray(arr, mask=mask)
    if nonnegative and (out < 0).any():
        n = int((out < 0).sum())
        raise DataError(
            f"{name or info.path.name}: {n} cell(s) are negative (min {out.min():.6g}); a count "
            "raster must be >= 0: is the nodata value right?"
        )
    return out


def read_band(info: RasterInfo, *, window: rasterio.windows.Window | None = None,
              name: str | None = None) -> np.ndarray:
    """Band 1 as float64, as stored (nodata not masked); unreadable blocks raise InputFileError."""
    label = name or info.path.name
    try:
        with rasterio.open(info.path) as src:
            return src.read(1, window=window, out_dtype="float64")
    except _READ_ERRORS as exc:
        raise _unreadable(label, exc, when="(reading its cells)") from exc


def _window(info: RasterInfo, bounds: np.ndarray) -> rasterio.windows.Window:
    """The whole cells covering ``bounds`` (outward rounding), clipped to the raster."""
    inv = ~info.transform
    cols, rows = [], []
    for x in (bounds[0], bounds[2]):
        for y in (bounds[1], bounds[3]):
            c, r = inv * (x, y)
            cols.append(c)
            rows.append(r)
    c0 = max(int(np.floor(min(cols))), 0)
    c1 = min(int(np.ceil(max(cols))), info.width)
    r0 = max(int(np.floor(min(rows))), 0)
    r1 = min(int(np.ceil(max(rows))), info.height)
    return rasterio.windows.Window(c0, r0, c1 - c0, r1 - r0)


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

    @property
    def excluded_cells(self) -> int:
        """Cells inside the units that are not values (NaN, +/-inf); nodata not included."""
        return int(sum(v for k, v in self.excluded.items() if k != "nodata"))


def zonal_sum(path: str | Path, units: gpd.GeoDataFrame, *, nodata: float | None = None,
              name: str | None = None, log: CheckLog | None = None,
              nodata_hint: str | None = None) -> ZonalResult:
    """Sum raster values per unit (cell-centre rule).

    The units are taken to the raster's CRS (the raster is never resampled, so totals
    are preserved); each cell goes to the unit containing its centre.  Cells inside
    the units that are NaN (when nodata is not NaN) or infinite are excluded from every
    sum and counted in ``log`` (and in ``ZonalResult.excluded``); negative cells inside
    the units raise DataError, outside them they are counted and left out.

    Returns
    -------
    ZonalResult
        ``sums`` is a Series on ``units.index``; ``outside`` is the sum over cells in the
        units' bounding window whose centre lies in no unit.

    Examples
    --------
    >>> import tempfile, pathlib, numpy as np, rasterio, geopandas as gpd, shapely
    >>> from rasterio.transform import from_origin
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> prof = dict(driver="GTiff", width=4, height=2, count=1, dtype="float32",
    ...             crs="EPSG:32650", transform=from_origin(0, 200, 100, 100), nodata=-1)
    >>> with rasterio.open(d / "pop.tif", "w", **prof) as dst:
    ...     dst.write(np.array([[1, 2, 3, 4], [5, 6, 7, -1]], "float32"), 1)
    >>> u = gpd.GeoDataFrame({"geometry": [shapely.box(0, 0, 200, 200), shapely.box(200, 0, 400, 200)]},
    ...                      index=["a", "b"], crs=32650)
    >>> zonal_sum(d / "pop.tif", u).sums.tolist()
    [14.0, 14.0]
    """
    log = get_log(log)
    info = open_raster(path, nodata=nodata, name=name, nodata_hint=nodata_hint)
    label = name or info.path.name
    if units.crs is None:
        raise CRSError("units have no CRS; cannot overlay them on a raster")
    zones = units.to_crs(info.crs) if not CRS.from_user_input(units.crs).equals(info.crs) else units
    rb = info.bounds
    ub = zones.total_bounds
    if ub[0] >= rb[2] or ub[2] <= rb[0] or ub[1] >= rb[3] or ub[3] <= rb[1]:
        raise RasterError(
            f"{label} (extent {tuple(round(v) for v in rb)} in {crs_label(info.crs)}) does not "
            f"overlap the units (extent {tuple(round(v) for v in ub)}); check the raster's CRS "
            "and that it covers the study area"
        )
    win = _window(info, ub)
    raw = read_band(info, window=win, name=label)
    wt = rasterio.windows.transform(win, info.transform)
    codes = rasterio.features.rasterize(
        ((g, i + 1) for i, g in enumerate(zones.geometry.values)),
        out_shape=raw.shape, transform=wt, fill=0, all_touched=False, dtype="int32",
    )
    inside = codes > 0
    nodata_is_nan = math.isnan(info.nodata)
    is_nan = np.isnan(raw)
    declared = is_nan if nodata_is_nan else (raw == info.nodata)
    pos_inf, neg_inf = np.isposinf(raw), np.isneginf(raw)
    bad_nan = is_nan & ~declared
    excluded = {"nan": int((bad_nan & inside).sum()), "+inf": int((pos_inf & inside).sum()),
                "-inf": int((neg_inf & inside).sum()), "nodata": int((declared & inside).sum())}
    valid = np.isfinite(raw) & ~declared
    negative = valid & (raw < 0)
    if (negative & inside).any():
        n = int((negative & inside).sum())
        vals = pd.Series(raw[negative & inside]).value_counts().head(3)
        raise DataError(
            f"{label}: {n} cell(s) inside the units are negative ("
            + ", ".join(f"{v:.6g} x{c}" for v, c in vals.items())
            + f"); a count of people must be >= 0: if they mark empty cells, declare that value "
            f"as nodata{' (' + nodata_hint + ')' if nodata_hint else ''}, else fix the raster"
        )
    n_neg_out = int((negative & ~inside).sum())
    if n_neg_out:
        log.add(label, "negative cells", "warning", count=n_neg_out,
                detail="negative cells outside every unit (in the units' window): not counted")
    valid &= ~negative
    vals = np.where(valid, raw, 0.0)
    n_bad = excluded["nan"] + excluded["+inf"] + excluded["-inf"]
    if n_bad:
        kinds = ", ".join(f"{k} x{v}" for k, v in excluded.items() if v and k != "nodata")
        log.add(label, "non-finite cells", "warning", count=n_bad,
                detail=f"cells inside the units that are not numbers ({kinds}) and not the "
                       f"declared nodata ({info.nodata:g}): excluded from every sum (counted as "
                       "0 people); fix the raster if they should hold people")
    else:
        log.add(label, "non-finite cells", "ok", count=int(inside.sum()),
                detail="every cell inside the units is a number or the declared nodata")
    sums = np.bincount(codes.ravel(), weights=vals.ravel(), minlength=len(zones) + 1)
    outside = float(sums[0])
    total = float(vals.sum())
    empty_units = np.bincount(codes.ravel(), minlength=len(zones) + 1)[1:] == 0
    if empty_units.any():
        ids = list(units.index[empty_units])
        log.add(label, "zonal sum", "warning", count=len(ids),
                detail=f"units smaller than a cell get no cell centre and 0 population: {ids[:5]}")
    if outside > 0:
        share = outside / total if total else 0.0
        log.add(label, "zonal sum", "info", count=int(round(outside)),
                detail=f"{share:.1%} of the raster's value in the units' window lies outside every unit")
    return ZonalResult(pd.Series(sums[1:], index=units.index, name="population"), outside,
                       total, int(inside.sum()), excluded)
