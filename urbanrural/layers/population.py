"""Population per unit: from a raster (zonal sums) or from a units column.

A raster holds people per cell, as WorldPop, GHS-POP and LandScan publish them; only
the window over the units is read (a national file is never loaded whole) and cells are
shared among units by exact coverage fractions (``zonal="exact"``, the default) or go
to the unit holding their centre (``zonal="centre"``); see :mod:`urbanrural.geo.zonal`.

A ``preset`` names the product: it checks that the file looks like it (CRS, data type,
cell size, nodata; a mismatch is a warning in the log, never a refusal) and supplies the
product's nodata value when the file declares none.  Every other check is the same with
or without a preset.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd
from pyproj import CRS

from ..geo.checks import CheckLog, get_log
from ..geo.crs import crs_label
from ..geo.errors import DataError
from ..geo.raster import RasterInfo, open_raster
from ..geo.registry import check_choice
from ..geo.validate import check_numeric
from ..geo.zonal import ZONAL_METHODS, zonal_sum

__all__ = ["Population", "PopulationPreset", "PRESETS", "ZONAL_METHODS", "read_population", "apply_preset"]

_ARCSEC = 1 / 3600


@dataclass(frozen=True)
class PopulationPreset:
    """What a published population grid looks like.

    Attributes
    ----------
    name, title : str
        Key and full name of the product.
    crs : tuple of str
        The CRSs it is published in.
    nodata : tuple of float
        Its nodata values; the first is supplied when a file declares none, the others
        are also treated as empty cells then.
    dtypes : tuple of str
        Its data types.
    cell_sizes : tuple of float
        Its cell sizes in CRS units (degrees or metres).
    units : str
        What a cell holds.
    """

    name: str
    title: str
    crs: tuple[str, ...]
    nodata: tuple[float, ...]
    dtypes: tuple[str, ...]
    cell_sizes: tuple[float, ...]
    units: str = "people per cell"


PRESETS: dict[str, PopulationPreset] = {
    p.name: p for p in (
        PopulationPreset("worldpop", "WorldPop population counts (3 arc-second ~100 m; 30 arc-second ~1 km)",
                         ("EPSG:4326",), (-99999.0,), ("float32",), (3 * _ARCSEC, 30 * _ARCSEC)),
        PopulationPreset("ghs-pop", "GHS-POP, JRC GHSL (Mollweide 100 m / 1 km; WGS84 3 and 30 arc-second)",
                         ("ESRI:54009", "EPSG:4326"), (-200.0,), ("float32", "float64"),
                         (100.0, 1000.0, 3 * _ARCSEC, 30 * _ARCSEC)),
        PopulationPreset("landscan", "LandScan Global, ORNL (30 arc-second ~1 km)",
                         ("EPSG:4326",), (-2147483647.0, 2147483647.0), ("int32",), (30 * _ARCSEC,)),
    )
}


@dataclass(frozen=True)
class Population:
    """Population of the study area.

    Attributes
    ----------
    per_unit : Series
        People per unit on the units' index.
    source : str
        ``"raster"`` or ``"column"``.
    raster : RasterInfo or None
        The checked raster (people per cell) when ``source == "raster"``.
    outside : float
        People in raster cells inside the units' window but in no unit.
    excluded : dict
        Raster cells inside the units left out of every sum, by kind (``nan``,
        ``+inf``, ``-inf``) plus declared ``nodata`` cells; empty for a column.
    zonal : str or None
        ``"exact"`` or ``"centre"`` for a raster.
    preset : str or None
        The preset the raster was checked against.
    """

    per_unit: pd.Series
    source: str
    raster: RasterInfo | None = None
    outside: float = 0.0
    excluded: dict[str, int] = field(default_factory=dict)
    zonal: str | None = None
    preset: str | None = None

    @property
    def total(self) -> float:
        return float(self.per_unit.sum())

    @property
    def excluded_cells(self) -> int:
        """Cells inside the units that are NaN or infinite (not the declared nodata)."""
        return int(sum(v for k, v in self.excluded.items() if k != "nodata"))

    def summary(self) -> dict:
        """Source, total, method and what was left out, for run.json."""
        r = self.raster
        return {
            "source": self.source,
            "total": self.total,
            "outside_units": self.outside,
            "raster": None if r is None else str(r.path.name),
            "units": "people per cell" if r is not None else "people per unit",
            "zonal": self.zonal,
            "preset": self.preset,
            "nodata": None if r is None else (None if pd.isna(r.nodata) else r.nodata),
            "also_nodata": [] if r is None else list(r.also_nodata),
            "nodata_cells": int(self.excluded.get("nodata", 0)),
            "excluded_cells": self.excluded_cells,
            "excluded_by_kind": {k: int(v) for k, v in self.excluded.items() if k != "nodata" and v},
        }


def _crs_key(c: CRS) -> tuple:
    """What makes two CRSs the same grid: projection method and parameters, ellipsoid."""
    ell = c.ellipsoid
    shape = None if ell is None else (round(ell.semi_major_metre, 3), round(ell.inverse_flattening, 6))
    if c.is_geographic:
        return ("geographic", shape)
    op = c.coordinate_operation
    if op is None:
        return (c.name, shape)
    return (op.method_name.lower(), tuple(round(float(p.value), 9) for p in op.params), shape)


def _same_crs(a: CRS, b: str) -> bool:
    other = CRS.from_user_input(b)
    return a.equals(other, ignore_axis_order=True) or _crs_key(a) == _crs_key(other)


def _same_value(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


def apply_preset(info: RasterInfo, preset: str, *, log: CheckLog | None = None,
                 nodata_given: bool = False) -> RasterInfo:
    """Check a raster against a preset and fill in its nodata value when the file has none.

    A mismatch (CRS, data type, cell size, a declared nodata the product does not use)
    is logged as a warning and changes nothing: the file's own header wins.  When the
    file declares no nodata and none was given (``nodata_given``), the preset's values
    are used (LandScan: -2147483647 and 2147483647).

    Examples
    --------
    >>> from rasterio.transform import from_origin
    >>> info = RasterInfo(Path("wp.tif"), CRS.from_epsg(4326), from_origin(100, 30, 1 / 1200, 1 / 1200),
    ...                   10, 10, float("nan"), "float32", False)
    >>> log = CheckLog()
    >>> apply_preset(info, "worldpop", log=log).nodata
    -99999.0
    >>> [(r.check, r.status) for r in log.records]
    [('preset worldpop', 'ok'), ('nodata', 'info')]
    """
    check_choice(preset, tuple(PRESETS), what="population preset")
    p = PRESETS[preset]
    log = get_log(log)
    label = info.path.name
    issues = []
    if not any(_same_crs(info.crs, c) for c in p.crs):
        issues.append(f"CRS {crs_label(info.crs)} (expected {' or '.join(p.crs)})")
    if info.dtype not in p.dtypes:
        issues.append(f"data type {info.dtype} (expected {' or '.join(p.dtypes)})")
    size = (abs(info.transform.a), abs(info.transform.e))
    if not any(all(abs(s - c) <= 0.01 * c for s in size) for c in p.cell_sizes):
        issues.append(f"cells of {size[0]:.6g} x {size[1]:.6g} (expected one of "
                      f"{', '.join(f'{c:.6g}' for c in p.cell_sizes)} CRS units)")
    if info.nodata_declared and not any(_same_value(info.nodata, v) for v in p.nodata):
        issues.append(f"nodata {info.nodata:g} (the product uses {' or '.join(f'{v:g}' for v in p.nodata)}; "
                      "the file's value is used)")
    if issues:
        log.add(label, f"preset {p.name}", "warning", count=len(issues),
                detail=f"does not look like {p.title}: " + "; ".join(issues) + "; check the file or the preset")
    else:
        log.add(label, f"preset {p.name}", "ok", detail=f"looks like {p.title} ({p.units})")
    if info.nodata_declared or nodata_given:
        return info
    log.add(label, "nodata", "info", count=0,
            detail=f"the file declares no nodata; using {' and '.join(f'{v:g}' for v in p.nodata)} "
                   f"from preset {p.name}")
    return dataclasses.replace(info, nodata=float(p.nodata[0]), also_nodata=tuple(float(v) for v in p.nodata[1:]))


def read_population(units: gpd.GeoDataFrame, *, raster: str | Path | None = None,
                    column: str | None = None, nodata: float | None = None, preset: str | None = None,
                    zonal: str = "exact", log: CheckLog | None = None) -> Population:
    """Population per unit from a raster of people per cell, or from a units column.

    Parameters
    ----------
    units : GeoDataFrame
        The analysis units, in any CRS.
    raster : path-like, optional
        People per cell (WorldPop, GHS-POP, LandScan or any count raster); only the
        window over the units is read.
    column : str, optional
        A units column of people per unit (instead of ``raster``).
    nodata : float, optional
        The raster's nodata value when the file declares none (config: ``population:
        nodata:``); given, it wins over the file's.
    preset : {"worldpop", "ghs-pop", "landscan"}, optional
        Check the file against the product (warnings only) and take the product's
        nodata when the file declares none and ``nodata`` is not given.
    zonal : {"exact", "centre"}
        ``"exact"``: cells shared among units by exact coverage fractions (a village
        smaller than a cell gets its share); ``"centre"``: each cell to the unit
        holding its centre.

    Raster cells inside the units that are NaN (when nodata is not NaN) or +/-inf are
    excluded from every sum, counted in ``log`` and in :attr:`Population.excluded`;
    negative cells inside the units raise DataError.  A truncated or corrupt raster
    raises InputFileError naming it.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> u = gpd.GeoDataFrame({"pop": [10, 20]}, geometry=[shapely.box(0, 0, 1, 1)] * 2, crs=3857)
    >>> read_population(u, column="pop").total
    30.0
    """
    log = get_log(log)
    if (raster is None) == (column is None):
        raise DataError("population: give exactly one of raster= (people per cell) or column= (people per unit)")
    if column is not None:
        if column not in units.columns:
            raise DataError(f"units have no population column {column!r}; columns: {', '.join(map(str, units.columns))}")
        raw = units[column]
        if not pd.api.types.is_numeric_dtype(raw) or pd.api.types.is_bool_dtype(raw):
            from .numbers import describe_counts, parse_numeric

            raw, counts = parse_numeric(raw, name=f"units column {column!r}")
            if counts["reformatted"]:
                log.add(f"units column {column!r}", "population", "repaired", count=counts["reformatted"],
                        detail=f"read as numbers: {describe_counts(counts)}")
        s = check_numeric(raw, name=f"units column {column!r}", nonnegative=True)
        log.add(f"units column {column!r}", "population", "ok", count=len(s), detail=f"total {s.sum():,.0f}")
        return Population(s.rename("population"), "column")
    check_choice(zonal, ZONAL_METHODS, what="population zonal method")
    if preset is not None:
        check_choice(preset, tuple(PRESETS), what="population preset")
    hint = "population: nodata: -9999"
    info = open_raster(raster, nodata=nodata, nodata_hint=hint, require_nodata=preset is None)
    if preset is not None:
        info = apply_preset(info, preset, log=log, nodata_given=nodata is not None)
    z = zonal_sum(info, units, method=zonal, log=log, nodata_hint=hint)
    detail = f"total {z.sums.sum():,.0f} in units; {z.outside:,.0f} outside them ({zonal} cell coverage)"
    if z.excluded_cells:
        detail += f"; {z.excluded_cells} NaN/infinite cell(s) inside the units excluded"
    log.add(info.path.name, "population", "warning" if z.excluded_cells else "ok",
            count=z.cells_used, detail=detail)
    return Population(z.sums, "raster", info, z.outside, dict(z.excluded), zonal, preset)
