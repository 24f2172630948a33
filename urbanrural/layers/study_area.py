"""StudyArea: the validated bundle of inputs in one metric CRS."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS

from ..geo.checks import CheckLog
from ..geo.crs import SCALE_TOLERANCE, CRSChoice, crs_label, select_analysis_crs, to_analysis_crs
from ..geo.errors import CRSError, DataError
from ..geo.validate import preview
from .population import Population

__all__ = ["StudyArea"]


@dataclass(frozen=True)
class StudyArea:
    """Inputs of one study, checked and in one projected metric CRS.

    Build it with :meth:`StudyArea.build`, which reprojects every layer to the analysis
    CRS (the user's EPSG or the UTM zone of the units) and checks that the layers overlap.

    Attributes
    ----------
    units : GeoDataFrame
        Analysis units indexed by a text id.
    crs : pyproj.CRS
        The analysis CRS (projected, metres).
    source_crs : pyproj.CRS
        The units' original CRS, used for outputs meant for other software.
    population, facilities, roads, indicators, flows
        Optional layers (None when absent).
    checks : CheckLog
        Every check, repair and drop made while reading and building.
    crs_choice : CRSChoice or None
        How the analysis CRS was chosen (``"user"``, ``"utm"``, ``"tmerc"``, ``"lcc"``)
        and its measured largest scale error over the units.
    """

    units: gpd.GeoDataFrame
    crs: CRS
    source_crs: CRS
    population: Population | None = None
    facilities: gpd.GeoDataFrame | None = None
    roads: gpd.GeoDataFrame | None = None
    indicators: pd.DataFrame | None = None
    flows: pd.DataFrame | None = None
    checks: CheckLog = field(default_factory=CheckLog)
    crs_choice: CRSChoice | None = None
    panel: Any = None  # layers.panel.Panel: indicators over several years (analyses.panel)

    @classmethod
    def build(cls, units: gpd.GeoDataFrame, *, population: Population | None = None,
              facilities: gpd.GeoDataFrame | None = None, roads: gpd.GeoDataFrame | None = None,
              indicators: pd.DataFrame | None = None, flows: pd.DataFrame | None = None,
              crs: object = "auto", facilities_outside: str = "keep",
              scale_tolerance: float = SCALE_TOLERANCE,
              log: CheckLog | None = None) -> StudyArea:
        """Reproject and cross-check the layers.

        Parameters
        ----------
        crs : "auto" or CRS-like
            Analysis CRS; ``"auto"`` picks the WGS 84 UTM zone of the units, or, when that
            zone distorts distances over the units by more than ``scale_tolerance``, a
            transverse Mercator centred on them (then a Lambert conformal conic).
        scale_tolerance : float, default 0.01
            Largest accepted scale error of the analysis CRS over the units (0.01 = 1 %
            of any distance); see :func:`~urbanrural.geo.crs.scale_error`.
        facilities_outside : {"keep", "drop"}
            Facilities outside every unit are counted in the log; ``"keep"`` keeps them
            (people near a border use services across it), ``"drop"`` drops them.

        Raises
        ------
        CRSError
            When a layer does not overlap the units after reprojection (its CRS label is
            probably wrong), or when the analysis CRS distorts distances over the units
            by more than ``scale_tolerance`` (the message names the error and a CRS that fits).

        Examples
        --------
        >>> import geopandas as gpd, shapely
        >>> u = gpd.GeoDataFrame(geometry=[shapely.box(116, 39, 116.1, 39.1)], index=["a"], crs=4326)
        >>> StudyArea.build(u).crs.to_epsg()
        32650
        """
        log = log if log is not None else CheckLog()
        if facilities_outside not in ("keep", "drop"):
            raise DataError(f"facilities_outside={facilities_outside!r}; valid: 'keep', 'drop'")
        if units.crs is None:
            raise CRSError("units have no CRS; read them with read_units(..., crs=...)")
        source = CRS.from_user_input(units.crs)
        choice = select_analysis_crs(units, crs, scale_tolerance=scale_tolerance)
        target = choice.crs
        how = {"user": "as configured", "utm": "auto: the UTM zone of the units",
               "tmerc": "auto: transverse Mercator centred on the units (wider than a UTM zone allows)",
               "lcc": "auto: Lambert conformal conic over the units"}[choice.method]
        log.add("study area", "analysis crs", "info",
                detail=f"{crs_label(target)} ({how}); max scale error {choice.scale_error:.3%} "
                       f"over the units (tolerance {choice.tolerance:.1%})")
        u = to_analysis_crs(units, target, name="units", log=log)
        hull = u.union_all()
        fac = rd = None
        if facilities is not None:
            fac = to_analysis_crs(facilities, target, name="facilities", log=log)
            inside = fac.intersects(hull) if len(fac) else pd.Series([], dtype=bool)
            if len(fac) and not inside.any():
                raise CRSError(
                    f"none of the {len(fac)} facilities lies inside the units (facilities in "
                    f"{crs_label(facilities.crs)}); check the facilities' CRS or coordinate columns"
                )
            n_out = int((~inside).sum())
            if n_out:
                if facilities_outside == "drop":
                    log.add("facilities", "outside the units", "dropped", count=n_out,
                            detail=f"ids {preview(fac.index[~inside])}")
                    fac = fac.loc[inside.to_numpy()]
                else:
                    log.add("facilities", "outside the units", "warning", count=n_out,
                            detail=f"kept (facilities_outside='keep'); ids {preview(fac.index[~inside])}")
        if roads is not None:
            rd = to_analysis_crs(roads, target, name="roads", log=log)
            if len(rd) and not rd.intersects(hull).any():
                raise CRSError(
                    f"no road crosses the units (roads in {crs_label(roads.crs)}); check the roads' CRS"
                )
        if indicators is not None:
            missing = ~units.index.isin(indicators.index)
            if missing.all():
                raise DataError("no unit id appears in the indicator table; check the id columns")
        if population is not None and not population.per_unit.index.equals(units.index):
            raise DataError("population per unit is not aligned to the units; build it from the same units")
        if population is not None and population.total <= 0:
            where = ""
            if population.raster is not None:
                where = (f" ({population.raster.path.name}: {population.excluded.get('nodata', 0)} nodata "
                         f"and {population.excluded_cells} NaN/infinite cell(s) inside the units)")
            raise DataError(f"total population is 0{where}; check the raster's values and its nodata "
                            "value (config: population: nodata:)")
        return cls(u, target, source, population, fac, rd, indicators, flows, log, choice)

    @property
    def area_km2(self) -> pd.Series:
        """Unit area in km2 (analysis CRS)."""
        return (self.units.area / 1e6).rename("area_km2")

    @property
    def categories(self) -> list[str]:
        """Facility categories, in order of first appearance."""
        if self.facilities is None:
            return []
        return list(pd.unique(self.facilities["category"]))

    def with_units(self, units: gpd.GeoDataFrame) -> StudyArea:
        """A copy with new unit columns (same index and geometry)."""
        if not units.index.equals(self.units.index):
            raise DataError("with_units needs the same unit index")
        return replace(self, units=units)

    def summary(self) -> dict:
        """Counts for the report and run.json."""
        bounds = [float(v) for v in np.round(self.units.total_bounds, 3)]
        return {
            "units": len(self.units),
            "crs": crs_label(self.crs),
            "crs_choice": None if self.crs_choice is None else self.crs_choice.summary(),
            "source_crs": crs_label(self.source_crs),
            "bounds": bounds,
            "area_km2": float(self.area_km2.sum()),
            "population": None if self.population is None else self.population.total,
            "population_detail": None if self.population is None else self.population.summary(),
            "facilities": None if self.facilities is None else int(len(self.facilities)),
            "categories": self.categories,
            "roads": None if self.roads is None else int(len(self.roads)),
            "indicators": None if self.indicators is None else list(map(str, self.indicators.columns)),
            "flows": None if self.flows is None else int(len(self.flows)),
            **({} if self.panel is None else {"panel": self.panel.summary()}),
        }
