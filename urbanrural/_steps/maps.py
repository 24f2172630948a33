"""Pipeline step ``_maps``: every map of ``outputs.maps`` in every format of ``outputs.formats``."""

from __future__ import annotations

import re

from ..geo.errors import DataError
from ..maps.render import render_map
from ..pipeline import RunContext, analysis


def _slug(spec: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "_", spec).strip("_") or "map"


@analysis("_maps")
def maps_step(ctx: RunContext) -> None:
    cfg = ctx.config.outputs
    units = ctx.units.to_crs(ctx.area.source_crs) if ctx.area.source_crs is not None else ctx.units
    facilities = ctx.area.facilities
    for spec in cfg.maps:
        raster = None
        if spec.startswith("tt:"):
            raster = ctx.rasters.get(f"tt_{spec[3:]}")
        for fmt in cfg.formats:
            out = ctx.tmp / "maps" / f"{_slug(spec)}.{fmt}"
            try:
                render_map(units, spec, out, language=ctx.config.language, facilities=facilities, raster=raster,
                           title=f"{ctx.config.name}: {spec}", isochrones=ctx.layers.get("isochrones"))
            except DataError as exc:
                ctx.note("maps", "skipped", f"{spec} ({fmt}): {exc}")
                break
            ctx.maps.append(out)
    ctx.results["maps"] = [str(p.relative_to(ctx.tmp)) for p in ctx.maps]
