"""Raster checks and windows.

A population raster must declare its nodata value (or the caller names one) and
carry a CRS; it must overlap the units.  Only the window over the area of interest is
read (:func:`window_for`: the area's bounds taken to the raster's CRS with densified
edges, plus a one-cell margin), so a national file is never loaded whole.  Zonal sums
(exact cell coverage fractions or cell centres) live in :mod:`urbanrural.geo.zonal`;
``zonal_sum`` and ``ZonalResult`` stay importable from here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import rasterio
import rasterio.errors
import rasterio.features
import rasterio.warp
import rasterio.windows
from affine import Affine
from pyproj import CRS
from rasterio._err import CPLE_BaseError

from .crs import crs_label
from .errors import CRSError, DataError, InputFileError, NodataError

__all__ = ["RasterInfo", "open_raster", "read_band", "read_masked", "window_for", "format_extent"]


def __getattr__(name: str) -> object:
    # zonal sums moved to geo/zonal.py (which imports this module); the old names still work
    if name in ("zonal_sum", "ZonalResult"):
        from . import zonal

        return getattr(zonal, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
    also_nodata: tuple[float, ...] = ()
    """Further values that mark empty cells (e.g. LandScan's two conventions, from a preset)."""

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(west, south, east, north) in the raster's CRS."""
        return tuple(rasterio.transform.array_bounds(self.height, self.width, self.transform))

    def nodata_mask(self, arr: np.ndarray) -> np.ndarray:
        """True where ``arr`` holds the declared (or given) nodata value or one of ``also_nodata``.

        A NaN nodata marks NaN cells; other NaN cells are not nodata (they are counted
        as not-a-number cells by the zonal checks).
        """
        mask = np.isnan(arr) if math.isnan(self.nodata) else (arr == self.nodata)
        for v in self.also_nodata:
            mask |= np.isnan(arr) if math.isnan(v) else (arr == v)
        return mask

    @property
    def cell_area_m2(self) -> float:
        return abs(self.transform.a * self.transform.e - self.transform.b * self.transform.d)


# what GDAL raises for a file it cannot open or a block it cannot decode (truncated,
# corrupt, wrong format): turned into InputFileError naming the file
READ_ERRORS = (rasterio.errors.RasterioError, CPLE_BaseError)
"""What rasterio/GDAL raise for a file it cannot open or read (truncated, corrupt, foreign)."""


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
    except READ_ERRORS as exc:
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
    mask = ~np.isfinite(arr) | info.nodata_mask(arr)
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
    except READ_ERRORS as exc:
        raise _unreadable(label, exc, when="(reading its cells)") from exc


def format_extent(bounds: object, crs: object) -> str:
    """(west, south, east, north) rounded for a message: 4 decimals in degrees, metres else.

    Examples
    --------
    >>> format_extent((100.123456, 30.5, 101.0, 31.0), "EPSG:4326")
    '(100.1235, 30.5, 101.0, 31.0) in EPSG:4326'
    """
    geographic = crs is not None and CRS.from_user_input(crs).is_geographic
    vals = [round(float(v), 4) if geographic else round(float(v)) for v in bounds]
    return f"({', '.join(map(str, vals))}) in {crs_label(crs)}"


def window_for(info: RasterInfo, bounds: object, *, crs: object = None, margin: int = 1) -> rasterio.windows.Window:
    """The raster window covering ``bounds``: outward-rounded whole cells plus ``margin``
    cells on every side, clipped to the raster (width or height 0 when they miss it).

    ``bounds`` (west, south, east, north) are in ``crs`` (default: the raster's); in
    another CRS they are taken to the raster's with 21 points on every edge
    (``rasterio.warp.transform_bounds``), so a curved edge cannot leave cells out.

    Examples
    --------
    >>> from rasterio.transform import from_origin
    >>> info = RasterInfo(Path("p.tif"), CRS.from_epsg(32650), from_origin(0, 1000, 100, 100),
    ...                   10, 10, -1.0, "float32", True)
    >>> window_for(info, (250, 250, 450, 450))             # cells 2-4 and one more each side
    Window(col_off=1, row_off=4, width=5, height=5)
    >>> window_for(info, (250, 250, 450, 450), margin=0)
    Window(col_off=2, row_off=5, width=3, height=3)
    """
    b = np.asarray(bounds, dtype=float)
    if crs is not None and not CRS.from_user_input(crs).equals(info.crs):
        b = np.asarray(rasterio.warp.transform_bounds(CRS.from_user_input(crs), info.crs, *b, densify_pts=21))
    return _window(info, b, margin=margin)


def _window(info: RasterInfo, bounds: np.ndarray, *, margin: int = 0) -> rasterio.windows.Window:
    """The whole cells covering ``bounds`` (outward rounding), clipped to the raster."""
    inv = ~info.transform
    cols, rows = [], []
    for x in (bounds[0], bounds[2]):
        for y in (bounds[1], bounds[3]):
            c, r = inv * (x, y)
            cols.append(c)
            rows.append(r)
    c0 = max(int(np.floor(min(cols))) - margin, 0)
    c1 = min(int(np.ceil(max(cols))) + margin, info.width)
    r0 = max(int(np.floor(min(rows))) - margin, 0)
    r1 = min(int(np.ceil(max(rows))) + margin, info.height)
    return rasterio.windows.Window(c0, r0, max(c1 - c0, 0), max(r1 - r0, 0))
