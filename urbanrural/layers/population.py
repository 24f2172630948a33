"""Population per unit: from a raster (zonal sums) or from a units column."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd

from ..geo.checks import CheckLog, get_log
from ..geo.errors import DataError
from ..geo.raster import RasterInfo, open_raster, zonal_sum
from ..geo.validate import check_numeric

__all__ = ["Population", "read_population"]


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
    """

    per_unit: pd.Series
    source: str
    raster: RasterInfo | None = None
    outside: float = 0.0
    excluded: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> float:
        return float(self.per_unit.sum())

    @property
    def excluded_cells(self) -> int:
        """Cells inside the units that are NaN or infinite (not the declared nodata)."""
        return int(sum(v for k, v in self.excluded.items() if k != "nodata"))

    def summary(self) -> dict:
        """Source, total and what was left out, for run.json."""
        return {
            "source": self.source,
            "total": self.total,
            "outside_units": self.outside,
            "raster": None if self.raster is None else str(self.raster.path.name),
            "nodata": None if self.raster is None else (None if pd.isna(self.raster.nodata) else self.raster.nodata),
            "nodata_cells": int(self.excluded.get("nodata", 0)),
            "excluded_cells": self.excluded_cells,
            "excluded_by_kind": {k: int(v) for k, v in self.excluded.items() if k != "nodata" and v},
        }


def read_population(units: gpd.GeoDataFrame, *, raster: str | Path | None = None,
                    column: str | None = None, nodata: float | None = None,
                    log: CheckLog | None = None) -> Population:
    """Population per unit from a raster of people per cell, or from a units column.

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
    hint = "population: nodata: -9999"
    info = open_raster(raster, nodata=nodata, nodata_hint=hint)
    z = zonal_sum(info.path, units, nodata=info.nodata, log=log, nodata_hint=hint)
    detail = f"total {z.sums.sum():,.0f} in units; {z.outside:,.0f} outside them"
    if z.excluded_cells:
        detail += f"; {z.excluded_cells} NaN/infinite cell(s) inside the units excluded"
    log.add(info.path.name, "population", "warning" if z.excluded_cells else "ok",
            count=z.cells_used, detail=detail)
    return Population(z.sums, "raster", info, z.outside, dict(z.excluded))
