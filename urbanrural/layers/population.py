"""Population per unit: from a raster (zonal sums) or from a units column."""

from __future__ import annotations

from dataclasses import dataclass
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
    """

    per_unit: pd.Series
    source: str
    raster: RasterInfo | None = None
    outside: float = 0.0

    @property
    def total(self) -> float:
        return float(self.per_unit.sum())


def read_population(units: gpd.GeoDataFrame, *, raster: str | Path | None = None,
                    column: str | None = None, nodata: float | None = None,
                    log: CheckLog | None = None) -> Population:
    """Population per unit from a raster of people per cell, or from a units column.

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
        s = check_numeric(units[column], name=f"units column {column!r}", nonnegative=True)
        log.add(f"units column {column!r}", "population", "ok", count=len(s), detail=f"total {s.sum():,.0f}")
        return Population(s.rename("population"), "column")
    info = open_raster(raster, nodata=nodata)
    z = zonal_sum(info.path, units, nodata=info.nodata, log=log)
    log.add(info.path.name, "population", "ok", count=z.cells_used,
            detail=f"total {z.sums.sum():,.0f} in units; {z.outside:,.0f} outside them")
    return Population(z.sums, "raster", info, z.outside)
