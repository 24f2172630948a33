"""Pipeline step ``analyses.urban_rural``: urban_class per unit (degurba, codes or density)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import rasterio

from ..analysis import degurba
from ..geo.errors import DataError
from ..geo.io import atomic_path
from ..pipeline import RunContext, analysis


@analysis("urban_rural")
def urban_rural_step(ctx: RunContext) -> None:
    cfg = ctx.config.analyses.urban_rural
    units = ctx.units
    if cfg.column:
        if cfg.column not in units.columns:
            raise DataError(f"urban_rural: column {cfg.column!r} is not in the units (have "
                            f"{', '.join(c for c in units.columns if c != 'geometry')})")
        ctx.units["urban_class"] = degurba.from_codes(units[cfg.column])
        ctx.variants["urban_rural"] = f"official codes in {cfg.column!r}: 111-123 urban, 210/220 rural"
    elif cfg.density_threshold:
        if "density_per_km2" not in units.columns:
            ctx.note("urban_rural", "skipped", "density threshold needs a population")
            return
        ctx.units["urban_class"] = degurba.by_density(units["density_per_km2"], threshold=cfg.density_threshold)
        ctx.variants["urban_rural"] = f"density >= {cfg.density_threshold:g} people/km2 is urban"
    else:
        pop = ctx.area.population
        if pop is None or pop.raster is None:
            ctx.note("urban_rural", "skipped", "method degurba needs a population raster")
            return
        if cfg.land is None:
            ctx.note("urban_rural", "warning", "no land raster: every cell counts as permanent land (no water class)")
        grid = degurba.classify_raster(pop.raster.path, land=cfg.land, built=cfg.built, level=2)
        (ctx.tmp / "rasters").mkdir(exist_ok=True)
        path = ctx.tmp / "rasters" / "degurba_grid.tif"
        profile = dict(driver="GTiff", width=grid.classes.shape[1], height=grid.classes.shape[0], count=1,
                       dtype="uint8", crs=grid.crs, transform=grid.transform, nodata=255, compress="deflate")
        with atomic_path(path) as tmp, rasterio.open(tmp, "w", **profile) as dst:
            dst.write(grid.classes, 1)
        ctx.rasters["degurba_grid"] = path
        units_cls = degurba.classify_units(units, grid, population=pop.raster.path)
        ctx.units["degurba_l1"] = units_cls["degurba_l1"]
        ctx.units["degurba_l2"] = units_cls["degurba_l2"]
        ctx.units["urban_class"] = np.where(units_cls["degurba_l1"] >= 2, "urban", "rural")
        ctx.tables["degurba_grid"] = grid.counts()
        ctx.variants["urban_rural"] = ("Degree of Urbanisation, GHSL R2023A rules on a 1 km Mollweide grid "
                                       "(population summed by cell centre); units by population shares; "
                                       "urban = cities, towns and semi-dense areas")
    counts = pd.DataFrame({"urban_class": ctx.units["urban_class"],
                           "population": units["population"] if "population" in units.columns else 1.0})
    table = counts.groupby("urban_class").agg(units=("population", "size"), population=("population", "sum"))
    table["population_share"] = table["population"] / table["population"].sum()
    ctx.tables["urban_rural"] = table
    ctx.results["urban_rural"] = table.to_dict(orient="index")
