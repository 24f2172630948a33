"""Pipeline step ``_maps``: every map of ``outputs.maps`` in every format of ``outputs.formats``.

File names come from the map spec through :meth:`RunFolder.file` (``tt:县级医院`` ->
``maps/tt_县级医院.png``; specs that sanitise to the same name stay apart).
"""

from __future__ import annotations

from .._progress import progress
from ..geo.errors import DataError
from ..maps.render import render_map
from ..pipeline import RunContext, analysis


@analysis("_maps")
def maps_step(ctx: RunContext) -> None:
    cfg = ctx.config.outputs
    units = ctx.units.to_crs(ctx.area.source_crs) if ctx.area.source_crs is not None else ctx.units
    facilities = ctx.area.facilities
    for spec in progress(cfg.maps, desc="maps", unit="map"):
        raster = None
        if spec.startswith("tt:"):
            raster = ctx.rasters.get(f"tt_{spec[3:]}")
        for fmt in cfg.formats:
            out = ctx.out.file("maps", spec, f".{fmt}")
            try:
                render_map(units, spec, out, language=ctx.config.language, facilities=facilities, raster=raster,
                           title=f"{ctx.config.name}: {spec}", isochrones=ctx.layers.get("isochrones"))
            except DataError as exc:
                # preflight (validate/run) refuses specs that cannot be drawn; what remains is data
                # that turned out empty at run time: a warning in the log, run.json and report
                ctx.note("maps", "warning", f"{spec} ({fmt}) not drawn: {exc}")
                break
            ctx.maps.append(out)
    ctx.results["maps"] = [ctx.out.relative(p) for p in ctx.maps]
